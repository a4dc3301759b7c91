#!/usr/bin/env python3
"""Peak RSS of a full bulk sync as the catalog grows (issue 11's memory target: 100,000 products <= 1.2x 10,000).

    eval "$(scripts/stack env)"
    .venv/bin/python scripts/benchmark_memory.py --products 10000 100000

For each size: a copy of the Medusa database with that many generated products (scripts/generate_catalog.py,
Medusa v1), Strapi emptied of the mapped types, then `medusa-strapi -q sync --write-path bulk` in a process of
its own, which reports its peak RSS as it exits (the kernel's VmHWM, what `/usr/bin/time -f %M` shows; Linux
only). Not the rusage `wait4` gives: Linux counts in it the RSS of the parent the child was forked from, which
is this script's. Prints each peak, the rows and seconds of each sync, and each peak's ratio to the first. Generating 100,000 products takes about five
minutes, its sync about four. It leaves Strapi holding the last catalog, as benchmark_sync.py does.
"""

from __future__ import annotations

import argparse
import os
import re
import subprocess
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))
sys.path.insert(0, str(REPO / "scripts"))

from benchmark_sync import empty_synced_types, generate  # noqa: E402
from pipelines.mapping import load_mappings  # noqa: E402
from pipelines.settings import mappings_dir  # noqa: E402
from pipelines.strapi.client import StrapiClient  # noqa: E402
from throwaway_db import database_copy  # noqa: E402

# The CLI's main, with its peak RSS (kB) written to the file named by argv[1] as the process exits.
CLI_REPORTING_PEAK = """
import atexit, re, sys
from pipelines.cli import main
peak_file = sys.argv.pop(1)
def report():
    with open("/proc/self/status") as status, open(peak_file, "w") as out:
        out.write(re.search(r"VmHWM:\\s+(\\d+)", status.read()).group(1))
atexit.register(report)
sys.exit(main(sys.argv[1:]))
"""


def peak_of_sync(database_url: str) -> tuple[float, float, str]:
    """(peak RSS in MB, seconds, the CLI's last line) of a full bulk sync of `database_url` in a new process."""
    with tempfile.NamedTemporaryFile("r", suffix=".peak") as peak_file:
        started = time.monotonic()
        done = subprocess.run([sys.executable, "-c", CLI_REPORTING_PEAK, peak_file.name, "-q", "sync", "--write-path", "bulk"],
                              cwd=REPO, env={**os.environ, "MEDUSA_DATABASE_URL": database_url},
                              stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
        seconds = time.monotonic() - started
        if done.returncode:
            raise SystemExit(f"the sync failed ({done.returncode}):\n{done.stdout}")
        return int(peak_file.read()) / 1024, seconds, done.stdout.strip().splitlines()[-1]


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--products", type=int, nargs="+", default=[10000, 100000], help="catalog sizes, smallest first")
    args = parser.parse_args(argv)

    mappings = load_mappings(mappings_dir())
    client = StrapiClient(os.environ["STRAPI_URL"], os.environ["STRAPI_API_TOKEN"])
    peaks: list[float] = []
    try:
        for products in args.products:
            with database_copy(os.environ["MEDUSA_DATABASE_URL"], f"mem{products}") as url:
                print(f"{products} products: generating ...", flush=True)
                generate(url, products)
                empty_synced_types(mappings, client)
                peak, seconds, summary = peak_of_sync(url)
            rows = re.search(r"(\d+) rows read", summary)
            peaks.append(peak)
            print(f"{products} products: peak RSS {peak:.0f} MB = {peak / peaks[0]:.2f}x the first; "
                  f"{rows.group(1) if rows else '?'} rows in {seconds:.0f} s", flush=True)
    finally:
        client.close()
    return 0


if __name__ == "__main__":
    sys.exit(main())
