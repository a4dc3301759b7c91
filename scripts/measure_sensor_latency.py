#!/usr/bin/env python3
"""Measure how long a change in Medusa takes to reach Strapi while `dagster dev` runs the sensors.

Needs the stack (`scripts/stack up`, `eval "$(scripts/stack env)"`). Works on a throwaway copy of the
Medusa database, starts `dagster dev` (webserver + daemon) with a temporary DAGSTER_HOME, waits for
the sensors' first runs, then changes a product title N times and polls Strapi until each shows.

    .venv/bin/python scripts/measure_sensor_latency.py [--changes 3] [--port 3011]
"""

from __future__ import annotations

import argparse
import os
import shutil
import signal
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

from pipelines.medusa.source import engine_url  # noqa: E402
from pipelines.strapi.client import StrapiClient  # noqa: E402
from throwaway_db import database_copy  # noqa: E402

# `dagster dev` started in the background ignores SIGTERM and starts with SIGINT ignored: restore it.
LAUNCHER = "import os, signal, sys; signal.signal(signal.SIGINT, signal.SIG_DFL); os.execvp(sys.argv[1], sys.argv[1:])"


def wait_for(predicate, timeout: float, what: str, every: float = 0.5):
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
    parser.add_argument("--changes", type=int, default=3)
    parser.add_argument("--port", type=int, default=3011)
    args = parser.parse_args(argv)

    with database_copy(os.environ["MEDUSA_DATABASE_URL"], "latency") as url:
        return measure(url, args)


def measure(url: str, args: argparse.Namespace) -> int:
    """Run dagster dev against the database at `url` and time the changes."""
    medusa = sa.create_engine(engine_url(url))
    home = Path(tempfile.mkdtemp(prefix="dagster-latency-"))
    shutil.copy(REPO / "dagster.yaml", home / "dagster.yaml")
    env = {**os.environ, "DAGSTER_HOME": str(home), "MEDUSA_DATABASE_URL": url}
    dagster = str(Path(sys.executable).with_name("dagster"))
    log = open(home / "dagster-dev.log", "w")
    process = subprocess.Popen(
        [sys.executable, "-c", LAUNCHER, dagster, "dev", "-w", "workspace.yaml", "-h", "127.0.0.1", "-p", str(args.port)],
        cwd=REPO, env=env, stdout=log, stderr=subprocess.STDOUT, start_new_session=True,
    )
    strapi = StrapiClient(os.environ["STRAPI_URL"], os.environ["STRAPI_API_TOKEN"])
    try:
        started = time.monotonic()
        wait_for(lambda: _ok(f"http://127.0.0.1:{args.port}/server_info"), 60, "the Dagster webserver")
        print(f"dagster dev up in {time.monotonic() - started:.1f}s", flush=True)
        with medusa.connect() as conn:
            product_id = conn.execute(sa.text("select id from product where deleted_at is null order by id limit 1")).scalar_one()
        # the sensors' first runs (a full pass per content type) must have brought this product in
        wait_for(lambda: product_id in strapi.find_by_medusa_ids("products", [product_id]), 300, "the first sensor runs", 2)
        print(f"first sensor runs done after {time.monotonic() - started:.1f}s", flush=True)
        time.sleep(35)  # let the sensors confirm their first watermarks
        latencies = []
        for n in range(args.changes):
            title = f"Latency probe {n} {uuid.uuid4().hex[:6]}"
            with medusa.begin() as conn:
                conn.execute(sa.text("update product set title = :t, updated_at = now() where id = :id"), {"t": title, "id": product_id})
            changed = time.monotonic()
            wait_for(lambda: strapi.find_by_medusa_ids("products", [product_id], fields=["title"])
                     .get(product_id, {}).get("title") == title, 180, f"change {n} in Strapi", 1)
            latencies.append(time.monotonic() - changed)
            print(f"change {n}: in Strapi after {latencies[-1]:.1f}s", flush=True)
        print(f"latency: min {min(latencies):.1f}s, max {max(latencies):.1f}s over {len(latencies)} changes "
              f"(sensor interval {os.environ.get('SENSOR_INTERVAL_SECONDS', '30')}s)")
        return 0
    finally:
        strapi.close()
        os.killpg(process.pid, signal.SIGINT)
        try:
            process.wait(timeout=30)
        except subprocess.TimeoutExpired:
            os.killpg(process.pid, signal.SIGKILL)
        log.close()
        medusa.dispose()
        shutil.rmtree(home, ignore_errors=True)


def _ok(url: str) -> bool:
    try:
        return requests.get(url, timeout=2).ok
    except requests.RequestException:
        return False


if __name__ == "__main__":
    sys.exit(main())
