"""The synthetic Medusa v1 catalog behind scripts/generate_catalog.py, split by what it generates.

What it writes, all in ONE transaction (a failure leaves the database as it was):

- reference data: currencies (only the missing ones), the `manual` payment and fulfillment providers (only if
  missing), a store if there is none plus its store_currencies, regions with their providers, some countries
  without a region assigned to them, shipping profiles (a custom one, plus default/gift_card if missing) and
  shipping options (every price_type of the schema's enum);
- a catalog: collections, types, tags (shared by many products), a category tree (4 levels, mpath kept),
  products with options, variants, one option value per option per variant, prices in several currencies
  (some per region), images, and the join tables (tags, categories, images, sales channel, shipping profile).

The data is deliberately awkward: unicode titles (accents, CJK, emoji, right-to-left), titles over 255
characters, descriptions over 2000 characters, NULLs wherever a column allows them, nested jsonb metadata
(objects in arrays, unicode keys, empty objects), ~1.5 % soft-deleted products, variants, tags and collections
(a deleted product may reuse a live product's handle, as Medusa allows), created_at spread over two years
with microseconds and updated_at >= created_at (some rows share an updated_at, as after a bulk edit).

Ids follow Medusa's format: prefix + "_" + a 26-character ULID (Crockford base32): the first 10 characters
encode the row's created_at in milliseconds, the last 16 come from the seeded random generator.

Determinism: every value comes from random.Random(f"{seed}:{salt}") and a fixed time anchor, never from the
clock. The salt defaults to the number of rows already in `product`, so the same --seed into the same database
state gives the same catalog, while a second run into the same database gets a new salt (no id, handle or
SKU clash). Give --salt to pin it. Handles, SKUs and barcodes are also checked against the live rows. All
modules draw from that one generator, so the order of the draws is part of the output: moving a draw changes
the catalog a seed gives.

Memory: products are generated and inserted --batch at a time (default 1000), so --products 10000 does not hold
the whole catalog in memory.

Modules, pure ones first (no database):

- ids: Medusa-style ids (ULIDs in Crockford base32);
- moments: created_at / updated_at / deleted_at, and which rows are soft-deleted;
- values: titles, descriptions, handles, jsonb metadata, random counts;
- taxonomy: collections, types, tags, the category tree;
- regions: currencies, regions, countries, shipping options;
- products, media, pricing: batches of products with their options, variants, links, images and prices;
- database: reflection, inserts, what live rows already use;
- reference: the reference data written before the products;
- writer: the whole run inside the caller's transaction;
- summary: rows added per table, and the final table.
"""
