#!/usr/bin/env python3
"""Fill a migrated Medusa v1 database with a synthetic, schema-valid catalog (for load and edge-case tests).

    python scripts/generate_catalog.py --database-url URL [--products 1000] [--seed 42] [--batch 1000] [--salt S]

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
SKU clash). Give --salt to pin it. Handles, SKUs and barcodes are also checked against the live rows.

Memory: products are generated and inserted --batch at a time (default 1000), so --products 10000 does not hold
the whole catalog in memory. Exit codes: 0 done, 1 database unreachable or not migrated (or insert failed).
"""

from __future__ import annotations

import argparse
import itertools
import random
import re
import sys
import time
import unicodedata
from dataclasses import dataclass, field
from datetime import datetime, timedelta, timezone
from typing import Any, Callable, Iterable

import sqlalchemy as sa
from sqlalchemy.types import JSON

# --------------------------------------------------------------------------------------------------------------
# Constants
# --------------------------------------------------------------------------------------------------------------

CROCKFORD = "0123456789ABCDEFGHJKMNPQRSTVWXYZ"
EPOCH = datetime(1970, 1, 1, tzinfo=timezone.utc)
#: Fixed "now" of the generated history (not the clock, so runs are reproducible).
ANCHOR = datetime(2026, 6, 30, 12, 0, 0, tzinfo=timezone.utc)
HISTORY = timedelta(days=730)
START = ANCHOR - HISTORY
#: Moments of simulated bulk edits: rows updated then share exactly the same updated_at.
BULK_EDITS = tuple(
    ANCHOR - timedelta(days=d, seconds=3 * d + 17, microseconds=123_457 + d) for d in (0, 2, 31, 180, 400)
)
SOFT_DELETE_RATE = 0.015

#: Tables the generator writes or reads; a database missing any of them is not a migrated Medusa v1.
REQUIRED_TABLES = (
    "currency", "payment_provider", "fulfillment_provider", "store", "store_currencies", "region",
    "region_payment_providers", "region_fulfillment_providers", "country", "shipping_profile",
    "shipping_option", "product_collection", "product_type", "product_tag", "product_category", "product",
    "product_variant", "product_option", "product_option_value", "money_amount",
    "product_variant_money_amount", "image", "product_images", "product_tags", "product_category_product",
)
#: Also filled when present (Medusa links every product to a sales channel and a shipping profile).
OPTIONAL_TABLES = ("sales_channel", "product_sales_channel", "product_shipping_profile")
#: Insert order of one batch of products (parents first).
PRODUCT_TABLES = (
    "image", "product", "product_images", "product_option", "product_variant", "product_option_value",
    "money_amount", "product_variant_money_amount", "product_tags", "product_category_product",
    "product_sales_channel", "product_shipping_profile",
)

#: code -> (symbol, symbol_native, name); rows are inserted only for codes the database lacks.
CURRENCIES = {
    "usd": ("$", "$", "US Dollar"),
    "eur": ("€", "€", "Euro"),
    "gbp": ("£", "£", "British Pound Sterling"),
    "jpy": ("¥", "￥", "Japanese Yen"),
    "sek": ("Skr", "kr", "Swedish Krona"),
    "dkk": ("Dkr", "kr", "Danish Krone"),
    "nok": ("Nkr", "kr", "Norwegian Krone"),
    "chf": ("CHF", "CHF", "Swiss Franc"),
    "brl": ("R$", "R$", "Brazilian Real"),
    "cad": ("CA$", "$", "Canadian Dollar"),
    "krw": ("₩", "₩", "South Korean Won"),
    "ils": ("₪", "₪", "Israeli New Sheqel"),
}
#: Currencies whose amounts are whole units (no cents): prices are scaled accordingly.
ZERO_DECIMAL = {"jpy", "krw"}
#: (name, currency, tax_rate, tax_code) of the generated regions.
REGIONS = (
    ("Norden ❄", "sek", 25.0, "SE-STD"),
    ("日本 (Japan)", "jpy", 10.0, None),
    ("América Latina", "brl", 17.5, "BR-ICMS"),
    ("Schweiz / Suisse / Svizzera", "chf", 8.1, None),
    ("ישראל", "ils", 17.0, None),
)
PROVIDER = "manual"

PLAIN_WORDS = (
    "Classic", "Organic", "Vintage", "Everyday", "Premium", "Cotton", "Linen", "Wool", "Canvas", "Leather",
    "Ceramic", "Bamboo", "Travel", "Studio", "Urban", "Alpine", "Coastal", "Midnight", "Sunrise", "Heritage",
    "Shirt", "Hoodie", "Mug", "Tote", "Sneaker", "Cap", "Scarf", "Lamp", "Backpack", "Notebook", "Teapot",
    "Jacket", "Socks", "Blanket", "Bottle", "Pillow", "Sweater", "Candle", "Wallet", "Belt",
)
ACCENT_WORDS = (
    "Crème", "Café", "Façade", "Über", "Ñandú", "Smörgås", "Żółć", "Déjà-vu", "Ærø", "Crêpe", "Mañana", "Größe",
)
CJK_WORDS = ("木製", "茶碗", "ティーシャツ", "한국 가방", "抹茶", "手作り", "靴下", "陶器", "风格", "잠옷")
EMOJI = ("🔥", "👕", "☕", "🚀", "✨", "🏳️‍🌈", "👍🏽", "🇯🇵", "🧶", "❤️")
RTL_WORDS = ("قميص قطني", "حقيبة جلدية", "כוס קפה", "חולצה", "שמיכה", "مصباح")
MATERIALS = ("Cotton", "Baumwolle 100 %", "綿", "Laine mérinos", "Polyester ♻", "Leder", "Ceramic", "Bamboo")
COUNTRIES = ("us", "de", "fr", "jp", "cn", "se", "br", "it", "pt", "in", "kr", "il")
OPTION_KINDS = (
    ("Size", ("XS", "S", "M", "L", "XL", "XXL")),
    ("Color", ("Black", "White", "Crème", "Navy", "Olive", "赤", "Rosé")),
    ("Material", ("Cotton", "Wool", "Linen", "Silk", "Bamboo")),
    ("Größe", ("36", "38", "40", "42", "44")),
    ("色 / Colour", ("藍", "白", "黒", "緑")),
    ("Pack", ("1", "3", "6", "12")),
)
TAG_WORDS = ("summer", "winter", "sale", "new", "eco", "bestseller", "gift", "limited", "été", "セール", "🔥hot", "הנחה")
TYPE_VALUES = ("T-Shirt", "Hoodie", "Mug", "Tote", "Sneaker", "Accessory", "Tasse ☕", "靴", "Gift Card", "Décor")
LOREM = (
    "Soft to the touch and built to last.", "Made in small batches by people who care.",
    "Lávese a 30 °C; no usar secadora.", "お手入れは簡単です。", "Der Klassiker für jeden Tag.",
    "يمكن غسله في الغسالة.", "מתאים לכל עונה.", "Ships in recycled packaging 📦.",
    "Includes <b>HTML</b> & \"quotes\" and a backslash \\ too.", "Line one\nline two\ttabbed.",
)


# --------------------------------------------------------------------------------------------------------------
# Pure helpers: ids, time, text
# --------------------------------------------------------------------------------------------------------------

def crockford(value: int, length: int) -> str:
    """Encode a non-negative integer as `length` Crockford base32 characters (most significant first)."""
    chars = []
    for _ in range(length):
        value, digit = divmod(value, 32)
        chars.append(CROCKFORD[digit])
    if value:
        raise ValueError("value does not fit in the requested length")
    return "".join(reversed(chars))


def make_id(prefix: str, rng: random.Random, when: datetime) -> str:
    """A Medusa-style id: `prefix_` + ULID (10 chars of `when` in ms, 16 chars of randomness from `rng`)."""
    millis = (when - EPOCH) // timedelta(milliseconds=1)
    return f"{prefix}_{crockford(millis, 10)}{crockford(rng.getrandbits(80), 16)}"


def random_moment(rng: random.Random, start: datetime = START, end: datetime = ANCHOR) -> datetime:
    """A moment in [start, end] with microsecond precision."""
    span = max((end - start) // timedelta(microseconds=1), 0)
    return start + timedelta(microseconds=rng.randint(0, span))


def updated_after(rng: random.Random, created: datetime) -> datetime:
    """An updated_at >= created: equal 20 %, a shared bulk-edit moment 10 %, otherwise later (till ANCHOR)."""
    roll = rng.random()
    if roll < 0.2:
        return created
    if roll < 0.3:
        later = [moment for moment in BULK_EDITS if moment >= created]
        if later:
            return rng.choice(later)
    return random_moment(rng, created, ANCHOR)


def stamps(rng: random.Random, after: datetime | None = None, within: timedelta | None = None) -> dict[str, datetime]:
    """created_at (in the history, or shortly after `after`) and updated_at >= created_at."""
    if after is None:
        created = random_moment(rng)
    else:
        created = random_moment(rng, after, min(after + (within or HISTORY), ANCHOR))
    return {"created_at": created, "updated_at": updated_after(rng, created)}


def deleted_after(rng: random.Random, updated: datetime) -> datetime:
    """A deleted_at at or after updated_at."""
    return random_moment(rng, updated, ANCHOR)


def token(rng: random.Random, length: int = 5) -> str:
    """A short lowercase base32 token."""
    return crockford(rng.getrandbits(5 * length), length).lower()


def slugify(text: str, max_length: int = 48) -> str:
    """ASCII slug of `text` (accents folded, other scripts dropped); may be empty."""
    folded = unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode("ascii").lower()
    slug = re.sub(r"[^a-z0-9]+", "-", folded).strip("-")
    return slug[:max_length].rstrip("-")


def unique_value(make: Callable[[], str], taken: set[str]) -> str:
    """Call `make` until it returns a value not in `taken`; record and return it."""
    while True:
        value = make()
        if value not in taken:
            taken.add(value)
            return value


def make_handle(rng: random.Random, title: str, taken: set[str], fallback: str = "item") -> str:
    """A handle `slug-token` unique in `taken` (and added to it)."""
    base = slugify(title) or fallback
    return unique_value(lambda: f"{base}-{token(rng)}", taken)


def maybe(rng: random.Random, probability: float, make: Callable[[], Any]) -> Any:
    """`make()` with the given probability, else None."""
    return make() if rng.random() < probability else None


def product_title(rng: random.Random) -> str:
    """A product title in one of several scripts; about 2 % are longer than 255 characters."""
    plain = lambda n: " ".join(rng.choice(PLAIN_WORDS) for _ in range(n))  # noqa: E731
    roll = rng.random()
    if roll < 0.50:
        return plain(rng.randint(2, 4))
    if roll < 0.64:
        return f"{rng.choice(ACCENT_WORDS)} {plain(rng.randint(1, 2))}"
    if roll < 0.74:
        return "".join(rng.choice(CJK_WORDS) for _ in range(rng.randint(1, 3)))
    if roll < 0.84:
        return f"{plain(2)} {rng.choice(EMOJI)}"
    if roll < 0.92:
        return rng.choice(RTL_WORDS)
    if roll < 0.98:
        return f"{rng.choice(ACCENT_WORDS)} {rng.choice(CJK_WORDS)} {rng.choice(RTL_WORDS)} {rng.choice(EMOJI)}"
    words = []
    while sum(len(w) + 1 for w in words) < 256 + rng.randint(0, 200):
        words.append(rng.choice(PLAIN_WORDS + ACCENT_WORDS + CJK_WORDS))
    return " ".join(words)


def description(rng: random.Random) -> str | None:
    """NULL (15 %), empty (5 %), over 2000 characters (5 %) or a few sentences."""
    roll = rng.random()
    if roll < 0.15:
        return None
    if roll < 0.20:
        return ""
    if roll < 0.25:
        parts: list[str] = []
        target = 2001 + rng.randint(0, 3000)
        while sum(len(p) + 1 for p in parts) < target:
            parts.append(rng.choice(LOREM))
        return " ".join(parts)
    return " ".join(rng.choice(LOREM) for _ in range(rng.randint(1, 3)))


def metadata(rng: random.Random) -> dict[str, Any] | None:
    """jsonb metadata: NULL (35 %), {} (10 %) or a nested object with arrays of objects and unicode keys."""
    roll = rng.random()
    if roll < 0.35:
        return None
    if roll < 0.45:
        return {}
    value: dict[str, Any] = {"source": "generate_catalog", "rank": rng.randint(0, 100)}
    if rng.random() < 0.6:
        value["attributes"] = [
            {"name": "fit", "value": rng.choice(["slim", "regular", "oversize"])},
            {"name": "größe", "values": ["S", "M", {"custom": True}]},
            {},
        ]
    if rng.random() < 0.5:
        value["ñandú"] = {"nested": {"deep": [1, 2.5, True, None, "x"], "empty": {}}, "list": []}
    if rng.random() < 0.3:
        value["🔥"] = rng.choice(EMOJI)
        value["عربي"] = "قيمة"
        value["中文"] = {"键": "值"}
    if rng.random() < 0.2:
        value["null_value"] = None
        value["quote\"key"] = "back\\slash"
    return value


def weighted_count(rng: random.Random, weights: dict[int, int]) -> int:
    """Draw a count from {count: weight}."""
    return rng.choices(list(weights), weights=list(weights.values()))[0]


# --------------------------------------------------------------------------------------------------------------
# Pure builders of reference data
# --------------------------------------------------------------------------------------------------------------

def soft_deleted_indexes(rng: random.Random, n: int, rate: float = SOFT_DELETE_RATE) -> set[int]:
    """Which of n rows to soft-delete: about `rate` of them, at least one when n >= 5."""
    count = max(1 if n >= 5 else 0, round(n * rate))
    return set(rng.sample(range(n), count))


def build_collections(rng: random.Random, n: int, taken_handles: set[str]) -> list[dict]:
    """n product_collection rows with unique live handles, a few soft-deleted."""
    deleted = soft_deleted_indexes(rng, n)
    rows = []
    for i in range(n):
        title = rng.choice((
            f"{rng.choice(PLAIN_WORDS)} Collection", f"Été {2024 + i % 3}", "コレクション", f"Drop {i} {rng.choice(EMOJI)}",
        ))
        when = stamps(rng)
        rows.append({
            "id": make_id("pcol", rng, when["created_at"]), "title": title,
            "handle": make_handle(rng, title, taken_handles, "collection"), **when,
            "deleted_at": deleted_after(rng, when["updated_at"]) if i in deleted else None,
            "metadata": metadata(rng),
        })
    return rows


def build_types(rng: random.Random, n: int) -> list[dict]:
    """n product_type rows."""
    rows = []
    for i in range(n):
        when = stamps(rng)
        value = TYPE_VALUES[i % len(TYPE_VALUES)] + ("" if i < len(TYPE_VALUES) else f" {i}")
        rows.append({
            "id": make_id("ptyp", rng, when["created_at"]), "value": value, **when,
            "deleted_at": None, "metadata": metadata(rng),
        })
    return rows


def build_tags(rng: random.Random, n: int) -> list[dict]:
    """n product_tag rows (values may repeat, as nothing forbids it), a few soft-deleted."""
    deleted = soft_deleted_indexes(rng, n)
    rows = []
    for i in range(n):
        when = stamps(rng)
        value = rng.choice(TAG_WORDS) + ("" if i < len(TAG_WORDS) else f"-{token(rng, 3)}")
        rows.append({
            "id": make_id("ptag", rng, when["created_at"]), "value": value, **when,
            "deleted_at": deleted_after(rng, when["updated_at"]) if i in deleted else None,
            "metadata": metadata(rng),
        })
    return rows


def build_category_tree(
    rng: random.Random, taken_handles: set[str], root_rank: int = 0, roots: int = 3, depth: int = 4,
) -> list[dict]:
    """A product_category tree: `roots` roots (ranks from `root_rank`), every branch 3 levels deep, some 4.

    mpath is Medusa's materialized path (`pcat_a.pcat_b.`), ranks are 0.. among siblings.
    """
    rows: list[dict] = []

    def add(parent: dict | None, rank: int, level: int) -> None:
        name = rng.choice((
            rng.choice(PLAIN_WORDS), rng.choice(ACCENT_WORDS), rng.choice(CJK_WORDS),
            f"{rng.choice(PLAIN_WORDS)} {rng.choice(EMOJI)}",
        ))
        when = stamps(rng, parent["created_at"] if parent else None, timedelta(days=30))
        cid = make_id("pcat", rng, when["created_at"])
        row = {
            "id": cid, "name": name, "handle": make_handle(rng, name, taken_handles, "category"),
            "parent_category_id": parent["id"] if parent else None,
            "mpath": (parent["mpath"] if parent else "") + cid + ".",
            "is_active": rng.random() < 0.9, "is_internal": rng.random() < 0.05, **when, "rank": rank,
            "description": rng.choice(("", "", rng.choice(LOREM))), "metadata": metadata(rng),
        }
        rows.append(row)
        if level < 3 or (level < depth and rng.random() < 0.4):
            for child_rank in range(rng.randint(2, 3)):
                add(row, child_rank, level + 1)

    for i in range(roots):
        add(None, root_rank + i, 1)
    return rows


def build_regions(rng: random.Random) -> list[dict]:
    """One region row per entry of REGIONS."""
    rows = []
    for name, currency, tax_rate, tax_code in REGIONS:
        when = stamps(rng)
        rows.append({
            "id": make_id("reg", rng, when["created_at"]), "name": name, "currency_code": currency,
            "tax_rate": tax_rate, "tax_code": tax_code, **when, "deleted_at": None, "metadata": metadata(rng),
            "gift_cards_taxable": rng.random() < 0.7, "automatic_taxes": rng.random() < 0.8, "tax_provider_id": None,
        })
    return rows


def assign_countries(rng: random.Random, free_country_ids: list[int], region_ids: list[str]) -> list[dict]:
    """Give each region 1-4 of the countries that have no region (never one country twice)."""
    pool = list(free_country_ids)
    rng.shuffle(pool)
    assignments = []
    for region_id in region_ids:
        for _ in range(rng.randint(1, 4)):
            if pool:
                assignments.append({"b_id": pool.pop(), "b_region": region_id})
    return assignments


def build_shipping_options(
    rng: random.Random, regions: list[dict], profile_ids: list[str], price_types: list[str],
) -> list[dict]:
    """Per region: a standard, an express, a calculated (NULL amount), a return and an admin-only option."""
    flat = "flat_rate" if "flat_rate" in price_types else price_types[0]
    calculated = "calculated" if "calculated" in price_types else price_types[-1]
    specs = (
        ("Standard", flat, lambda: rng.randint(300, 1500), False, False),
        ("Express ⚡", flat, lambda: rng.randint(1500, 4000), False, False),
        ("Calculated (carrier)", calculated, lambda: None, False, False),
        ("Retour / Return", flat, lambda: 0, True, False),
        ("Pickup (staff only)", flat, lambda: 0, False, True),
    )
    rows = []
    for region in regions:
        for name, price_type, amount, is_return, admin_only in specs:
            when = stamps(rng, region["created_at"], timedelta(days=5))
            rows.append({
                "id": make_id("so", rng, when["created_at"]), "name": f"{name} — {region['name']}",
                "region_id": region["id"], "profile_id": rng.choice(profile_ids), "provider_id": PROVIDER,
                "price_type": price_type, "amount": amount(), "is_return": is_return,
                "data": {"id": "manual-fulfillment"} if rng.random() < 0.7
                else {"id": "manual-fulfillment", "options": [{"carrier": "ポスト"}, {}]},
                **when, "deleted_at": None, "metadata": metadata(rng), "admin_only": admin_only,
            })
    return rows


# --------------------------------------------------------------------------------------------------------------
# The product generator (pure: no database)
# --------------------------------------------------------------------------------------------------------------

@dataclass
class Taken:
    """Values that must stay unique (among live rows, or among all rows for category handles)."""

    product_handles: set[str] = field(default_factory=set)
    collection_handles: set[str] = field(default_factory=set)
    category_handles: set[str] = field(default_factory=set)
    skus: set[str] = field(default_factory=set)
    barcodes: set[str] = field(default_factory=set)
    eans: set[str] = field(default_factory=set)
    upcs: set[str] = field(default_factory=set)


@dataclass
class Catalog:
    """What products point at: ids of the reference rows."""

    currencies: list[str]
    region_by_currency: dict[str, list[str]]
    collections: list[str]
    types: list[str]
    tags: list[str]
    categories: list[str]
    statuses: list[str]
    default_profile: str | None = None
    gift_card_profile: str | None = None
    custom_profile: str | None = None
    sales_channel: str | None = None


class ProductGenerator:
    """Generates batches of product rows (and all their children) from a seeded RNG."""

    def __init__(self, rng: random.Random, taken: Taken, catalog: Catalog):
        self.rng = rng
        self.taken = taken
        self.catalog = catalog
        tag_weights = [1 / (rank + 1) ** 0.8 for rank in range(len(catalog.tags))]
        self._tag_cum = list(itertools.accumulate(tag_weights))
        self._live_handles: list[str] = []
        self._live_skus: list[str] = []
        self._sku_counter = 0

    def batch(self, start: int, count: int) -> dict[str, list[dict]]:
        """Rows of products start .. start+count-1 and their children, keyed by table name."""
        rows: dict[str, list[dict]] = {name: [] for name in PRODUCT_TABLES}
        for index in range(start, start + count):
            self._product(index, rows)
        return rows

    def _product(self, index: int, rows: dict[str, list[dict]]) -> None:
        """Append one product with its options, variants, prices, images and links."""
        rng, catalog = self.rng, self.catalog
        when = stamps(rng)
        deleted_at = deleted_after(rng, when["updated_at"]) if index % 64 == 7 else None
        title = product_title(rng)
        if deleted_at and self._live_handles and rng.random() < 0.5:
            handle = rng.choice(self._live_handles)  # live rows only must be unique: Medusa allows this
        else:
            handle = make_handle(rng, title, self.taken.product_handles, "product")
            if deleted_at is None and len(self._live_handles) < 1000:
                self._live_handles.append(handle)
        is_giftcard = rng.random() < 0.02
        product = {
            "id": make_id("prod", rng, when["created_at"]), "title": title,
            "subtitle": maybe(rng, 0.5, lambda: rng.choice(LOREM)), "description": description(rng),
            "handle": handle, "is_giftcard": is_giftcard, "thumbnail": None,
            **self._dimensions(),
            "hs_code": maybe(rng, 0.4, lambda: f"{rng.randint(1000, 9999)}.{rng.randint(10, 99)}"),
            "origin_country": maybe(rng, 0.5, lambda: rng.choice(COUNTRIES)),
            "mid_code": maybe(rng, 0.1, lambda: token(rng, 8).upper()),
            "material": maybe(rng, 0.5, lambda: rng.choice(MATERIALS)), **when, "deleted_at": deleted_at,
            "metadata": metadata(rng),
            "collection_id": maybe(rng, 0.75, lambda: rng.choice(catalog.collections)) if catalog.collections else None,
            "type_id": maybe(rng, 0.7, lambda: rng.choice(catalog.types)) if catalog.types else None,
            "discountable": rng.random() < 0.9, "status": self._status(),
            "external_id": maybe(rng, 0.05, lambda: f"ext-{token(rng, 10)}"),
        }
        rows["product"].append(product)
        self._images(product, rows)
        variants = weighted_count(rng, {1: 15, 2: 20, 3: 30, 4: 20, 5: 15})
        options = self._options(product, variants, rows)
        self._variants(product, options, variants, rows)
        self._links(product, rows)

    def _dimensions(self) -> dict[str, int | None]:
        """weight/length/height/width, each NULL 40 % of the time."""
        dimensions = ("weight", "length", "height", "width")
        return {key: maybe(self.rng, 0.6, lambda: self.rng.randint(1, 20000)) for key in dimensions}

    def _status(self) -> str:
        """Mostly 'published', sometimes any other value of the status enum."""
        statuses = self.catalog.statuses
        if "published" in statuses and self.rng.random() < 0.8:
            return "published"
        return self.rng.choice(statuses)

    def _images(self, product: dict, rows: dict[str, list[dict]]) -> None:
        """0-4 images; the thumbnail is the first one (or, rarely, a URL with no image row)."""
        rng = self.rng
        for position in range(weighted_count(rng, {0: 15, 1: 35, 2: 25, 3: 15, 4: 10})):
            when = stamps(rng, product["created_at"], timedelta(hours=2))
            image_id = make_id("img", rng, when["created_at"])
            view = rng.choice(("front", "back", "détail", "側面"))
            url = f"https://cdn.example.com/catalog/{image_id.lower()}/{view}-{position}.jpg"
            rows["image"].append({
                "id": image_id, "url": url, **when, "deleted_at": None,
                "metadata": maybe(rng, 0.2, lambda: {"alt": product["title"][:80]}),
            })
            rows["product_images"].append({"product_id": product["id"], "image_id": image_id})
            if position == 0:
                product["thumbnail"] = url
        if product["thumbnail"] is None and rng.random() < 0.05:
            product["thumbnail"] = f"https://cdn.example.com/missing/{token(rng, 12)}.png"

    def _options(self, product: dict, variants: int, rows: dict[str, list[dict]]) -> list[tuple[dict, list[str]]]:
        """1-3 product options, each with the 2+ values its variants will use (enough for `variants` combinations)."""
        rng = self.rng
        kinds = rng.sample(OPTION_KINDS, weighted_count(rng, {1: 45, 2: 40, 3: 15}))
        sizes = [rng.randint(2, min(4, len(values))) for _, values in kinds]
        if len(kinds) == 1:
            sizes[0] = max(sizes[0], min(variants, len(kinds[0][1])))
        options = []
        for (title, values), size in zip(kinds, sizes):
            when = stamps(rng, product["created_at"], timedelta(minutes=5))
            option = {
                "id": make_id("opt", rng, when["created_at"]), "title": title, **when,
                "deleted_at": product["deleted_at"], "metadata": maybe(rng, 0.1, lambda: {}),
                "product_id": product["id"],
            }
            rows["product_option"].append(option)
            options.append((option, rng.sample(values, size)))
        return options

    def _variants(
        self, product: dict, options: list[tuple[dict, list[str]]], count: int, rows: dict[str, list[dict]],
    ) -> None:
        """`count` variants (distinct combinations of option values), one option value per option each."""
        rng = self.rng
        combos = list(itertools.product(*(values for _, values in options)))
        rng.shuffle(combos)
        for rank, combo in enumerate(combos[:count]):
            variant = self._variant(product, combo, rank)
            rows["product_variant"].append(variant)
            for (option, _), value in zip(options, combo):
                rows["product_option_value"].append({
                    "id": make_id("optval", rng, variant["created_at"]), "value": value, "option_id": option["id"],
                    "variant_id": variant["id"],
                    "created_at": variant["created_at"], "updated_at": variant["updated_at"],
                    "deleted_at": variant["deleted_at"], "metadata": maybe(rng, 0.05, lambda: {"swatch": "#ff0000"}),
                })
            self._prices(variant, rows)

    def _variant(self, product: dict, combo: tuple[str, ...], rank: int) -> dict:
        """One product_variant row; soft-deleted with its product, or on its own ~1.5 % of the time."""
        rng, taken = self.rng, self.taken
        when = stamps(rng, product["created_at"], timedelta(days=3))
        deleted_at = product["deleted_at"]
        if deleted_at is None and rng.random() < SOFT_DELETE_RATE:
            deleted_at = deleted_after(rng, when["updated_at"])
        if deleted_at and self._live_skus and rng.random() < 0.5:
            sku = rng.choice(self._live_skus)  # a deleted variant may carry a live variant's SKU
        elif rng.random() < 0.1:
            sku = None
        else:
            self._sku_counter += 1
            sku = unique_value(lambda: f"SKU-{self._sku_counter:06d}-{token(rng, 4).upper()}", taken.skus)
            if deleted_at is None and len(self._live_skus) < 1000:
                self._live_skus.append(sku)
        digits = lambda n: "".join(rng.choice("0123456789") for _ in range(n))  # noqa: E731
        return {
            "id": make_id("variant", rng, when["created_at"]), "title": " / ".join(combo), "product_id": product["id"],
            "sku": sku,
            "barcode": maybe(rng, 0.6, lambda: unique_value(lambda: digits(13), taken.barcodes)),
            "ean": maybe(rng, 0.2, lambda: unique_value(lambda: digits(13), taken.eans)),
            "upc": maybe(rng, 0.15, lambda: unique_value(lambda: digits(12), taken.upcs)),
            "inventory_quantity": rng.choice((0, rng.randint(1, 500), rng.randint(1, 50), -rng.randint(1, 5))),
            "allow_backorder": rng.random() < 0.2, "manage_inventory": rng.random() < 0.85,
            "hs_code": maybe(rng, 0.2, lambda: f"{rng.randint(1000, 9999)}.{rng.randint(10, 99)}"),
            "origin_country": maybe(rng, 0.3, lambda: rng.choice(COUNTRIES)),
            "mid_code": None, "material": maybe(rng, 0.3, lambda: rng.choice(MATERIALS)),
            **self._dimensions(), **when, "deleted_at": deleted_at, "metadata": metadata(rng), "variant_rank": rank,
        }

    def _prices(self, variant: dict, rows: dict[str, list[dict]]) -> None:
        """2-4 prices in different currencies; ~30 % of those with a region of that currency are region prices."""
        rng, catalog = self.rng, self.catalog
        base = rng.randint(0, 30000) if rng.random() > 0.02 else 0
        count = min(len(catalog.currencies), weighted_count(rng, {2: 25, 3: 50, 4: 25}))
        for currency in rng.sample(catalog.currencies, count):
            regions = catalog.region_by_currency.get(currency)
            tiered = rng.random() < 0.05
            when = stamps(rng, variant["created_at"], timedelta(minutes=10))
            amount = {
                "id": make_id("ma", rng, when["created_at"]), "currency_code": currency,
                "amount": base * 150 // 100 if currency in ZERO_DECIMAL else base,
                "region_id": rng.choice(regions) if regions and rng.random() < 0.3 else None,
                **when, "deleted_at": None,
                "min_quantity": 10 if tiered else None, "max_quantity": 99 if tiered and rng.random() < 0.5 else None,
                "price_list_id": None,
            }
            rows["money_amount"].append(amount)
            rows["product_variant_money_amount"].append({
                "id": make_id("pvma", rng, when["created_at"]),
                "money_amount_id": amount["id"], "variant_id": variant["id"],
                "deleted_at": None, **when,
            })

    def _links(self, product: dict, rows: dict[str, list[dict]]) -> None:
        """Tags (skewed so that popular tags are shared), categories, sales channel, shipping profile."""
        rng, catalog = self.rng, self.catalog
        if catalog.tags:
            count = weighted_count(rng, {0: 10, 1: 25, 2: 30, 3: 20, 5: 15})
            picked = rng.choices(catalog.tags, cum_weights=self._tag_cum, k=count)
            for tag_id in dict.fromkeys(picked):
                rows["product_tags"].append({"product_id": product["id"], "product_tag_id": tag_id})
        if catalog.categories:
            count = min(len(catalog.categories), weighted_count(rng, {0: 15, 1: 55, 2: 20, 3: 10}))
            for category_id in rng.sample(catalog.categories, count):
                link = {"product_category_id": category_id, "product_id": product["id"]}
                rows["product_category_product"].append(link)
        if catalog.sales_channel and rng.random() < 0.9:
            link = {"product_id": product["id"], "sales_channel_id": catalog.sales_channel}
            rows["product_sales_channel"].append(link)
        profile = catalog.gift_card_profile if product["is_giftcard"] else (
            catalog.custom_profile if rng.random() < 0.1 else catalog.default_profile)
        if profile:
            rows["product_shipping_profile"].append({"profile_id": profile, "product_id": product["id"]})


# --------------------------------------------------------------------------------------------------------------
# Database side
# --------------------------------------------------------------------------------------------------------------

class NotMigrated(Exception):
    """The database lacks tables of Medusa v1's schema."""


def engine_url(url: str) -> sa.URL:
    """Parse a Postgres URL, naming the psycopg 3 driver when none is given."""
    parsed = sa.make_url(url)
    if parsed.drivername in ("postgres", "postgresql"):
        parsed = parsed.set(drivername="postgresql+psycopg")
    return parsed


def reflect_tables(conn: sa.Connection) -> dict[str, sa.Table]:
    """Reflect every table the generator uses; raise NotMigrated naming the missing ones.

    jsonb columns are switched to store Python None as SQL NULL (not the JSON literal null).
    """
    present = set(sa.inspect(conn).get_table_names())
    missing = [name for name in REQUIRED_TABLES if name not in present]
    if missing:
        raise NotMigrated(", ".join(missing))
    metadata_ = sa.MetaData()
    names = [name for name in REQUIRED_TABLES + OPTIONAL_TABLES if name in present]
    tables = {name: sa.Table(name, metadata_, autoload_with=conn) for name in names}
    for table in tables.values():
        for column in table.columns:
            if isinstance(column.type, JSON):
                column.type.none_as_null = True
    return tables


def insert(conn: sa.Connection, table: sa.Table, rows: list[dict], batch: int) -> int:
    """Insert rows with executemany, `batch` rows per call; return how many."""
    for start in range(0, len(rows), batch):
        conn.execute(table.insert(), rows[start:start + batch])
    return len(rows)


def scalar_set(conn: sa.Connection, column: sa.Column, *where: Any) -> set:
    """The set of non-NULL values of `column` (filtered by `where`)."""
    query = sa.select(column).where(column.is_not(None), *where)
    return set(conn.scalars(query))


def load_taken(conn: sa.Connection, t: dict[str, sa.Table]) -> Taken:
    """Handles, SKUs and codes already used by live rows (category handles: by any row)."""
    product, variant, collection = t["product"], t["product_variant"], t["product_collection"]
    live_variant = variant.c.deleted_at.is_(None)
    return Taken(
        product_handles=scalar_set(conn, product.c.handle, product.c.deleted_at.is_(None)),
        collection_handles=scalar_set(conn, collection.c.handle, collection.c.deleted_at.is_(None)),
        category_handles=scalar_set(conn, t["product_category"].c.handle),
        skus=scalar_set(conn, variant.c.sku, live_variant),
        barcodes=scalar_set(conn, variant.c.barcode, live_variant),
        eans=scalar_set(conn, variant.c.ean, live_variant),
        upcs=scalar_set(conn, variant.c.upc, live_variant),
    )


def ensure_currencies(conn: sa.Connection, t: dict[str, sa.Table], batch: int) -> int:
    """Insert the CURRENCIES rows the database lacks; return how many were inserted."""
    currency = t["currency"]
    existing = scalar_set(conn, currency.c.code, currency.c.code.in_(list(CURRENCIES)))
    rows = [
        {"code": code, "symbol": symbol, "symbol_native": native, "name": name}
        for code, (symbol, native, name) in CURRENCIES.items() if code not in existing
    ]
    return insert(conn, currency, rows, batch)


def ensure_providers(conn: sa.Connection, t: dict[str, sa.Table]) -> dict[str, int]:
    """Make sure the `manual` payment and fulfillment providers exist; return rows inserted per table."""
    added = {}
    for name in ("payment_provider", "fulfillment_provider"):
        table = t[name]
        present = conn.scalar(sa.select(sa.func.count()).select_from(table).where(table.c.id == PROVIDER))
        added[name] = 0 if present else insert(conn, table, [{"id": PROVIDER, "is_installed": True}], 1)
    return added


def ensure_store(conn: sa.Connection, t: dict[str, sa.Table], rng: random.Random) -> tuple[dict, int]:
    """The oldest store, created first if there is none; return (store as a dict, rows inserted)."""
    store = t["store"]
    row = conn.execute(sa.select(store).order_by(store.c.created_at, store.c.id).limit(1)).mappings().first()
    if row is not None:
        return dict(row), 0
    when = stamps(rng)
    new = {
        "id": make_id("store", rng, when["created_at"]), "name": "Synthetic Store ✨", "default_currency_code": "usd",
        "swap_link_template": None, **when, "metadata": metadata(rng), "payment_link_template": None,
        "invite_link_template": None, "default_sales_channel_id": None, "default_location_id": None,
    }
    insert(conn, store, [new], 1)
    return new, 1


def ensure_store_currencies(
    conn: sa.Connection, t: dict[str, sa.Table], store_id: str, codes: Iterable[str], batch: int,
) -> int:
    """Link the store to every code in `codes` it is not linked to yet; return rows inserted."""
    table = t["store_currencies"]
    linked = scalar_set(conn, table.c.currency_code, table.c.store_id == store_id)
    rows = [{"store_id": store_id, "currency_code": code} for code in codes if code not in linked]
    return insert(conn, table, rows, batch)


def ensure_profiles(
    conn: sa.Connection, t: dict[str, sa.Table], rng: random.Random,
) -> tuple[dict[str, str], list[dict]]:
    """Live shipping profiles by type (default, gift_card, custom); create a custom one and any type missing."""
    table = t["shipping_profile"]
    by_type: dict[str, str] = {}
    live = sa.select(table.c.id, table.c.type).where(table.c.deleted_at.is_(None))
    for row in conn.execute(live.order_by(table.c.created_at, table.c.id)):
        by_type.setdefault(row.type, row.id)
    names = {"default": "Default Shipping Profile", "gift_card": "Gift Card Profile", "custom": "Sperrgut / Bulky 📦"}
    new = []
    for kind in table.c.type.type.enums:  # the schema's enum: default, gift_card, custom
        if kind == "custom" or kind not in by_type:
            when = stamps(rng)
            profile = {
                "id": make_id("sp", rng, when["created_at"]), "name": names.get(kind, kind), "type": kind, **when,
                "deleted_at": None, "metadata": metadata(rng),
            }
            new.append(profile)
            by_type[kind] = profile["id"]
    return by_type, new


def count_rows(conn: sa.Connection, tables: Iterable[sa.Table]) -> dict[str, int]:
    """Row count of each table."""
    return {table.name: conn.scalar(sa.select(sa.func.count()).select_from(table)) for table in tables}


@dataclass
class Report:
    """Rows inserted per table and countries assigned to a region."""

    added: dict[str, int] = field(default_factory=dict)
    countries_assigned: int = 0

    def add(self, table: str, count: int) -> None:
        """Count `count` more rows inserted into `table`."""
        self.added[table] = self.added.get(table, 0) + count


def setup_reference(
    conn: sa.Connection, t: dict[str, sa.Table], rng: random.Random, products: int, batch: int, report: Report,
) -> tuple[Catalog, Taken]:
    """Insert the reference data (currencies ... categories) and return what products will point at."""
    taken = load_taken(conn, t)
    report.add("currency", ensure_currencies(conn, t, batch))
    for name, count in ensure_providers(conn, t).items():
        report.add(name, count)
    store, created = ensure_store(conn, t, rng)
    report.add("store", created)
    report.add("store_currencies", ensure_store_currencies(conn, t, store["id"], CURRENCIES, batch))

    regions = build_regions(rng)
    report.add("region", insert(conn, t["region"], regions, batch))
    region_ids = [r["id"] for r in regions]
    for name in ("region_payment_providers", "region_fulfillment_providers"):
        report.add(name, insert(conn, t[name], [{"region_id": r, "provider_id": PROVIDER} for r in region_ids], batch))
    country = t["country"]
    free = sorted(conn.scalars(sa.select(country.c.id).where(country.c.region_id.is_(None))))
    assignments = assign_countries(rng, free, region_ids)
    if assignments:
        assign = country.update().where(country.c.id == sa.bindparam("b_id")).values(region_id=sa.bindparam("b_region"))
        conn.execute(assign, assignments)
    report.countries_assigned = len(assignments)

    profiles, new_profiles = ensure_profiles(conn, t, rng)
    report.add("shipping_profile", insert(conn, t["shipping_profile"], new_profiles, batch))
    price_types = list(t["shipping_option"].c.price_type.type.enums)
    options = build_shipping_options(rng, regions, list(profiles.values()), price_types)
    report.add("shipping_option", insert(conn, t["shipping_option"], options, batch))

    collections = build_collections(rng, max(5, products // 40), taken.collection_handles)
    report.add("product_collection", insert(conn, t["product_collection"], collections, batch))
    types = build_types(rng, min(40, 8 + products // 250))
    report.add("product_type", insert(conn, t["product_type"], types, batch))
    tags = build_tags(rng, max(12, products // 8))
    report.add("product_tag", insert(conn, t["product_tag"], tags, batch))
    category = t["product_category"]
    next_rank = sa.func.coalesce(sa.func.max(category.c.rank) + 1, 0)
    root_rank = conn.scalar(sa.select(next_rank).where(category.c.parent_category_id.is_(None)))
    categories = build_category_tree(rng, taken.category_handles, root_rank)
    report.add("product_category", insert(conn, category, categories, batch))

    region = t["region"]
    by_currency: dict[str, list[str]] = {}
    live_regions = sa.select(region.c.id, region.c.currency_code).where(region.c.deleted_at.is_(None))
    for row in conn.execute(live_regions.order_by(region.c.id)):
        by_currency.setdefault(row.currency_code, []).append(row.id)
    catalog = Catalog(
        currencies=list(CURRENCIES), region_by_currency=by_currency,
        collections=[c["id"] for c in collections], types=[x["id"] for x in types], tags=[x["id"] for x in tags],
        categories=[c["id"] for c in categories], statuses=list(t["product"].c.status.type.enums),
        default_profile=profiles.get("default"), gift_card_profile=profiles.get("gift_card"),
        custom_profile=profiles.get("custom"),
        sales_channel=sales_channel_of(conn, t, store),
    )
    return catalog, taken


def sales_channel_of(conn: sa.Connection, t: dict[str, sa.Table], store: dict) -> str | None:
    """The store's default sales channel, else the oldest live one, else None (or if the table is absent)."""
    if "product_sales_channel" not in t or "sales_channel" not in t:
        return None
    if store.get("default_sales_channel_id"):
        return store["default_sales_channel_id"]
    channel = t["sales_channel"]
    live = sa.select(channel.c.id).where(channel.c.deleted_at.is_(None))
    return conn.scalar(live.order_by(channel.c.created_at, channel.c.id).limit(1))


def generate(
    conn: sa.Connection, t: dict[str, sa.Table], *,
    products: int, seed: int, salt: str, batch: int, progress: Callable[[str], None],
) -> Report:
    """Write the whole synthetic catalog through `conn` (the caller owns the transaction)."""
    rng = random.Random(f"{seed}:{salt}")
    report = Report()
    catalog, taken = setup_reference(conn, t, rng, products, batch, report)
    generator = ProductGenerator(rng, taken, catalog)
    started = time.monotonic()
    for start in range(0, products, batch):
        rows = generator.batch(start, min(batch, products - start))
        for name in PRODUCT_TABLES:
            if name in t:
                report.add(name, insert(conn, t[name], rows[name], batch * 10))
        done = min(start + batch, products)
        progress(f"products {done}/{products}, {sum(report.added.values())} rows, {time.monotonic() - started:.1f} s")
    return report


def format_summary(report: Report, totals: dict[str, int], elapsed: float) -> str:
    """The final table: rows added and total rows per table, then the elapsed time."""
    lines = [f"{'table':<32}{'added':>9}{'total':>10}"]
    for name in sorted(totals):
        lines.append(f"{name:<32}{report.added.get(name, 0):>9}{totals[name]:>10}")
    lines.append(f"countries assigned to new regions: {report.countries_assigned}")
    lines.append(f"rows added: {sum(report.added.values())}; elapsed: {elapsed:.1f} s")
    return "\n".join(lines)


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    """Command line options."""
    parser = argparse.ArgumentParser(prog="generate_catalog.py", description=__doc__.split("\n\n")[0])
    parser.add_argument("--database-url", required=True, help="Postgres URL of an already migrated Medusa v1 database")
    parser.add_argument("--products", type=int, default=1000, help="products to generate (default %(default)s)")
    parser.add_argument("--seed", type=int, default=42, help="random seed (default %(default)s)")
    parser.add_argument("--batch", type=int, default=1000,
                        help="products generated and inserted per round (default %(default)s)")
    parser.add_argument("--salt", default=None, help="mixed into the seed (default: the row count of `product`)")
    args = parser.parse_args(argv)
    if args.products < 0 or args.batch < 1:
        parser.error("--products must be >= 0 and --batch >= 1")
    return args


def main(argv: list[str] | None = None) -> int:
    """Entry point: generate the catalog in one transaction, print progress, counts and the elapsed time."""
    args = parse_args(argv)
    began = time.monotonic()
    progress = lambda message: print(f"[generate_catalog] {message}", file=sys.stderr, flush=True)  # noqa: E731
    engine = sa.create_engine(engine_url(args.database_url), connect_args={"connect_timeout": 10})
    try:
        with engine.begin() as conn:
            tables = reflect_tables(conn)
            salt = args.salt
            if salt is None:
                salt = str(conn.scalar(sa.select(sa.func.count()).select_from(tables["product"])))
            progress(f"seed {args.seed}, salt {salt}: generating {args.products} products in batches of {args.batch}")
            report = generate(
                conn, tables, products=args.products, seed=args.seed, salt=salt, batch=args.batch, progress=progress,
            )
            totals = count_rows(conn, [tables[name] for name in REQUIRED_TABLES + OPTIONAL_TABLES if name in tables])
            # Fresh planner statistics, as a live shop's autovacuum keeps them: without them Postgres plans the
            # sync's correlated subqueries for a few rows per table and reads a big catalog 5-10 times slower.
            for name in REQUIRED_TABLES + OPTIONAL_TABLES:
                if name in tables:
                    conn.execute(sa.text(f'ANALYZE "{tables[name].name}"'))
            progress("committing")
    except NotMigrated as exc:
        print(f"error: {engine.url.render_as_string(hide_password=True)} is not a migrated Medusa v1 database "
              f"(missing tables: {exc}); run Medusa's migrations first", file=sys.stderr)
        return 1
    except sa.exc.OperationalError as exc:
        print(f"error: cannot use the database: {exc.orig or exc}".rstrip(), file=sys.stderr)
        return 1
    except sa.exc.DBAPIError as exc:
        print(f"error: insert failed, nothing was written: {exc.orig or exc}".rstrip(), file=sys.stderr)
        return 1
    finally:
        engine.dispose()
    print(format_summary(report, totals, time.monotonic() - began))
    return 0


if __name__ == "__main__":
    sys.exit(main())
