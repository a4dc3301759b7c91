"""The reference data written before the products, and the Catalog of ids the products then point at.

Currencies and the `manual` providers only where missing, a store if there is none and its currencies, regions
with their providers and some free countries, shipping profiles and options, then collections, types, tags and
a category tree. The order of the steps is the order of the RNG draws: keep it.
"""

from __future__ import annotations

import random

import sqlalchemy as sa

from catalog.database import insert, insert_missing, load_taken
from catalog.ids import make_id
from catalog.moments import stamps
from catalog.model import Catalog, Taken
from catalog.regions import CURRENCIES, PROVIDER, assign_countries, build_regions, build_shipping_options, currency_rows
from catalog.summary import Report
from catalog.taxonomy import build_category_tree, build_collections, build_tags, build_types
from catalog.values import metadata

#: Names of the shipping profiles created per type (the schema's enum: default, gift_card, custom).
PROFILE_NAMES = {
    "default": "Default Shipping Profile", "gift_card": "Gift Card Profile", "custom": "Sperrgut / Bulky 📦",
}


def ensure_store(conn: sa.Connection, t: dict[str, sa.Table], rng: random.Random) -> tuple[dict, list[dict]]:
    """The oldest store, or a new one if there is none; return (store as a dict, rows to insert)."""
    store = t["store"]
    row = conn.execute(sa.select(store).order_by(store.c.created_at, store.c.id).limit(1)).mappings().first()
    if row is not None:
        return dict(row), []
    when = stamps(rng)
    new = {
        "id": make_id("store", rng, when["created_at"]), "name": "Synthetic Store ✨", "default_currency_code": "usd",
        "swap_link_template": None, **when, "metadata": metadata(rng), "payment_link_template": None,
        "invite_link_template": None, "default_sales_channel_id": None, "default_location_id": None,
    }
    return new, [new]


def ensure_profiles(
    conn: sa.Connection, t: dict[str, sa.Table], rng: random.Random,
) -> tuple[dict[str, str], list[dict]]:
    """Live shipping profiles by type (default, gift_card, custom); create a custom one and any type missing."""
    table = t["shipping_profile"]
    by_type: dict[str, str] = {}
    live = sa.select(table.c.id, table.c.type).where(table.c.deleted_at.is_(None))
    for row in conn.execute(live.order_by(table.c.created_at, table.c.id)):
        by_type.setdefault(row.type, row.id)
    new = []
    for kind in table.c.type.type.enums:  # the schema's enum: default, gift_card, custom
        if kind == "custom" or kind not in by_type:
            when = stamps(rng)
            profile = {
                "id": make_id("sp", rng, when["created_at"]), "name": PROFILE_NAMES.get(kind, kind), "type": kind,
                **when, "deleted_at": None, "metadata": metadata(rng),
            }
            new.append(profile)
            by_type[kind] = profile["id"]
    return by_type, new


def assign_free_countries(conn: sa.Connection, country: sa.Table, rng: random.Random, region_ids: list[str]) -> int:
    """Give each region a few of the countries that have no region yet; return how many were assigned."""
    free = sorted(conn.scalars(sa.select(country.c.id).where(country.c.region_id.is_(None))))
    assignments = assign_countries(rng, free, region_ids)
    if assignments:
        assign = country.update().where(country.c.id == sa.bindparam("b_id")).values(region_id=sa.bindparam("b_region"))
        conn.execute(assign, assignments)
    return len(assignments)


def next_root_rank(conn: sa.Connection, category: sa.Table) -> int:
    """The rank after the highest rank of the root categories (0 if there is none)."""
    next_rank = sa.func.coalesce(sa.func.max(category.c.rank) + 1, 0)
    return conn.scalar(sa.select(next_rank).where(category.c.parent_category_id.is_(None)))


def live_regions_by_currency(conn: sa.Connection, region: sa.Table) -> dict[str, list[str]]:
    """Ids of the live regions (the existing and the new ones) by currency code, sorted."""
    by_currency: dict[str, list[str]] = {}
    live = sa.select(region.c.id, region.c.currency_code).where(region.c.deleted_at.is_(None))
    for row in conn.execute(live.order_by(region.c.id)):
        by_currency.setdefault(row.currency_code, []).append(row.id)
    return by_currency


def sales_channel_of(conn: sa.Connection, t: dict[str, sa.Table], store: dict) -> str | None:
    """The store's default sales channel, else the oldest live one, else None (or if the table is absent)."""
    if "product_sales_channel" not in t or "sales_channel" not in t:
        return None
    if store.get("default_sales_channel_id"):
        return store["default_sales_channel_id"]
    channel = t["sales_channel"]
    live = sa.select(channel.c.id).where(channel.c.deleted_at.is_(None))
    return conn.scalar(live.order_by(channel.c.created_at, channel.c.id).limit(1))


def setup_reference(
    conn: sa.Connection, t: dict[str, sa.Table], rng: random.Random, products: int, batch: int, report: Report,
) -> tuple[Catalog, Taken]:
    """Insert the reference data (currencies ... categories) and return what products will point at."""
    taken = load_taken(conn, t)

    def put(name: str, rows: list[dict]) -> list[dict]:
        """Insert `rows` into table `name`, count them in the report, return them."""
        report.add(name, insert(conn, t[name], rows, batch))
        return rows

    def put_missing(name: str, key: str, rows: list[dict], *where: object) -> None:
        """Insert those of `rows` whose `key` the table lacks (among rows matching `where`); count them."""
        report.add(name, insert_missing(conn, t[name], key, rows, batch, *where))

    put_missing("currency", "code", currency_rows())
    for name in ("payment_provider", "fulfillment_provider"):
        put_missing(name, "id", [{"id": PROVIDER, "is_installed": True}])
    store, new_store = ensure_store(conn, t, rng)
    put("store", new_store)
    store_currencies = [{"store_id": store["id"], "currency_code": code} for code in CURRENCIES]
    put_missing("store_currencies", "currency_code", store_currencies, t["store_currencies"].c.store_id == store["id"])

    regions = put("region", build_regions(rng))
    region_ids = [r["id"] for r in regions]
    for name in ("region_payment_providers", "region_fulfillment_providers"):
        put(name, [{"region_id": r, "provider_id": PROVIDER} for r in region_ids])
    report.countries_assigned = assign_free_countries(conn, t["country"], rng, region_ids)

    profiles, new_profiles = ensure_profiles(conn, t, rng)
    put("shipping_profile", new_profiles)
    price_types = list(t["shipping_option"].c.price_type.type.enums)
    put("shipping_option", build_shipping_options(rng, regions, list(profiles.values()), price_types))

    collections = put("product_collection", build_collections(rng, max(5, products // 40), taken.collection_handles))
    types = put("product_type", build_types(rng, min(40, 8 + products // 250)))
    tags = put("product_tag", build_tags(rng, max(12, products // 8)))
    root_rank = next_root_rank(conn, t["product_category"])
    categories = put("product_category", build_category_tree(rng, taken.category_handles, root_rank))

    ids = lambda rows: [row["id"] for row in rows]  # noqa: E731
    catalog = Catalog(
        currencies=list(CURRENCIES), region_by_currency=live_regions_by_currency(conn, t["region"]),
        collections=ids(collections), types=ids(types), tags=ids(tags), categories=ids(categories),
        statuses=list(t["product"].c.status.type.enums),
        default_profile=profiles.get("default"), gift_card_profile=profiles.get("gift_card"),
        custom_profile=profiles.get("custom"),
        sales_channel=sales_channel_of(conn, t, store),
    )
    return catalog, taken
