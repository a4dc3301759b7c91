"""Parallel runs share Strapi under a cap: a multi-partition backfill, its partitions launched at once in
processes of their own, never has more runs writing to Strapi than the cap, and leaves no duplicate.

Two caps apply: Dagster's `strapi` pool (its steps wait for a slot, visibly in the UI) and the engine's writer
slots (pipelines.medusa.locks.WriterSlots, advisory locks in Postgres). Dagster's slot claim is a check, then an
update, and two steps starting at the same moment were seen in CI to both pass it (with SQLite and with Postgres
storage), so the test measures the cap that holds: the intervals each run held a writer slot, from the run's own
log events in Dagster's event log. The instance keeps its storage in Postgres, as a deployment's does."""

from __future__ import annotations

import multiprocessing
import subprocess
import sys
import tempfile
from pathlib import Path

from dagster import DagsterInstance

from assets.naming import STRAPI_POOL
from assets.backfills import build_backfill_jobs
from assets.resources import MedusaDatabase, StrapiResource
from pipelines.mapping import load_mappings
from pipelines.medusa.source import engine_url
from pipelines.settings import SHIPPED_MAPPINGS_DIR, Orchestration, SyncOptions
from pipelines.sync.run import sync_all

from throwaway_db import empty_database  # scripts/, on the path by conftest
from .helpers import strapi_entries

GENERATOR = Path(__file__).resolve().parents[2] / "scripts" / "generate_catalog.py"
CAP = 1  # STRAPI_MAX_WRITERS of the runs
DAGSTER_POOL = 4  # Dagster lets all four partitions' steps start at once: the writer slots alone must hold the cap


def writing_intervals(instance: DagsterInstance) -> list[tuple[float, float]]:
    """(taken, released) of the writer slot of every run in the instance, from the runs' log messages."""
    intervals = []
    for run in instance.get_runs():
        entries = [r.event_log_entry for r in instance.get_records_for_run(run.run_id).records]
        taken = [e.timestamp for e in entries if "writer slot" in (e.user_message or "") and "taken" in e.user_message]
        released = [e.timestamp for e in entries if "writer slot" in (e.user_message or "") and "released" in e.user_message]
        assert len(taken) == len(released) == 1, run.run_id
        intervals.append((taken[0], released[0]))
    return intervals


def most_at_once(intervals: list[tuple[float, float]]) -> int:
    events = sorted([(start, 1) for start, _ in intervals] + [(end, -1) for _, end in intervals], key=lambda e: (e[0], e[1]))
    running = peak = 0
    for _, change in events:
        running += change
        peak = max(peak, running)
    return peak


def run_partition(home: str, month: str, medusa_url: str, strapi_url: str, token: str) -> None:
    """One partition of backfill_product, in a process of its own, on the shared instance in `home`; the exit
    code says whether it succeeded."""
    settings = Orchestration(sync=SyncOptions(max_writers=CAP))
    (job,) = [j for j in build_backfill_jobs(load_mappings(SHIPPED_MAPPINGS_DIR), settings) if j.name == "backfill_product"]
    resources = {"medusa": MedusaDatabase(url=medusa_url), "strapi": StrapiResource(url=strapi_url, api_token=token)}
    with DagsterInstance.from_config(home) as instance:
        success = job.execute_in_process(partition_key=month, instance=instance, resources=resources).success
    sys.exit(0 if success else 1)


def run_in_parallel(home: str, months: list[str], *args: str, timeout: float = 240) -> list[int | None]:
    """Each month's partition in a process of its own, all started at once; their exit codes.

    Plain processes that end when their run does: a Pool's workers would be terminated at the end, and a
    worker holding Dagster's signal handlers can ignore that and hang the suite."""
    context = multiprocessing.get_context("spawn")
    processes = [context.Process(target=run_partition, args=(home, month, *args)) for month in months]
    for process in processes:
        process.start()
    for process in processes:
        process.join(timeout)
        if process.is_alive():
            process.kill()
            process.join()
    return [process.exitcode for process in processes]


def test_parallel_backfill_partitions_stay_under_the_writer_cap(mappings, medusa_url, stack, clean_strapi, source, medusa_sql):
    generated = subprocess.run([sys.executable, str(GENERATOR), "--database-url", medusa_url, "--products", "60", "--seed", "5"],
                               capture_output=True, text=True, timeout=300)
    assert generated.returncode == 0, generated.stderr
    sync_all(mappings, source, clean_strapi, only=mappings.dependencies("product"))
    months = [r[0] for r in medusa_sql(
        "select to_char(date_trunc('month', created_at at time zone 'UTC'), 'YYYY-MM-DD') m from product"
        " group by 1 order by count(*) desc, 1 limit 4")]
    with tempfile.TemporaryDirectory() as home, empty_database(medusa_url, "dagster") as dagster_url:
        storage_url = engine_url(dagster_url).set(drivername="postgresql").render_as_string(hide_password=False)
        Path(home, "dagster.yaml").write_text(
            f"storage:\n  postgres:\n    postgres_url: {storage_url}\n"
            f"concurrency:\n  pools:\n    default_limit: {DAGSTER_POOL}\n    granularity: op\n")
        with DagsterInstance.from_config(home) as instance:  # its storage created once, before the runs race for it
            # The pool's slots too, as `dagster instance concurrency set strapi N` does in a deployment
            # (docs/internals.md, "Past one machine"): processes that first meet a pool at the same moment could
            # each allocate default_limit slots.
            instance.event_log_storage.set_concurrency_slots(STRAPI_POOL, DAGSTER_POOL)
        exit_codes = run_in_parallel(home, months, medusa_url, stack["STRAPI_URL"], stack["STRAPI_API_TOKEN"])
        assert exit_codes == [0] * len(months)
        with DagsterInstance.from_config(home) as instance:
            intervals = writing_intervals(instance)
            assert len(intervals) == len(months) and most_at_once(intervals) <= CAP
    expected = {r[0] for r in medusa_sql(
        "select id from product where deleted_at is null and to_char(date_trunc('month', created_at at time zone 'UTC'), 'YYYY-MM-DD') = any(:m)",
        m=months)}
    synced = [e["medusa_id"] for e in strapi_entries(clean_strapi, mappings.get("product"))]
    assert len(synced) == len(set(synced)) and set(synced) == expected
