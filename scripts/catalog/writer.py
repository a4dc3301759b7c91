"""One run inside the caller's transaction: reflect, write the reference data and the products, count, ANALYZE."""

from __future__ import annotations

import random
import time
from typing import Callable

import sqlalchemy as sa

from catalog.database import count_rows, insert, reflect_tables
from catalog.products import PRODUCT_TABLES, ProductGenerator
from catalog.reference import setup_reference
from catalog.summary import Report


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


def fill(
    conn: sa.Connection, *, products: int, seed: int, salt: str | None, batch: int, progress: Callable[[str], None],
) -> tuple[Report, dict[str, int]]:
    """Generate into the database of `conn`; return the report and the row count of every table used.

    Raises NotMigrated if it is not a migrated Medusa v1 database. The salt defaults to the row count of
    `product`. The caller owns the transaction.
    """
    tables = reflect_tables(conn)
    if salt is None:
        salt = str(conn.scalar(sa.select(sa.func.count()).select_from(tables["product"])))
    progress(f"seed {seed}, salt {salt}: generating {products} products in batches of {batch}")
    report = generate(conn, tables, products=products, seed=seed, salt=salt, batch=batch, progress=progress)
    totals = count_rows(conn, tables.values())
    # Fresh planner statistics, as a live shop's autovacuum keeps them: without them Postgres plans the
    # sync's correlated subqueries for a few rows per table and reads a big catalog 5-10 times slower.
    for table in tables.values():
        conn.execute(sa.text(f'ANALYZE "{table.name}"'))
    progress("committing")
    return report, totals
