#!/usr/bin/env python3
"""The sync into content types someone else designed: Medusa v2 into the four types of Medusa's Strapi guide
(mappings/medusa-v2-guide, the guide's app run as it is), against ONE running Strapi of those types.

    eval "$(scripts/test --env)"   # the guide test stack (STRAPI_APP=tests/strapi_apps/medusa-guide), as GUIDE_*
    .venv/bin/python scripts/benchmark_guide.py --copies 300

Copies the stack's Medusa v2 database and multiplies its live products `--copies` times (each copy with its
variants, their option values, its options and its images). Then, from an emptied Strapi each time, a full sync of
the four types over REST and through the bulk-upsert plugin, and an unchanged re-sync after each: entities, seconds,
entities/s. Media upload stays off (no MEDIA_ALLOWED_HOSTS): the files are the media pass's, measured
apart. Strapi is emptied again at the end.
"""

from __future__ import annotations

import argparse
import os
import sys
import time
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))
sys.path.insert(0, str(REPO / "scripts"))

import sqlalchemy as sa  # noqa: E402

from pipelines.mapping import load_mappings  # noqa: E402
from pipelines.medusa.source import MedusaSource, engine_url  # noqa: E402
from pipelines.settings import SHIPPED_MAPPINGS_DIR, SyncOptions, WritePaths  # noqa: E402
from pipelines.strapi.bulk import BulkClient  # noqa: E402
from pipelines.strapi.client import StrapiClient  # noqa: E402
from pipelines.sync.run import sync_all  # noqa: E402
from throwaway_db import database_copy  # noqa: E402

SUFFIX = "'_g' || g"


def _columns(conn, table: str, skip: tuple[str, ...]) -> list[str]:
    rows = conn.execute(sa.text("select column_name from information_schema.columns where table_schema = 'public' "
                                "and table_name = :t order by ordinal_position"), {"t": table})
    return [r[0] for r in rows if r[0] not in skip]


def multiply(url: str, copies: int) -> dict[str, int]:
    """`copies` copies of each live product with its variants (and their option values), options links and images;
    returns the live rows of each table the guide's types read."""
    engine = sa.create_engine(engine_url(url))
    series = "cross join generate_series(1, :n) g"
    with engine.begin() as conn:
        conn.execute(sa.text("create temporary table originals as select id from product where deleted_at is null"))
        rest = _columns(conn, "product", ("id", "handle"))
        conn.execute(sa.text(f"insert into product (id, handle, {', '.join(rest)}) select p.id || {SUFFIX}, p.handle || '-g' || g, "
                             f"{', '.join('p.' + c for c in rest)} from product p join originals o on o.id = p.id {series}"), {"n": copies})
        rest = _columns(conn, "product_variant", ("id", "product_id", "sku", "barcode", "ean", "upc"))
        conn.execute(sa.text(f"insert into product_variant (id, product_id, {', '.join(rest)}) select v.id || {SUFFIX}, "
                             f"v.product_id || {SUFFIX}, {', '.join('v.' + c for c in rest)} from product_variant v "
                             f"join originals o on o.id = v.product_id {series} where v.deleted_at is null"), {"n": copies})
        conn.execute(sa.text(f"insert into product_variant_option (variant_id, option_value_id) select x.variant_id || {SUFFIX}, "
                             "x.option_value_id from product_variant_option x join product_variant v on v.id = x.variant_id "
                             f"join originals o on o.id = v.product_id {series} where v.deleted_at is null"), {"n": copies})
        conn.execute(sa.text(f"insert into product_product_option (id, product_id, product_option_id) select x.id || {SUFFIX}, "
                             f"x.product_id || {SUFFIX}, x.product_option_id from product_product_option x join originals o "
                             f"on o.id = x.product_id {series} where x.deleted_at is null"), {"n": copies})
        rest = _columns(conn, "image", ("id", "product_id"))
        conn.execute(sa.text(f"insert into image (id, product_id, {', '.join(rest)}) select i.id || {SUFFIX}, i.product_id || {SUFFIX}, "
                             f"{', '.join('i.' + c for c in rest)} from image i join originals o on o.id = i.product_id {series}"),
                     {"n": copies})
        counts = {t: conn.execute(sa.text(f"select count(*) from {t} where deleted_at is null")).scalar_one()
                  for t in ("product", "product_variant", "product_option", "product_option_value")}
    engine.dispose()
    return counts


def emptied(mappings, client: StrapiClient) -> None:
    """Every entry of the guide's types deleted (through the plugin), and the sync's state with them."""
    for plural, key in (("sync-states", "key"), ("quarantined-rows", "key")):
        _delete_all(client, plural, key)
    for spec in reversed(mappings.specs):
        _delete_all(client, spec.plural, spec.key)


def _delete_all(client: StrapiClient, plural: str, key: str) -> None:
    bulk = BulkClient(client, key=key)
    documents = [e["documentId"] for e in bulk.keys(plural)]
    for start in range(0, len(documents), 2000):
        bulk.write(plural, [], documents[start:start + 2000])


def timed(mappings, url: str, client: StrapiClient, path: str) -> tuple[int, int, float]:
    """(entities read, entities written, seconds) of a full sync of the four types through `path`."""
    source = MedusaSource(url)
    started = time.monotonic()
    try:
        results = sync_all(mappings, source, client, options=SyncOptions(write_paths=WritePaths(full=path, changes=path)))
    finally:
        source.dispose()
    seconds = time.monotonic() - started
    assert all(r.ok for r in results), [f for r in results for f in r.failures][:5]
    return sum(r.read for r in results), sum(r.writes for r in results), seconds


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--copies", type=int, default=300, help="copies of each live product (the demo has 7)")
    args = parser.parse_args()
    env = os.environ
    url, strapi = env["GUIDE_MEDUSA_DATABASE_URL"], env["GUIDE_STRAPI_URL"]
    os.environ.pop("MEDIA_ALLOWED_HOSTS", None)
    mappings = load_mappings(SHIPPED_MAPPINGS_DIR / "medusa-v2-guide")
    client = StrapiClient(strapi, env["GUIDE_STRAPI_API_TOKEN"], pool_size=8)
    with database_copy(url, "bench") as big:
        counts = multiply(big, args.copies)
        print(f"live rows: {counts}", flush=True)
        for label, path in (("REST", "rest"), ("bulk", "bulk")):
            emptied(mappings, client)
            read, written, seconds = timed(mappings, big, client, path)
            print(f"{label}: {written} entities written of {read} read in {seconds:.1f} s = {written / seconds:.0f} entities/s",
                  flush=True)
            read, written, seconds = timed(mappings, big, client, path)
            print(f"{label}, unchanged re-sync: {written} written of {read} read in {seconds:.1f} s = {read / seconds:.0f} rows/s",
                  flush=True)
        emptied(mappings, client)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
