"""The database side: which tables the generator needs, their reflection, inserts, and values live rows use."""

from __future__ import annotations

from typing import Any, Iterable

import sqlalchemy as sa
from sqlalchemy.types import JSON

from catalog.model import Taken

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
#: Taken field -> (table, column, whether only live rows count): the values new rows must not reuse.
TAKEN_VALUES = {
    "product_handles": ("product", "handle", True),
    "collection_handles": ("product_collection", "handle", True),
    "category_handles": ("product_category", "handle", False),
    "skus": ("product_variant", "sku", True),
    "barcodes": ("product_variant", "barcode", True),
    "eans": ("product_variant", "ean", True),
    "upcs": ("product_variant", "upc", True),
}


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

    The tables come in the order of REQUIRED_TABLES + OPTIONAL_TABLES. jsonb columns are switched to store
    Python None as SQL NULL (not the JSON literal null).
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


def insert_missing(conn: sa.Connection, table: sa.Table, key: str, rows: list[dict], batch: int, *where: Any) -> int:
    """Insert those of `rows` whose `key` value no row of `table` (matching `where`) has yet; return how many."""
    column = table.c[key]
    present = scalar_set(conn, column, column.in_([row[key] for row in rows]), *where)
    return insert(conn, table, [row for row in rows if row[key] not in present], batch)


def scalar_set(conn: sa.Connection, column: sa.Column, *where: Any) -> set:
    """The set of non-NULL values of `column` (filtered by `where`)."""
    query = sa.select(column).where(column.is_not(None), *where)
    return set(conn.scalars(query))


def load_taken(conn: sa.Connection, t: dict[str, sa.Table]) -> Taken:
    """Handles, SKUs and codes already used by live rows (category handles: by any row), as TAKEN_VALUES says."""

    def values(name: str, column: str, live_only: bool) -> set:
        """The values of one column, of live rows only if `live_only`."""
        table = t[name]
        return scalar_set(conn, table.c[column], *([table.c.deleted_at.is_(None)] if live_only else []))

    return Taken(**{field: values(*spec) for field, spec in TAKEN_VALUES.items()})


def count_rows(conn: sa.Connection, tables: Iterable[sa.Table]) -> dict[str, int]:
    """Row count of each table."""
    return {table.name: conn.scalar(sa.select(sa.func.count()).select_from(table)) for table in tables}
