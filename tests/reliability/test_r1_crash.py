"""R1: a sync killed with SIGKILL at random moments loses and duplicates nothing once it is run again, and a
killed incremental run records no watermark."""

from __future__ import annotations

import os
import random
import subprocess
import sys
import time

from pipelines.sync.run import sync_all
from pipelines.sync.state import SyncState
from tests.integration.helpers import assert_in_sync

from .conftest import cli, generate, strapi_duplicates


def test_kill_9_at_random_moments_then_run_again(stack, medusa_url, source, clean_strapi, mappings):
    generate(medusa_url, products=60, seed=7)
    env = {**stack, "MEDUSA_DATABASE_URL": medusa_url}
    rng = random.Random(2026)
    for moment in sorted(rng.uniform(1.5, 6.0) for _ in range(3)):
        process = subprocess.Popen([sys.executable, "-m", "pipelines.cli", "-q", "sync"], env={**os.environ, **env},
                                   stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        time.sleep(moment)
        process.kill()  # SIGKILL: no cleanup, no atexit, connections dropped mid-request
        process.wait()
    final = cli("-q", "sync", env=env)
    assert final.returncode == 0, final.stderr
    assert_in_sync(source, clean_strapi, mappings)  # every row once, equal values and relations
    assert strapi_duplicates(stack, mappings) == {}


def test_a_killed_incremental_run_records_nothing_and_the_next_catches_up(stack, medusa_url, source, clean_strapi, mappings, medusa_sql):
    generate(medusa_url, products=120, seed=8)
    assert all(r.ok for r in sync_all(mappings, source, clean_strapi))
    state = SyncState(clean_strapi, source.identity)
    before = state.get("product-variant")
    medusa_sql("update product_variant set title = title || ' (2)', updated_at = now()")
    env = {**stack, "MEDUSA_DATABASE_URL": medusa_url}
    process = subprocess.Popen([sys.executable, "-m", "pipelines.cli", "-q", "sync", "--changes", "--only", "product-variant"],
                               env={**os.environ, **env}, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    # Killed at its first write seen in Strapi: mid-run, however fast this machine is.
    deadline = time.monotonic() + 60
    while process.poll() is None and time.monotonic() < deadline:
        changed = clean_strapi.request("GET", "/api/product-variants", params={
            "filters[title][$endsWith]": " (2)", "pagination[pageSize]": 1, "fields[0]": "medusa_id"})
        if changed["meta"]["pagination"]["total"]:
            break
        time.sleep(0.05)
    process.kill()
    process.wait()
    assert state.get("product-variant") == before  # the watermark did not move
    again = cli("-q", "sync", "--changes", env=env)
    assert again.returncode == 0, again.stderr
    assert state.get("product-variant") != before
    assert_in_sync(source, clean_strapi, mappings)
    assert strapi_duplicates(stack, mappings) == {}
