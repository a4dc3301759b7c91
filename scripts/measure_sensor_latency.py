#!/usr/bin/env python3
"""Measure how long a change in Medusa takes to reach Strapi while `dagster dev` runs the change sensor.

Needs the stack (`scripts/stack up`, `eval "$(scripts/stack env)"`). Works on a throwaway copy of the
Medusa database: syncs it once with the CLI's path (which records every type's watermark), starts
`dagster dev` (webserver + daemon) with a temporary DAGSTER_HOME, counts the runs launched in the first
`--settle` seconds (none is expected: the catalog is in sync), then changes a product title `--changes`
times at random moments and polls Strapi until each shows. `--load N` keeps N CPU-bound processes busy
meanwhile. Prints every latency, then min, median, p95 and max.

    .venv/bin/python scripts/measure_sensor_latency.py --changes 20
    .venv/bin/python scripts/measure_sensor_latency.py --changes 20 --load 2
"""

from __future__ import annotations

import argparse
import os
import random
import shutil
import signal
import statistics
import subprocess
import sys
import tempfile
import time
import uuid
from pathlib import Path

import requests
import sqlalchemy as sa

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))

from pipelines.mapping import load_mappings  # noqa: E402
from pipelines.medusa.source import MedusaSource, engine_url  # noqa: E402
from pipelines.settings import mappings_dir  # noqa: E402
from pipelines.strapi.client import StrapiClient  # noqa: E402
from pipelines.sync.run import sync_all  # noqa: E402
from throwaway_db import database_copy  # noqa: E402

# `dagster dev` started in the background ignores SIGTERM and starts with SIGINT ignored: restore it.
LAUNCHER = "import os, signal, sys; signal.signal(signal.SIGINT, signal.SIG_DFL); os.execvp(sys.argv[1], sys.argv[1:])"
BUSY = "while True: pass"


def wait_for(predicate, timeout: float, what: str, every: float = 0.25):
    """Poll `predicate` until it returns a truthy value; RuntimeError after `timeout` seconds."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = predicate()
        if value:
            return value
        time.sleep(every)
    raise RuntimeError(f"timed out after {timeout:.0f}s waiting for {what}")


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
    home = Path(tempfile.mkdtemp(prefix="dagster-latency-"))
    shutil.copy(REPO / "dagster.yaml", home / "dagster.yaml")
    env = {**os.environ, "DAGSTER_HOME": str(home), "MEDUSA_DATABASE_URL": url}
    log = open(home / "dagster-dev.log", "w")
    dagster = str(Path(sys.executable).with_name("dagster"))
    process = subprocess.Popen(
        [sys.executable, "-c", LAUNCHER, dagster, "dev", "-w", "workspace.yaml", "-h", "127.0.0.1", "-p", str(args.port)],
        cwd=REPO, env=env, stdout=log, stderr=subprocess.STDOUT, start_new_session=True,
    )
    load = [subprocess.Popen([sys.executable, "-c", BUSY]) for _ in range(args.load)]
    try:
        started = time.monotonic()
        wait_for(lambda: _ok(f"http://127.0.0.1:{args.port}/server_info"), 120, "the Dagster webserver")
        print(f"dagster dev up in {time.monotonic() - started:.1f}s; counting runs for {args.settle}s", flush=True)
        time.sleep(args.settle)
        print(f"runs launched on the in-sync catalog: {_runs(home)}", flush=True)
        with medusa.connect() as conn:
            product_id = conn.execute(sa.text("select id from product where deleted_at is null order by id limit 1")).scalar_one()
        latencies = []
        for n in range(args.changes):
            time.sleep(random.uniform(0, 5))  # land at every phase of the sensor's tick
            title = f"Latency probe {n} {uuid.uuid4().hex[:6]}"
            with medusa.begin() as conn:
                conn.execute(sa.text("update product set title = :t, updated_at = now() where id = :id"), {"t": title, "id": product_id})
            changed = time.monotonic()
            wait_for(lambda: strapi.find_by_medusa_ids("products", [product_id], fields=["title"])
                     .get(product_id, {}).get("title") == title, 300, f"change {n} in Strapi")
            latencies.append(time.monotonic() - changed)
            print(f"change {n}: in Strapi after {latencies[-1]:.1f}s", flush=True)
        latencies.sort()
        p95 = latencies[max(0, round(0.95 * len(latencies)) - 1)]
        print(f"latency over {len(latencies)} changes with {args.load} busy process(es): min {latencies[0]:.1f}s, "
              f"median {statistics.median(latencies):.1f}s, p95 {p95:.1f}s, max {latencies[-1]:.1f}s; "
              f"runs in all: {_runs(home)}")
        return 0
    finally:
        for busy in load:
            busy.kill()
        strapi.close()
        source.dispose()
        os.killpg(process.pid, signal.SIGINT)
        try:
            process.wait(timeout=30)
        except subprocess.TimeoutExpired:
            os.killpg(process.pid, signal.SIGKILL)
        log.close()
        medusa.dispose()
        shutil.rmtree(home, ignore_errors=True)


def _runs(home: Path) -> int:
    out = subprocess.run([str(Path(sys.executable).with_name("dagster")), "run", "list", "--limit", "1000"],
                         env={**os.environ, "DAGSTER_HOME": str(home)}, capture_output=True, text=True, timeout=60)
    return out.stdout.count("Run: ")


def _ok(url: str) -> bool:
    try:
        return requests.get(url, timeout=2).ok
    except requests.RequestException:
        return False


if __name__ == "__main__":
    sys.exit(main())
