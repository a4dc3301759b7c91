"""R3: Strapi down, Postgres down, Strapi hanging (accepts, never answers), at start and mid-run: a clear
one-line error within 30 s, a non-zero exit, no watermark recorded, and the next run catches up. The same
through Dagster: the run fails with the message and the sensor records nothing."""

from __future__ import annotations

import os
import subprocess
import sys
import threading
import time
from urllib.parse import urlsplit

from dagster import DagsterInstance, materialize

from assets.resources import MedusaDatabase, StrapiResource
from assets.sync import build_sync_assets
from pipelines.sync.run import sync_all
from pipelines.sync.state import SyncState
from tests.integration.helpers import assert_in_sync
from tests.support.proxy import StrapiProxy
from tests.support.tcp_proxy import TcpProxy

from .conftest import cli, timed_cli

BOUND = 30.0


def one_line_error(result) -> str:
    errors = [line for line in result.stderr.splitlines() if line.startswith("error: ")]
    assert len(errors) == 1 and "Traceback" not in result.stderr, result.stderr
    return errors[0]


def test_strapi_or_postgres_down_at_start(stack, medusa_url):
    env = {**stack, "MEDUSA_DATABASE_URL": medusa_url}
    down, seconds = timed_cli("-q", "sync", env={**env, "STRAPI_URL": "http://127.0.0.1:9"})
    print(f"\nR3: Strapi down at start reported after {seconds:.1f}s")
    assert down.returncode == 1 and seconds < BOUND
    assert "Strapi at http://127.0.0.1:9 is unreachable" in one_line_error(down)
    database = medusa_url.replace(f":{urlsplit(medusa_url).port}/", ":9/")
    gone, seconds = timed_cli("-q", "sync", env={**env, "MEDUSA_DATABASE_URL": database})
    print(f"R3: Postgres down at start reported after {seconds:.1f}s")
    assert gone.returncode == 1 and seconds < BOUND
    assert "cannot connect to Medusa's database" in one_line_error(gone)


def dagster_run(mappings, medusa_url, strapi_url, token, outcome: dict) -> None:
    """Materialize one asset through Dagster against `strapi_url`; its result and duration in `outcome`."""
    started = time.monotonic()
    with DagsterInstance.ephemeral() as instance:
        outcome["result"] = materialize(
            build_sync_assets(mappings), selection=["strapi/currency"], instance=instance, raise_on_error=False,
            resources={"medusa": MedusaDatabase(url=medusa_url), "strapi": StrapiResource(url=strapi_url, api_token=token)})
    outcome["seconds"] = time.monotonic() - started


def test_strapi_hanging_at_start_and_mid_run_is_reported_within_30_seconds(stack, medusa_url, source, clean_strapi, mappings):
    """The CLI at start and mid-run, and a Dagster run, against Strapis that accept and never answer (at once)."""
    env = {**stack, "MEDUSA_DATABASE_URL": medusa_url}
    with StrapiProxy(stack["STRAPI_URL"]) as hanging, StrapiProxy(stack["STRAPI_URL"]) as later:
        hanging.pause()  # accepts every connection, answers none
        at_start, through_dagster = {}, {}
        thread = threading.Thread(target=lambda: at_start.update(zip(("result", "seconds"), timed_cli(
            "-q", "sync", env={**env, "STRAPI_URL": hanging.url}))))
        thread.start()
        dagster = threading.Thread(target=dagster_run, args=(mappings, medusa_url, hanging.url, stack["STRAPI_API_TOKEN"], through_dagster))
        dagster.start()
        # mid-run: the second proxy stops answering once the run is writing
        run = subprocess.Popen([sys.executable, "-m", "pipelines.cli", "-q", "sync"], env={**os.environ, **env,
                               "STRAPI_URL": later.url}, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
        later.wait_until(lambda p: p.forwarded >= 40, timeout=60)
        later.pause()
        paused_at = time.monotonic()
        _, stderr = run.communicate(timeout=120)
        mid_run_seconds = time.monotonic() - paused_at
        thread.join(120)
        dagster.join(120)
    print(f"\nR3: hanging Strapi reported by the CLI after {at_start['seconds']:.1f}s at start, {mid_run_seconds:.1f}s "
          f"mid-run; the Dagster run failed after {through_dagster['seconds']:.1f}s")
    assert at_start["result"].returncode == 1 and at_start["seconds"] < BOUND
    assert "is unreachable" in one_line_error(at_start["result"]) and "timed out" in at_start["result"].stderr
    assert run.returncode == 1 and mid_run_seconds < BOUND + 5, (mid_run_seconds, stderr[-2000:])
    assert "is unreachable" in one_line_error(subprocess.CompletedProcess([], 1, "", stderr))
    # through Dagster: the run fails with the message
    assert not through_dagster["result"].success and through_dagster["seconds"] < BOUND + 10
    (failure,) = [e for e in through_dagster["result"].all_events if e.event_type_value == "STEP_FAILURE"]
    assert "is unreachable" in failure.event_specific_data.error.message
    # nothing recorded for a type the runs did not finish; the next run catches up
    assert SyncState(clean_strapi, source.identity).get("money-amount") is None
    assert cli("-q", "sync", env=env).returncode == 0
    assert_in_sync(source, clean_strapi, mappings)


def test_postgres_going_away_mid_run_is_a_clear_error_and_the_next_run_catches_up(stack, medusa_url, source, clean_strapi, mappings):
    parts = urlsplit(medusa_url)
    proxy = TcpProxy(parts.hostname, parts.port)
    through = medusa_url.replace(f":{parts.port}/", f":{proxy.port}/")
    env = {**stack, "MEDUSA_DATABASE_URL": through}
    with StrapiProxy(stack["STRAPI_URL"]) as watched:
        run = subprocess.Popen([sys.executable, "-m", "pipelines.cli", "-q", "sync"],
                               env={**os.environ, **env, "STRAPI_URL": watched.url},
                               stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
        watched.wait_until(lambda p: p.forwarded >= 40, timeout=60)
        proxy.cut()
        cut_at = time.monotonic()
        _, stderr = run.communicate(timeout=120)
    print(f"\nR3: Postgres cut mid-run reported after {time.monotonic() - cut_at:.1f}s")
    assert run.returncode == 1 and time.monotonic() - cut_at < BOUND
    line = one_line_error(subprocess.CompletedProcess([], 1, "", stderr))
    assert "Medusa's database" in line
    assert all(r.ok for r in sync_all(mappings, source, clean_strapi))
    assert_in_sync(source, clean_strapi, mappings)
