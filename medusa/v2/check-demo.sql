-- Checks for the demo catalog written by seed-demo.js (read-only).
--   psql -h 127.0.0.1 -U postgres -d <db> -v ON_ERROR_STOP=1 -f check-demo.sql
\pset footer off

\echo '== 1. rows per table: total / live / soft-deleted (deleted_at IS NOT NULL)'
SELECT t AS "table", total, total - soft_deleted AS live, soft_deleted FROM (
            SELECT 'product' t, count(*) total, count(deleted_at) soft_deleted FROM product
  UNION ALL SELECT 'product_variant', count(*), count(deleted_at) FROM product_variant
  UNION ALL SELECT 'product_option', count(*), count(deleted_at) FROM product_option
  UNION ALL SELECT 'product_option_value', count(*), count(deleted_at) FROM product_option_value
  UNION ALL SELECT 'product_product_option', count(*), count(deleted_at) FROM product_product_option
  UNION ALL SELECT 'product_product_option_value', count(*), count(deleted_at) FROM product_product_option_value
  UNION ALL SELECT 'product_variant_option', count(*), 0 FROM product_variant_option
  UNION ALL SELECT 'image', count(*), count(deleted_at) FROM image
  UNION ALL SELECT 'product_category', count(*), count(deleted_at) FROM product_category
  UNION ALL SELECT 'product_category_product', count(*), 0 FROM product_category_product
  UNION ALL SELECT 'product_collection', count(*), count(deleted_at) FROM product_collection
  UNION ALL SELECT 'product_type', count(*), count(deleted_at) FROM product_type
  UNION ALL SELECT 'product_tag', count(*), count(deleted_at) FROM product_tag
  UNION ALL SELECT 'product_tags', count(*), 0 FROM product_tags
  UNION ALL SELECT 'product_sales_channel', count(*), count(deleted_at) FROM product_sales_channel
  UNION ALL SELECT 'product_shipping_profile', count(*), count(deleted_at) FROM product_shipping_profile
  UNION ALL SELECT 'product_variant_price_set', count(*), count(deleted_at) FROM product_variant_price_set
  UNION ALL SELECT 'price_set', count(*), count(deleted_at) FROM price_set
  UNION ALL SELECT 'price', count(*), count(deleted_at) FROM price
  UNION ALL SELECT 'price_rule', count(*), count(deleted_at) FROM price_rule
  UNION ALL SELECT 'price_list', count(*), count(deleted_at) FROM price_list
  UNION ALL SELECT 'price_preference', count(*), count(deleted_at) FROM price_preference
  UNION ALL SELECT 'inventory_item', count(*), count(deleted_at) FROM inventory_item
  UNION ALL SELECT 'product_variant_inventory_item', count(*), count(deleted_at) FROM product_variant_inventory_item
  UNION ALL SELECT 'inventory_level', count(*), count(deleted_at) FROM inventory_level
  UNION ALL SELECT 'stock_location', count(*), count(deleted_at) FROM stock_location
  UNION ALL SELECT 'location_fulfillment_provider', count(*), count(deleted_at) FROM location_fulfillment_provider
  UNION ALL SELECT 'location_fulfillment_set', count(*), count(deleted_at) FROM location_fulfillment_set
  UNION ALL SELECT 'fulfillment_set', count(*), count(deleted_at) FROM fulfillment_set
  UNION ALL SELECT 'service_zone', count(*), count(deleted_at) FROM service_zone
  UNION ALL SELECT 'geo_zone', count(*), count(deleted_at) FROM geo_zone
  UNION ALL SELECT 'shipping_profile', count(*), count(deleted_at) FROM shipping_profile
  UNION ALL SELECT 'shipping_option', count(*), count(deleted_at) FROM shipping_option
  UNION ALL SELECT 'shipping_option_type', count(*), count(deleted_at) FROM shipping_option_type
  UNION ALL SELECT 'shipping_option_rule', count(*), count(deleted_at) FROM shipping_option_rule
  UNION ALL SELECT 'shipping_option_price_set', count(*), count(deleted_at) FROM shipping_option_price_set
  UNION ALL SELECT 'region', count(*), count(deleted_at) FROM region
  UNION ALL SELECT 'region_country (region_id set)', count(*), count(deleted_at) FROM region_country WHERE region_id IS NOT NULL
  UNION ALL SELECT 'region_payment_provider', count(*), count(deleted_at) FROM region_payment_provider
  UNION ALL SELECT 'tax_region', count(*), count(deleted_at) FROM tax_region
  UNION ALL SELECT 'store', count(*), count(deleted_at) FROM store
  UNION ALL SELECT 'store_currency', count(*), count(deleted_at) FROM store_currency
  UNION ALL SELECT 'sales_channel', count(*), count(deleted_at) FROM sales_channel
  UNION ALL SELECT 'sales_channel_stock_location', count(*), count(deleted_at) FROM sales_channel_stock_location
) c;

\echo '== 2. store currencies (default is usd, not the alphabetically first)'
SELECT s.name, sc.currency_code, sc.is_default
FROM store s JOIN store_currency sc ON sc.store_id = s.id AND sc.deleted_at IS NULL
ORDER BY sc.currency_code;

\echo '== 3. regions: currency, countries, payment providers'
SELECT r.name, r.currency_code,
       (SELECT string_agg(iso_2, ',' ORDER BY iso_2) FROM region_country rc WHERE rc.region_id = r.id) AS countries,
       (SELECT string_agg(payment_provider_id, ',') FROM region_payment_provider p WHERE p.region_id = r.id AND p.deleted_at IS NULL) AS payment_providers
FROM region r ORDER BY r.name;

\echo '== 4. stock locations: fulfillment provider, fulfillment set, service zone, geo zones'
SELECT sl.name AS location, lfp.fulfillment_provider_id, fs.name AS fulfillment_set, sz.name AS service_zone,
       (SELECT string_agg(country_code, ',' ORDER BY country_code) FROM geo_zone g WHERE g.service_zone_id = sz.id) AS geo_zones
FROM stock_location sl
JOIN location_fulfillment_provider lfp ON lfp.stock_location_id = sl.id
JOIN location_fulfillment_set lfs ON lfs.stock_location_id = sl.id
JOIN fulfillment_set fs ON fs.id = lfs.fulfillment_set_id
JOIN service_zone sz ON sz.fulfillment_set_id = fs.id
ORDER BY sl.name;

\echo '== 5. shipping options: prices (currency vs region rule) and rules'
SELECT so.name, p.currency_code, p.amount::text AS amount,
       (SELECT string_agg(pr.attribute || '=' || r.name, ',') FROM price_rule pr JOIN region r ON r.id = pr.value
         WHERE pr.price_id = p.id AND pr.deleted_at IS NULL) AS price_rule,
       (SELECT string_agg(sor.attribute || ' ' || sor.operator || ' ' || sor.value::text, '; ' ORDER BY sor.attribute)
          FROM shipping_option_rule sor WHERE sor.shipping_option_id = so.id) AS option_rules
FROM shipping_option so
JOIN shipping_option_price_set sops ON sops.shipping_option_id = so.id AND sops.deleted_at IS NULL
JOIN price p ON p.price_set_id = sops.price_set_id AND p.deleted_at IS NULL
ORDER BY so.name, p.currency_code, price_rule NULLS FIRST;

\echo '== 6. category tree'
SELECT c.name, c.handle, parent.name AS parent, c.mpath, c.rank
FROM product_category c LEFT JOIN product_category parent ON parent.id = c.parent_category_id
ORDER BY c.mpath;

\echo '== 7. variant prices by kind (live variants, live links)'
SELECT CASE WHEN p.price_list_id IS NOT NULL THEN 'price list price'
            WHEN EXISTS (SELECT 1 FROM price_rule pr WHERE pr.price_id = p.id AND pr.attribute = 'region_id' AND pr.deleted_at IS NULL)
              THEN 'region price (price_rule region_id)'
            ELSE 'currency price' END AS kind,
       count(*) AS prices
FROM product_variant v
JOIN product_variant_price_set pvps ON pvps.variant_id = v.id AND pvps.deleted_at IS NULL
JOIN price p ON p.price_set_id = pvps.price_set_id AND p.deleted_at IS NULL
WHERE v.deleted_at IS NULL
GROUP BY 1 ORDER BY 1;

\echo '== 8. all prices of TEE-S-BLACK (base prices vs the price-list prices)'
SELECT v.sku, p.currency_code, p.amount::text AS amount, pl.title AS price_list, pl.type AS list_type,
       (SELECT string_agg(pr.attribute || '=' || r.name, ',') FROM price_rule pr JOIN region r ON r.id = pr.value
         WHERE pr.price_id = p.id) AS price_rule
FROM product_variant v
JOIN product_variant_price_set pvps ON pvps.variant_id = v.id
JOIN price p ON p.price_set_id = pvps.price_set_id
LEFT JOIN price_list pl ON pl.id = p.price_list_id
WHERE v.sku IN ('TEE-S-BLACK', 'TOTE-NATURAL')
ORDER BY v.sku, pl.title NULLS FIRST, p.currency_code, price_rule NULLS FIRST;

\echo '== 9. the shared option (is_exclusive = false) and the values each product links'
SELECT o.title, o.is_exclusive, pr.handle, ppo.deleted_at IS NOT NULL AS link_deleted,
       (SELECT string_agg(ov.value, ',' ORDER BY ov.rank) FROM product_product_option_value ppov
          JOIN product_option_value ov ON ov.id = ppov.product_option_value_id
         WHERE ppov.product_product_option_id = ppo.id AND ppov.deleted_at IS NULL) AS linked_values
FROM product_option o
JOIN product_product_option ppo ON ppo.product_option_id = o.id
JOIN product pr ON pr.id = ppo.product_id
WHERE NOT o.is_exclusive
ORDER BY pr.handle;

\echo '== 10. inventory levels per location'
SELECT sl.name AS location, count(*) AS levels, sum(il.stocked_quantity) AS stocked, min(il.stocked_quantity) AS min, max(il.stocked_quantity) AS max
FROM inventory_level il JOIN stock_location sl ON sl.id = il.location_id
WHERE il.deleted_at IS NULL GROUP BY sl.name ORDER BY sl.name;
SELECT v.sku, sl.name AS location, il.stocked_quantity
FROM product_variant v
JOIN product_variant_inventory_item pvii ON pvii.variant_id = v.id AND pvii.deleted_at IS NULL
JOIN inventory_level il ON il.inventory_item_id = pvii.inventory_item_id AND il.deleted_at IS NULL
JOIN stock_location sl ON sl.id = il.location_id
WHERE v.sku LIKE 'TEE-%' ORDER BY v.sku, sl.name;

\echo '== 11. soft-deleted rows (what they belong to)'
SELECT 'product' AS "table", handle AS what FROM product WHERE deleted_at IS NOT NULL
UNION ALL SELECT 'product_variant', sku FROM product_variant WHERE deleted_at IS NOT NULL
UNION ALL SELECT 'product_option', o.title || ' of ' || coalesce(p.handle, '?') FROM product_option o
  LEFT JOIN product_product_option ppo ON ppo.product_option_id = o.id LEFT JOIN product p ON p.id = ppo.product_id
  WHERE o.deleted_at IS NOT NULL
UNION ALL SELECT 'product_option_value', ov.value || ' (' || o.title || ')' FROM product_option_value ov
  JOIN product_option o ON o.id = ov.option_id WHERE ov.deleted_at IS NOT NULL
UNION ALL SELECT 'product_product_option', p.handle FROM product_product_option x JOIN product p ON p.id = x.product_id WHERE x.deleted_at IS NOT NULL
UNION ALL SELECT 'image', p.handle || ' ' || i.url FROM image i JOIN product p ON p.id = i.product_id WHERE i.deleted_at IS NOT NULL
UNION ALL SELECT 'product_sales_channel', p.handle || ' / ' || sc.name FROM product_sales_channel x
  JOIN product p ON p.id = x.product_id JOIN sales_channel sc ON sc.id = x.sales_channel_id WHERE x.deleted_at IS NOT NULL
UNION ALL SELECT 'product_variant_price_set', v.sku FROM product_variant_price_set x JOIN product_variant v ON v.id = x.variant_id WHERE x.deleted_at IS NOT NULL
UNION ALL SELECT 'product_variant_inventory_item', v.sku FROM product_variant_inventory_item x JOIN product_variant v ON v.id = x.variant_id WHERE x.deleted_at IS NOT NULL
UNION ALL SELECT 'inventory_item', sku FROM inventory_item WHERE deleted_at IS NOT NULL
UNION ALL SELECT 'inventory_level', ii.sku FROM inventory_level il JOIN inventory_item ii ON ii.id = il.inventory_item_id WHERE il.deleted_at IS NOT NULL
UNION ALL SELECT 'product_shipping_profile', p.handle FROM product_shipping_profile x JOIN product p ON p.id = x.product_id WHERE x.deleted_at IS NOT NULL
UNION ALL SELECT 'price_set', count(*)::text FROM price_set WHERE deleted_at IS NOT NULL HAVING count(*) > 0
UNION ALL SELECT 'price', count(*)::text FROM price WHERE deleted_at IS NOT NULL HAVING count(*) > 0
UNION ALL SELECT 'price_rule', pr.attribute || ' (' || p.currency_code || ' ' || p.amount::text || ')' FROM price_rule pr
  JOIN price p ON p.id = pr.price_id WHERE pr.deleted_at IS NOT NULL
ORDER BY 1, 2;

\echo '== 12. products: odd values, images, collection, type, metadata'
SELECT p.handle, p.title, p.status, length(p.description) AS descr_len, p.is_giftcard,
       (SELECT count(*) FROM image i WHERE i.product_id = p.id AND i.deleted_at IS NULL) AS images,
       col.title AS collection, t.value AS type,
       (SELECT count(*) FROM product_tags pt WHERE pt.product_id = p.id) AS tags,
       p.metadata::text AS metadata
FROM product p LEFT JOIN product_collection col ON col.id = p.collection_id LEFT JOIN product_type t ON t.id = p.type_id
ORDER BY p.handle;

\echo '== 13. join tables WITHOUT deleted_at that still point at soft-deleted rows'
SELECT 'product_category_product' AS "table", p.handle || ' -> ' || c.handle AS what
FROM product_category_product x JOIN product p ON p.id = x.product_id JOIN product_category c ON c.id = x.product_category_id
WHERE p.deleted_at IS NOT NULL
UNION ALL SELECT 'product_tags', p.handle FROM product_tags x JOIN product p ON p.id = x.product_id WHERE p.deleted_at IS NOT NULL
UNION ALL SELECT 'product_variant_option', v.sku || ' -> ' || ov.value FROM product_variant_option x
  JOIN product_variant v ON v.id = x.variant_id JOIN product_option_value ov ON ov.id = x.option_value_id
  WHERE v.deleted_at IS NOT NULL OR ov.deleted_at IS NOT NULL
ORDER BY 1, 2;
