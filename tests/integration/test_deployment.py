"""A deployment, not `dagster dev` (scripts/deploy): the webserver and the daemon as two processes of their own, the
instance's storage in Postgres, the run queue and the `strapi` pool's limit set explicitly. The test brings it up
on a Dagster database of its own, changes a product in Medusa, sees the change reach Strapi through the run the
daemon's change sensor launched, and stops it: both processes exit, and nothing of the deployment is left."""

from __future__ import annotations

import os
import time
import uuid

from dagster import DagsterRunStatus, RunsFilter

from assets.naming import CHANGES_SENSOR, DEFAULT_NAMES, STRAPI_POOL
from pipelines.medusa.source import engine_url

from dagster_deploy import Deployment, storage_url, webserver_port, wait_for  # scripts/, on the path by conftest
from throwaway_db import empty_database

POOL_LIMIT = 3  # not the default (2): the test sees that `up` set it
MAX_RUNS = 3


def with_password(url: str) -> tuple[str, str]:
    """`url` and its password; one of the test's own put in when it has none (the local Postgres trusts loopback,
    and ignores it), so that the test can look for it where it must never be."""
    parsed = engine_url(url)
    if parsed.password:
        return url, parsed.password
    secret = f"deploy-secret-{uuid.uuid4().hex[:12]}"
    return parsed.set(drivername="postgresql", password=secret).render_as_string(hide_password=False), secret


def test_deploy_up_syncs_a_change_through_the_daemon_and_down_leaves_nothing(stack, medusa_url, synced_strapi, medusa_sql, tmp_path):
    product_id = medusa_sql("select id from product where deleted_at is null order by id limit 1")[0][0]
    with empty_database(medusa_url, "dagster") as database_url:
        dagster_url, secret = with_password(storage_url(database_url))
        settings = {"MEDUSA_DATABASE_URL": medusa_url, "STRAPI_URL": stack["STRAPI_URL"],
                    "STRAPI_API_TOKEN": stack["STRAPI_API_TOKEN"], "DAGSTER_POSTGRES_URL": dagster_url,
                    "STRAPI_POOL_LIMIT": str(POOL_LIMIT), "DAGSTER_MAX_RUNS": str(MAX_RUNS), "SENSOR_INTERVAL_SECONDS": "2"}
        deployment = Deployment(settings, tmp_path / "deploy", webserver_port(stack["STRAPI_URL"]))
        try:
            started = time.monotonic()
            up = deployment.run("up")
            assert up.returncode == 0, up.stderr
            up_seconds = time.monotonic() - started
            pids = deployment.pids()
            assert set(pids) == {"webserver", "daemon"} and pids["webserver"] != pids["daemon"]
            assert "heartbeats fresh" in up.stderr

            # No secret on a command line nor in the instance's file: Dagster reads the storage URL from the environment.
            running = deployment.processes()
            assert {pids["webserver"], pids["daemon"]} <= set(running)
            assert "dagster-webserver -h 127.0.0.1 -p" in running[pids["webserver"]]
            assert "dagster-daemon run" in running[pids["daemon"]]
            for command in running.values():
                assert secret not in command and stack["STRAPI_API_TOKEN"] not in command
            written = (deployment.home / "dagster.yaml").read_text()
            assert "env: DAGSTER_POSTGRES_URL" in written and secret not in written

            status = deployment.run("status")
            assert status.returncode == 0, status.stdout
            assert f"answers on http://127.0.0.1:{deployment.port}" in status.stdout and "heartbeats fresh" in status.stdout

            with deployment.instance() as instance:
                assert type(instance.run_storage).__name__ == "PostgresRunStorage"
                assert instance.get_concurrency_config().pool_config.default_pool_limit == POOL_LIMIT
                assert instance.event_log_storage.get_concurrency_info(STRAPI_POOL).slot_count == POOL_LIMIT
                assert instance.get_concurrency_config().run_queue_config.max_concurrent_runs == MAX_RUNS  # what the daemon dequeues by

            # A change in Medusa reaches Strapi through the daemon's sensor and the run it launched.
            text = f"Deployed {uuid.uuid4().hex[:8]}"
            medusa_sql("update product set description = :t, updated_at = now() where id = :id", t=text, id=product_id)
            changed = time.monotonic()
            wait_for(lambda: synced_strapi.find_by_medusa_ids("products", [product_id], fields=["description"])
                     .get(product_id, {}).get("description") == text, 180, "the change in Strapi")
            latency = time.monotonic() - changed
            with deployment.instance() as instance:
                runs = wait_for(lambda: [r for r in instance.get_runs(RunsFilter(tags={"dagster/sensor_name": CHANGES_SENSOR}))
                                         if r.status == DagsterRunStatus.SUCCESS], 60, "the sensor's run to succeed")
                assert any(DEFAULT_NAMES.strapi_key("product") in (r.asset_selection or ()) for r in runs)

            started = time.monotonic()
            down = deployment.run("down")
            down_seconds = time.monotonic() - started
            assert down.returncode == 0, down.stderr
            assert "SIGKILL" not in down.stderr  # SIGTERM was enough
            for pid in pids.values():
                assert not os.path.exists(f"/proc/{pid}")
            assert deployment.processes() == {}  # no code server, run worker or helper left
            assert deployment.pids() == {}
            assert deployment.run("status").returncode == 3
            for name in ("webserver.log", "daemon.log"):
                assert secret not in (deployment.folder / name).read_text(), name
            print(f"\nscripts/deploy: up in {up_seconds:.1f}s, a change in Medusa in Strapi after {latency:.1f}s "
                  f"(sensor run by the daemon), down in {down_seconds:.1f}s, nothing left")
        finally:
            deployment.stop_all()
