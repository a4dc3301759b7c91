#!/usr/bin/env python3
"""The write paths on Draft & Publish and localized types, in one run against ONE running v2 Strapi.

    MEDUSA_VERSION=2 scripts/stack up && eval "$(scripts/stack env)"
    .venv/bin/python scripts/benchmark_versions.py --copies 300

Copies the Medusa v2 database and multiplies its live products `--copies` times (each copy with its tags,
categories and images; the v2 set's `product` has Draft & Publish and i18n, so each entry is a draft and a
published row in Strapi). Then, against the same Strapi, from the same start (the demo catalog synced):

  (a) a full sync of the products over REST (4 writes in flight): entries/s; then every product's description
      changed in Medusa and a full sync again (updates)
  (d) the same through the bulk-upsert plugin, which creates such entries itself (their draft and published rows
      and links, as Strapi makes them) and updates them through Strapi's Document Service

and prints both, their ratios, and each run's write path. Between and after the runs a reconcile against the
original database puts Strapi back as it was (the copies deleted).
"""

from __future__ import annotations

import argparse
import os
import sys
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))
sys.path.insert(0, str(REPO / "scripts"))

import sqlalchemy as sa  # noqa: E402

from pipelines.mapping import load_mappings  # noqa: E402
from pipelines.medusa.source import MedusaSource, engine_url  # noqa: E402
from pipelines.settings import SHIPPED_MAPPINGS_DIR, SyncOptions, WritePaths  # noqa: E402
from pipelines.strapi.client import StrapiClient  # noqa: E402
from pipelines.sync.run import sync_all  # noqa: E402
from throwaway_db import database_copy  # noqa: E402

PRODUCT_COLUMNS = ("title subtitle description is_giftcard status thumbnail weight length height width origin_country "
                   "hs_code mid_code material collection_id type_id discountable external_id created_at updated_at "
                   "deleted_at metadata").split()


def multiply_products(url: str, copies: int) -> int:
    """Add `copies` copies of each live product (new id and handle), with its tag and category links and its
    images; returns the live products now there."""
    columns = ", ".join(PRODUCT_COLUMNS)
    picked = ", ".join(f"p.{c}" for c in PRODUCT_COLUMNS if c != "handle")
    others = ", ".join(c for c in PRODUCT_COLUMNS if c != "handle")
    engine = sa.create_engine(engine_url(url))
    with engine.begin() as conn:
        conn.execute(sa.text("create temporary table originals as select id from product where deleted_at is null"))
        conn.execute(sa.text(
            f"insert into product (id, handle, {others}) select p.id || '_b' || g, p.handle || '-b' || g, {picked}"
            " from product p join originals o on o.id = p.id cross join generate_series(1, :copies) g"), {"copies": copies})
        conn.execute(sa.text(
            "insert into product_tags (product_id, product_tag_id) select x.product_id || '_b' || g, x.product_tag_id"
            " from product_tags x join originals o on o.id = x.product_id cross join generate_series(1, :copies) g"), {"copies": copies})
        conn.execute(sa.text(
            "insert into product_category_product (product_id, product_category_id) select x.product_id || '_b' || g,"
            " x.product_category_id from product_category_product x join originals o on o.id = x.product_id"
            " cross join generate_series(1, :copies) g"), {"copies": copies})
        conn.execute(sa.text(
            "insert into image (id, url, metadata, created_at, updated_at, deleted_at, rank, product_id)"
            " select i.id || '_b' || g, i.url, i.metadata, i.created_at, i.updated_at, i.deleted_at, i.rank, i.product_id || '_b' || g"
            " from image i join originals o on o.id = i.product_id cross join generate_series(1, :copies) g"), {"copies": copies})
        live = conn.execute(sa.text("select count(*) from product where deleted_at is null")).scalar_one()
    engine.dispose()
    return live


def change_every_description(url: str, label: str) -> int:
    """Change every live product's description (as a merchant's bulk edit would); returns how many."""
    engine = sa.create_engine(engine_url(url))
    with engine.begin() as conn:
        changed = conn.execute(sa.text("update product set description = coalesce(description, '') || :mark, updated_at = now()"
                                       " where deleted_at is null"), {"mark": f" ({label})"}).rowcount
    engine.dispose()
    return changed


def timed_sync(mappings, url: str, client: StrapiClient, path: str) -> tuple[int, float, str]:
    """(entries created or updated, seconds, write path) of a full sync of the products (after their images; their
    other targets are in Strapi)."""
    source = MedusaSource(url)
    try:
        options = SyncOptions(write_paths=WritePaths(full=path, changes=path))
        results = {r.content_type: r for r in sync_all(mappings, source, client, only=["image", "product"], options=options)}
        result = results["product"]  # the images first: the products link to them
    finally:
        source.dispose()
    assert result.ok, result.failures[:5]
    return result.created + result.updated, result.seconds, result.write_path


def put_back(mappings, url: str, client: StrapiClient) -> None:
    """Strapi as the original database has it (the copies deleted)."""
    source = MedusaSource(url)
    try:
        results = sync_all(mappings, source, client, delete_missing=True, allow_mass_delete=True)
        assert all(r.ok for r in results), [f for r in results for f in r.failures][:5]
    finally:
        source.dispose()


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--copies", type=int, default=300, help="copies of each live product (the demo has 7)")
    args = parser.parse_args()
    url = os.environ["MEDUSA_DATABASE_URL"]
    mappings = load_mappings(SHIPPED_MAPPINGS_DIR / "medusa-v2")
    client = StrapiClient(os.environ["STRAPI_URL"], os.environ["STRAPI_API_TOKEN"], pool_size=8)
    put_back(mappings, url, client)
    with database_copy(url, "bench") as big:
        live = multiply_products(big, args.copies)
        print(f"{live} live products (Draft & Publish and i18n: a draft and a published row each)", flush=True)
        figures = {}
        for label, path in (("(a) REST", "rest"), ("(d) bulk", "bulk")):
            created, seconds, used = timed_sync(mappings, big, client, path)
            figures[label] = created / seconds
            print(f"{label}: {created} products written (created, or updated where the previous run changed them) in {seconds:.1f} s = {created / seconds:.0f} entries/s "
                  f"(write path: {used})", flush=True)
            changed = change_every_description(big, label)
            updated, seconds, used = timed_sync(mappings, big, client, path)
            figures[f"{label} updates"] = updated / seconds
            print(f"{label}, every description changed: {updated} of {changed} products updated in {seconds:.1f} s = "
                  f"{updated / seconds:.0f} entries/s", flush=True)
            put_back(mappings, url, client)
    print(f"(d)/(a) = {figures['(d) bulk'] / figures['(a) REST']:.2f} for creates, "
          f"{figures['(d) bulk updates'] / figures['(a) REST updates']:.2f} for updates")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
