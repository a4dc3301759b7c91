"""`dagster dev` for the latency scripts: started on a temporary DAGSTER_HOME, polled until it answers,
stopped with everything it started (measure_sensor_latency.py, measure_writeback_latency.py)."""

from __future__ import annotations

import os
import shutil
import signal
import subprocess
import sys
import tempfile
import time
from contextlib import contextmanager
from pathlib import Path
from typing import Iterator

import requests

REPO = Path(__file__).resolve().parent.parent
# `dagster dev` started in the background inherits SIGINT ignored, and so ignores SIGTERM too: restore it.
LAUNCHER = REPO / "scripts" / "lib" / "default_sigint.py"


def wait_for(predicate, timeout: float, what: str, every: float = 0.25):
    """Poll `predicate` until it returns a truthy value; RuntimeError after `timeout` seconds."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = predicate()
        if value:
            return value
        time.sleep(every)
    raise RuntimeError(f"timed out after {timeout:.0f}s waiting for {what}")


@contextmanager
def dagster_dev(env: dict[str, str], port: int) -> Iterator[Path]:
    """Run `dagster dev` (webserver + daemon) on a fresh DAGSTER_HOME with the repo's dagster.yaml; yields
    that home once the webserver answers."""
    home = Path(tempfile.mkdtemp(prefix="dagster-latency-"))
    shutil.copy(REPO / "dagster.yaml", home / "dagster.yaml")
    log = open(home / "dagster-dev.log", "w")
    dagster = str(Path(sys.executable).with_name("dagster"))
    process = subprocess.Popen(
        [sys.executable, str(LAUNCHER), dagster, "dev", "-w", "workspace.yaml", "-h", "127.0.0.1", "-p", str(port)],
        cwd=REPO, env={**env, "DAGSTER_HOME": str(home)}, stdout=log, stderr=subprocess.STDOUT, start_new_session=True,
    )
    try:
        started = time.monotonic()
        wait_for(lambda: _ok(f"http://127.0.0.1:{port}/server_info"), 120, "the Dagster webserver")
        print(f"dagster dev up in {time.monotonic() - started:.1f}s", flush=True)
        yield home
    finally:
        os.killpg(process.pid, signal.SIGINT)
        try:
            process.wait(timeout=30)
        except subprocess.TimeoutExpired:
            os.killpg(process.pid, signal.SIGKILL)
        log.close()
        shutil.rmtree(home, ignore_errors=True)


def run_count(home: Path) -> int:
    """Runs the instance at `home` has launched so far."""
    out = subprocess.run([str(Path(sys.executable).with_name("dagster")), "run", "list", "--limit", "1000"],
                         env={**os.environ, "DAGSTER_HOME": str(home)}, capture_output=True, text=True, timeout=60)
    return out.stdout.count("Run: ")


def summary(latencies: list[float]) -> str:
    """min, median, p95 and max of `latencies` (seconds)."""
    import statistics

    ordered = sorted(latencies)
    p95 = ordered[max(0, round(0.95 * len(ordered)) - 1)]
    return f"min {ordered[0]:.1f}s, median {statistics.median(ordered):.1f}s, p95 {p95:.1f}s, max {ordered[-1]:.1f}s"


def _ok(url: str) -> bool:
    try:
        return requests.get(url, timeout=2).ok
    except requests.RequestException:
        return False
