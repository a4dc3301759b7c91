#!/usr/bin/env python3
"""Measure how long a change in Medusa takes to reach Strapi while `dagster dev` runs the change sensor.

Needs the stack (`scripts/stack up`, `eval "$(scripts/stack env)"`). Works on a throwaway copy of the
Medusa database: syncs it once with the CLI's path (which records every type's watermark), starts
`dagster dev` (webserver + daemon) with a temporary DAGSTER_HOME, counts the runs launched in the first
`--settle` seconds (none is expected: the catalog is in sync), then changes a product description `--changes`
times at random moments and polls Strapi until each shows. `--load N` keeps N CPU-bound processes busy
meanwhile. Prints every latency, then min, median, p95 and max.

    .venv/bin/python scripts/measure_sensor_latency.py --changes 20
    .venv/bin/python scripts/measure_sensor_latency.py --changes 20 --load 2
"""

from __future__ import annotations

import argparse
import os
import random
import subprocess
import sys
import time
import uuid
from pathlib import Path

import sqlalchemy as sa

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))

from pipelines.mapping import load_mappings  # noqa: E402
from pipelines.medusa.source import MedusaSource, engine_url  # noqa: E402
from pipelines.settings import mappings_dir  # noqa: E402
from pipelines.strapi.client import StrapiClient  # noqa: E402
from pipelines.sync.run import sync_all  # noqa: E402
from dagster_dev import dagster_dev, run_count, summary, wait_for  # noqa: E402
from throwaway_db import database_copy  # noqa: E402

BUSY = "while True: pass"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--changes", type=int, default=20)
    parser.add_argument("--load", type=int, default=0, help="CPU-bound processes to run meanwhile")
    parser.add_argument("--settle", type=int, default=45, help="seconds to count runs after start (the catalog is in sync)")
    parser.add_argument("--port", type=int, default=3011)
    args = parser.parse_args(argv)
    with database_copy(os.environ["MEDUSA_DATABASE_URL"], "latency") as url:
        return measure(url, args)


def measure(url: str, args: argparse.Namespace) -> int:
    """Sync the copy at `url`, run dagster dev against it, and time the changes."""
    strapi = StrapiClient(os.environ["STRAPI_URL"], os.environ["STRAPI_API_TOKEN"])
    source = MedusaSource(url)
    results = sync_all(load_mappings(mappings_dir()), source, strapi)
    assert all(r.ok for r in results), "the first sync failed"
    print(f"synced {sum(r.read for r in results)} rows with the CLI's path", flush=True)
    medusa = sa.create_engine(engine_url(url))
    load = [subprocess.Popen([sys.executable, "-c", BUSY]) for _ in range(args.load)]
    try:
        with dagster_dev({**os.environ, "MEDUSA_DATABASE_URL": url}, args.port) as home:
            print(f"counting runs for {args.settle}s", flush=True)
            time.sleep(args.settle)
            print(f"runs launched on the in-sync catalog: {run_count(home)}", flush=True)
            with medusa.connect() as conn:
                product_id = conn.execute(sa.text("select id from product where deleted_at is null order by id limit 1")).scalar_one()
            latencies = []
            for n in range(args.changes):
                time.sleep(random.uniform(0, 5))  # land at every phase of the sensor's tick
                # description, not title: a Medusa-only field, so the figure is the forward sync's alone
                text = f"Latency probe {n} {uuid.uuid4().hex[:6]}"
                with medusa.begin() as conn:
                    conn.execute(sa.text("update product set description = :t, updated_at = now() where id = :id"),
                                 {"t": text, "id": product_id})
                changed = time.monotonic()
                wait_for(lambda: strapi.find_by_medusa_ids("products", [product_id], fields=["description"])
                         .get(product_id, {}).get("description") == text, 300, f"change {n} in Strapi")
                latencies.append(time.monotonic() - changed)
                print(f"change {n}: in Strapi after {latencies[-1]:.1f}s", flush=True)
            print(f"latency over {len(latencies)} changes with {args.load} busy process(es): {summary(latencies)}; "
                  f"runs in all: {run_count(home)}")
        return 0
    finally:
        for busy in load:
            busy.kill()
        strapi.close()
        source.dispose()
        medusa.dispose()


if __name__ == "__main__":
    sys.exit(main())
