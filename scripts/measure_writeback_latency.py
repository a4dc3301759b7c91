#!/usr/bin/env python3
"""Measure how long a title edited in Strapi takes to be Medusa's title while `dagster dev` runs the
write-back sensor (issue 12's round trip).

Needs a stack with its Medusa server, v1 or v2 (`scripts/stack up`, `eval "$(scripts/stack env)"`: the server
runs on the demo database, MEDUSA_ADMIN_* name it) and a mapping set whose product declares
`write_back: [title, ...]` (the repo's does). Reconciles Strapi from Medusa and writes back once (so both
watermarks are recorded), starts `dagster dev`, then `--edits` times edits a product's title in Strapi
(over REST, as an editor's save) at random moments and polls Medusa's database until the title is there.
Prints every latency, then min, median, p95 and max, and whether the round trips settled (Medusa's change
brought back to Strapi writes nothing).

    .venv/bin/python scripts/measure_writeback_latency.py --edits 10
"""

from __future__ import annotations

import argparse
import os
import random
import sys
import time
import uuid
from pathlib import Path

import sqlalchemy as sa

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))

from pipelines.mapping import load_mappings  # noqa: E402
from pipelines.medusa.admin import MedusaAdmin  # noqa: E402
from pipelines.medusa.source import MedusaSource, engine_url  # noqa: E402
from pipelines.settings import Settings  # noqa: E402
from pipelines.strapi.client import StrapiClient  # noqa: E402
from pipelines.sync.run import sync_all  # noqa: E402
from pipelines.writeback.run import write_back  # noqa: E402
from dagster_dev import dagster_dev, run_count, summary, wait_for  # noqa: E402


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--edits", type=int, default=10)
    parser.add_argument("--port", type=int, default=3012)
    args = parser.parse_args(argv)
    settings = Settings.from_env()
    if settings.medusa_admin is None:
        raise SystemExit("MEDUSA_ADMIN_URL, MEDUSA_ADMIN_EMAIL and MEDUSA_ADMIN_PASSWORD are needed: eval \"$(scripts/stack env)\"")
    mappings = load_mappings(settings.mappings_dir)
    spec = mappings.get("product")
    if "title" not in spec.write_back:
        raise SystemExit(f"{spec.path} does not declare write_back: [title, ...]")
    strapi = StrapiClient(settings.strapi_url, settings.strapi_credentials)
    source = MedusaSource(settings.medusa_database_url)
    admin = MedusaAdmin(settings.medusa_admin)
    medusa = sa.create_engine(engine_url(settings.medusa_database_url))
    try:
        results = sync_all(mappings, source, strapi, delete_missing=True)
        failures = [f.message for r in results for f in r.failures]
        if failures:
            raise SystemExit(f"the reconcile failed ({failures[0]}); a Strapi holding another catalog: scripts/stack up --fresh")
        assert write_back(spec, source, strapi, admin).ok, "the first write-back failed"
        print(f"reconciled {sum(r.read for r in results)} rows and wrote back once", flush=True)
        with medusa.connect() as conn:
            product_id = conn.execute(sa.text("select id from product where deleted_at is null order by id limit 1")).scalar_one()
        document_id = strapi.find_by_medusa_ids("products", [product_id])[product_id]["documentId"]
        latencies = []
        with dagster_dev(dict(os.environ), args.port) as home:
            time.sleep(10)  # the daemon's first sensor ticks
            for n in range(args.edits):
                time.sleep(random.uniform(0, 5))  # land at every phase of the sensor's tick
                title = f"Edited in Strapi {n} {uuid.uuid4().hex[:6]}"
                strapi.update("products", document_id, {"title": title})
                edited = time.monotonic()

                def in_medusa() -> bool:
                    with medusa.connect() as conn:
                        return conn.execute(sa.text("select title from product where id = :id"), {"id": product_id}).scalar_one() == title

                wait_for(in_medusa, 300, f"edit {n} in Medusa")
                latencies.append(time.monotonic() - edited)
                print(f"edit {n}: Medusa's title after {latencies[-1]:.1f}s", flush=True)
            time.sleep(15)  # let the forward sensor see Medusa's change and settle
            settled = sync_all(mappings, source, strapi, changes=True)
            writes = sum(r.writes for r in settled)
            print(f"round trip over {len(latencies)} edits: {summary(latencies)}; runs in all: {run_count(home)}; "
                  f"writes left for a forward sync afterwards: {writes}")
        return 0 if latencies and max(latencies) <= 60 else 1
    finally:
        strapi.close()
        admin.close()
        source.dispose()
        medusa.dispose()


if __name__ == "__main__":
    sys.exit(main())
