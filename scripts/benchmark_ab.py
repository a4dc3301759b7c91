#!/usr/bin/env python3
"""The benchmark's (d), (e) and (f), one stage per process, with the sync of one checkout or another: to compare
two commits A B A B with `farm-bench --vs` (a refactor must leave them within noise).

    eval "$(scripts/stack env)"
    .venv/bin/python scripts/benchmark_ab.py prepare --products 10000     # prints the copy's URL
    git worktree add /tmp/before <the commit before the change>
    farm-bench --timeout 1800 -n 3 --vs ".venv/bin/python scripts/benchmark_ab.py full --url URL --repo /tmp/before" \\
                                        ".venv/bin/python scripts/benchmark_ab.py full --url URL"
    (the same with `changes` and `extract`)
    .venv/bin/python scripts/benchmark_ab.py drop --url URL

`prepare` copies the stack's Medusa database (`<db>_bench_ab`) and adds generated products
(scripts/generate_catalog.py). Then, importing the sync from `--repo` (default: this checkout):

  full     (d) empties the stack's Strapi of the mapped types (through the bulk plugin, not timed) and syncs every
           type through it; prints the sync's own seconds and entities/s
  changes  (e) an unchanged re-sync, incremental (`sync --changes`, what the sensors run); checks it wrote nothing
  extract  (f) extract + transform of every mapped table as the bulk sync reads them, no Strapi; rows/s

Each prints one line; farm-bench's wall time includes the process's start and, for `full`, the emptying.
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
import time
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent


def _throwaway_db():
    sys.path.insert(0, str(REPO / "scripts"))
    import throwaway_db

    return throwaway_db


def _sync(repo: Path):
    """The sync's entry points from the checkout `repo` (older commits kept the extractor in sync/run.py)."""
    sys.path.insert(0, str(repo))
    from pipelines.mapping import load_mappings
    from pipelines.medusa.source import FULL, MedusaSource
    from pipelines.strapi.bulk import BulkClient
    from pipelines.strapi.client import StrapiClient
    from pipelines.sync.run import sync_all
    try:
        from pipelines.sync.extract import extracted_records
        from pipelines.sync.write_path import BULK_CHUNK_SIZE
    except ImportError:
        from pipelines.sync.run import BULK_CHUNK_SIZE, extracted_records
    return argparse.Namespace(load_mappings=load_mappings, FULL=FULL, MedusaSource=MedusaSource, BulkClient=BulkClient,
                              StrapiClient=StrapiClient, sync_all=sync_all, extracted_records=extracted_records,
                              BULK_CHUNK_SIZE=BULK_CHUNK_SIZE)


def _connect(args: argparse.Namespace, *, strapi: bool = True):
    sync = _sync(args.repo)
    mappings = sync.load_mappings(args.repo / "mappings")
    source = sync.MedusaSource(args.url)
    client = sync.StrapiClient(os.environ["STRAPI_URL"], os.environ["STRAPI_API_TOKEN"], pool_size=8) if strapi else None
    return sync, mappings, source, client


def prepare(args: argparse.Namespace) -> None:
    db = _throwaway_db()
    template = db.engine_url(os.environ["MEDUSA_DATABASE_URL"])
    url = db.kept_copy(os.environ["MEDUSA_DATABASE_URL"], f"{template.database}_bench_ab")
    subprocess.run([sys.executable, str(REPO / "scripts" / "generate_catalog.py"), "--database-url", url,
                    "--products", str(args.products)], check=True, stdout=subprocess.DEVNULL)
    print(db.engine_url(url).render_as_string(hide_password=True))


def full(args: argparse.Namespace) -> None:
    sync, mappings, source, client = _connect(args)
    bulk = sync.BulkClient(client)
    for spec in reversed(list(mappings)):  # empty Strapi of the catalog first (not timed)
        keys = [entry["documentId"] for entry in bulk.keys(spec.plural)]
        for start in range(0, len(keys), 2000):
            bulk.write(spec.plural, [], deletes=keys[start:start + 2000])
    started = time.monotonic()
    results = sync.sync_all(mappings, source, client)
    seconds = time.monotonic() - started
    failed = [f for r in results for f in r.failures]
    if failed:
        raise SystemExit(f"the sync failed rows, e.g. {failed[:3]}")
    entities = sum(r.writes for r in results)
    print(f"{args.repo}: (d) {entities} entities in {seconds:.2f}s: {entities / seconds:,.0f}/s")


def changes(args: argparse.Namespace) -> None:
    sync, mappings, source, client = _connect(args)
    started = time.monotonic()
    results = sync.sync_all(mappings, source, client, changes=True)
    seconds = time.monotonic() - started
    if any(r.writes or r.failures for r in results):
        raise SystemExit("not an unchanged catalog: " + "; ".join(r.summary() for r in results if r.writes or r.failures))
    print(f"{args.repo}: (e) unchanged incremental re-sync, 0 writes in {seconds:.2f}s")


def extract(args: argparse.Namespace) -> None:
    sync, mappings, source, _ = _connect(args, strapi=False)  # (f) reads Medusa alone
    started = time.monotonic()
    rows = sum(len(records) for spec in mappings
               for records in sync.extracted_records(source, spec, sync.FULL, sync.BULK_CHUNK_SIZE))
    seconds = time.monotonic() - started
    print(f"{args.repo}: (f) {rows} rows in {seconds:.2f}s: {rows / seconds:,.0f}/s")


def drop(args: argparse.Namespace) -> None:
    _throwaway_db().drop_database(args.url)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    sub = parser.add_subparsers(dest="command", required=True)
    sub.add_parser("prepare").add_argument("--products", type=int, default=10000)
    for name in ("full", "changes", "extract", "drop"):
        stage = sub.add_parser(name)
        stage.add_argument("--url", required=True, help="the prepared copy's MEDUSA_DATABASE_URL")
        if name != "drop":
            stage.add_argument("--repo", type=Path, default=REPO, help="the checkout whose sync runs (default: this one)")
    args = parser.parse_args()
    {"prepare": prepare, "full": full, "changes": changes, "extract": extract, "drop": drop}[args.command](args)


if __name__ == "__main__":
    main()
