#!/usr/bin/env python3
"""Benchmark a full sync, then an unchanged re-sync, of a generated catalog into the running Strapi.

Needs the stack (`eval "$(scripts/stack env)"`; its MAPPINGS_DIR selects the set). Copies the Medusa
database, adds `--products` generated products (scripts/generate_catalog.py, Medusa v1 only; `--products 0`
for the demo catalog alone), syncs every content type, and prints per type: rows, writes,
HTTP requests, seconds, rows/s; then the same for a second sync (which must write nothing), and the
peak memory of this process. Strapi keeps the entries afterwards; `medusa-strapi reconcile` against the
demo database (or `scripts/stack up --fresh`) puts it back.

    .venv/bin/python scripts/benchmark_sync.py --products 1000
    eval "$(MEDUSA_VERSION=2 scripts/stack env)" && .venv/bin/python scripts/benchmark_sync.py --products 0
"""

from __future__ import annotations

import argparse
import os
import resource
import subprocess
import sys
import time
from collections import Counter
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))

from pipelines.medusa.source import MedusaSource  # noqa: E402
from pipelines.mapping import load_mappings  # noqa: E402
from pipelines.settings import mappings_dir  # noqa: E402
from pipelines.strapi.client import StrapiClient  # noqa: E402
from pipelines.sync.run import ContentTypeSync  # noqa: E402
from throwaway_db import database_copy  # noqa: E402


def counting(client: StrapiClient) -> Counter:
    """Count the HTTP requests the client sends, by method."""
    counts: Counter = Counter()
    send = client.session.request

    def request(method, url, **kw):
        counts[method] += 1
        return send(method, url, **kw)

    client.session.request = request
    return counts


def run_pass(label: str, mappings, source, client, counts: Counter, concurrency: int) -> tuple[int, int, float]:
    print(f"\n{label}\n{'type':22} {'rows':>7} {'writes':>7} {'requests':>9} {'seconds':>8} {'rows/s':>8}")
    total_rows = total_writes = 0
    started = time.monotonic()
    for spec in mappings:
        before = sum(counts.values())
        result = ContentTypeSync(spec, mappings, source, client, concurrency=concurrency).run()
        if not result.ok:
            raise SystemExit(f"{spec.content_type}: {result.failed} failed, e.g. {result.failures[:3]}")
        requests_sent = sum(counts.values()) - before
        rate = result.read / result.seconds if result.seconds else 0
        print(f"{spec.content_type:22} {result.read:7} {result.writes:7} {requests_sent:9} {result.seconds:8.1f} {rate:8.0f}")
        total_rows += result.read
        total_writes += result.writes
    elapsed = time.monotonic() - started
    print(f"{'total':22} {total_rows:7} {total_writes:7} {sum(counts.values()):9} {elapsed:8.1f} {total_rows / elapsed:8.0f}")
    return total_rows, total_writes, elapsed


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--products", type=int, default=1000)
    parser.add_argument("--concurrency", type=int, default=4)
    args = parser.parse_args(argv)

    with database_copy(os.environ["MEDUSA_DATABASE_URL"], "bench") as url:
        if args.products:
            subprocess.run([sys.executable, str(REPO / "scripts" / "generate_catalog.py"), "--database-url", url,
                            "--products", str(args.products)], check=True, stdout=subprocess.DEVNULL)
        mappings = load_mappings(mappings_dir())
        source = MedusaSource(url)
        client = StrapiClient(os.environ["STRAPI_URL"], os.environ["STRAPI_API_TOKEN"], pool_size=args.concurrency * 2)
        counts = counting(client)
        rows, writes, first = run_pass(f"full sync of the demo catalog + {args.products} generated products "
                                       f"(concurrency {args.concurrency})", mappings, source, client, counts, args.concurrency)
        counts.clear()
        _, again, second = run_pass("unchanged re-sync", mappings, source, client, counts, args.concurrency)
        peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
        print(f"\nfirst pass: {rows} rows, {writes} writes in {first:.1f}s ({writes / first:.0f} writes/s); "
              f"re-sync: {again} writes in {second:.1f}s; peak RSS {peak:.0f} MB")
        client.close()
        source.dispose()
        return 0 if again == 0 else 1

if __name__ == "__main__":
    sys.exit(main())
