#!/usr/bin/env python3
"""What the bulk plugin's reads cost with Strapi's content-API validation and sanitization for the caller.

    eval "$(scripts/stack env)"   # a stack of your own: this writes and then deletes N product tags
    .venv/bin/python scripts/benchmark_plugin_find.py --entries 20000 --repeat 5

Writes `--entries` product tags through the plugin, then reads them all back by key `--repeat` times (the
reconcile's compare: `POST /api/bulk-upsert/product-tags/find`, 20,000 keys a request, one field), and prints
the median seconds and entries/s of a read; the tags are deleted after.
"""

from __future__ import annotations

import argparse
import statistics
import sys
import time
import uuid
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from pipelines.settings import Settings  # noqa: E402
from pipelines.strapi.bulk import BulkClient  # noqa: E402
from pipelines.strapi.client import StrapiClient  # noqa: E402


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--entries", type=int, default=20000)
    parser.add_argument("--repeat", type=int, default=5)
    args = parser.parse_args()
    settings = Settings.from_env()
    client = StrapiClient(settings.strapi_url, settings.strapi_credentials)
    bulk = BulkClient(client)
    prefix = f"bench_{uuid.uuid4().hex[:6]}_"
    keys = [f"{prefix}{i}" for i in range(args.entries)]
    documents = []
    for start in range(0, len(keys), 2000):
        results, _ = bulk.write("product-tags", [{"medusa_id": k, "value": k[-6:]} for k in keys[start:start + 2000]], [])
        documents += [r.document_id for r in results]
    try:
        seconds = []
        for _ in range(args.repeat):
            started = time.perf_counter()
            found = bulk.find("product-tags", keys, fields=["value"])
            seconds.append(time.perf_counter() - started)
            assert len(found) == len(keys), len(found)
        median = statistics.median(seconds)
        print(f"find {len(keys):,} entries by key: median {median:.2f} s ({len(keys) / median:,.0f} entries/s) "
              f"over {args.repeat} reads: {', '.join(f'{s:.2f}' for s in seconds)}")
    finally:
        for start in range(0, len(documents), 2000):
            bulk.write("product-tags", [], documents[start:start + 2000])


if __name__ == "__main__":
    main()
