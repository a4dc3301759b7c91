#!/usr/bin/env python3
"""A distributed run on Celery, measured: a deployment (scripts/deploy, DAGSTER_EXECUTOR=celery) and Celery workers
(scripts/celery-workers) backfill a generated catalog's 24 months, one worker killed mid-partition, then reconcile.

    eval "$(scripts/stack env)"
    .venv/bin/python scripts/benchmark_celery.py --products 10000

On a copy of the stack's Medusa database with `--products` generated products (scripts/generate_catalog.py; their
history spans 2024-06-30 to 2026-06-30), with the stack's Strapi emptied of the synced types first (it is left
holding the copy's catalog; `medusa-strapi reconcile` against the demo database puts it back):

  1. the types the products link to are synced (the command line's path), and a deployment comes up on a Dagster
     database and a Redis database of its own, with `--workers` Celery workers of `--concurrency` processes each;
  2. a backfill of `backfill_product`'s 24 monthly partitions 2024-07 .. 2026-06 is launched as the UI launches one
     (the daemon's backfill); with `--kill`, worker 1 is killed (SIGKILL, its pool's processes too) as soon as it
     runs a partition, while the test holds every writer slot so that the kill lands inside the partition, and
     the run that partition was in must be retried by Dagster (the lost worker fails it; run retries re-execute it);
  3. a full reconcile (the `reconcile` job, every type a step) across the workers (worker 1 started again).

Prints partitions, workers, seconds, the most steps writing to Strapi at once against STRAPI_MAX_WRITERS (from the
writer slots' log lines in Dagster's event log), and the duplicate `medusa_id`s counted in Strapi's own tables.
tests/integration/test_celery.py runs the same scenario on a smaller catalog and asserts on it.
"""

from __future__ import annotations

import argparse
import os
import socket
import subprocess
import sys
import time
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path
from urllib.parse import urlsplit

import sqlalchemy as sa

sys.path.insert(0, str(Path(__file__).resolve().parent))

from dagster_deploy import (REPO, WORKSPACE, Deployment, celery_workers_of, most_at_once, storage_url,  # noqa: E402
                            wait_for, webserver_port, writing_intervals)

from dagster import DagsterRunStatus, RunsFilter  # noqa: E402

from assets.naming import CHANGES_SENSOR  # noqa: E402
from pipelines.mapping import load_mappings  # noqa: E402
from pipelines.medusa.locks import slot_key  # noqa: E402
from pipelines.medusa.source import MedusaSource, engine_url  # noqa: E402
from pipelines.settings import mappings_dir  # noqa: E402
from pipelines.strapi.client import StrapiClient  # noqa: E402
from pipelines.sync.run import sync_all  # noqa: E402
from pipelines.sync.transform import transform  # noqa: E402

GENERATOR = REPO / "scripts" / "generate_catalog.py"
FIRST_MONTH = date(2024, 7, 1)  # the generated history runs from 2024-06-30 to 2026-06-30 (scripts/catalog/moments.py)
MONTHS = 24
REDIS = ("127.0.0.1", 6379)
BACKFILL_JOB = "backfill_product"


def months(first: date = FIRST_MONTH, count: int = MONTHS) -> list[str]:
    """The partition keys of `count` months from `first` (YYYY-MM-01)."""
    return [date(first.year + (first.month - 1 + n) // 12, (first.month - 1 + n) % 12 + 1, 1).isoformat() for n in range(count)]


def worker_name(number: int) -> str:
    """Celery worker `number`'s name, as scripts/celery-workers gives it."""
    return f"medusa-strapi-{number}@{socket.gethostname()}"


def free_redis_database(preferred: int) -> int | None:
    """An empty Redis database for a broker of the caller's own (no other worker takes its tasks): `preferred`, else
    the first empty one from 15 down (11 never: the settings' default, a deployment's); None when none is empty."""
    import redis

    for number in [preferred, *range(15, 0, -1)]:
        if number != 11 and redis.Redis(*REDIS, db=number).dbsize() == 0:
            return number
    return None


def flush_redis_database(number: int) -> None:
    import redis

    redis.Redis(*REDIS, db=number).flushdb()


class SlotsHeld:
    """Every writer slot of the Strapi held by the caller itself, so that the steps that start wait inside their
    partition (their run started, their worker busy) until `release`: a kill then lands mid-partition for sure."""

    def __init__(self, medusa_url: str, strapi_url: str, count: int):
        self.engine = sa.create_engine(engine_url(medusa_url))
        self.conn = self.engine.connect().execution_options(isolation_level="AUTOCOMMIT")
        for slot in range(1, count + 1):
            self.conn.execute(sa.text("select pg_advisory_lock(:k)"), {"k": slot_key(strapi_url, slot)})

    def release(self) -> None:
        if self.conn is not None:
            self.conn.close()  # the session's advisory locks go with it
            self.engine.dispose()
            self.conn = None


@dataclass
class Scenario:
    """What to run: the catalog, the workers, the caps."""

    products: int = 240
    workers: int = 2
    concurrency: int = 2  # processes per worker
    writers: int = 2  # STRAPI_MAX_WRITERS
    pool: int = 4  # the Dagster `strapi` pool: more than the writers, so that the writer slots alone hold the cap
    max_runs: int = 4
    kill: bool = True
    seed: int = 24


@dataclass
class Outcome:
    """What happened, from Dagster's instance."""

    partitions: list[str] = field(default_factory=list)
    expected_products: set[str] = field(default_factory=set)  # the 24 months' live products in Medusa
    backfill_seconds: float = 0.0
    victim_status: str | None = None  # the killed partition's first run
    victim_lost: bool = False  # it failed because its worker was found lost
    retry_statuses: list[str] = field(default_factory=list)  # the runs retrying it
    same_partition: bool = False
    backfill_workers: set[str] = field(default_factory=set)
    reconcile_status: str | None = None
    reconcile_seconds: float = 0.0
    reconcile_workers: set[str] = field(default_factory=set)
    most_writing: int = 0
    leftovers: dict[int, str] = field(default_factory=dict)  # processes of the deployment left after stopping


def run(scenario: Scenario, medusa_url: str, strapi_url: str, token: str, dagster_url: str, folder: Path, port: int,
        redis_database: int, log=print, after_backfill=None) -> Outcome:
    """The scenario on the Medusa copy at `medusa_url` (catalog generated into it here) and the emptied Strapi, on the
    empty Dagster database at `dagster_url`; the deployment's state in `folder`; everything stopped at the end.
    `after_backfill(outcome)` is called between the backfill and the reconcile (a caller's look at Strapi)."""
    outcome = Outcome(partitions=months())
    generated = subprocess.run([sys.executable, str(GENERATOR), "--database-url", medusa_url, "--products", str(scenario.products),
                                "--seed", str(scenario.seed)], capture_output=True, text=True, timeout=3600)
    if generated.returncode != 0:
        raise RuntimeError(f"generate_catalog.py failed: {generated.stderr[-2000:]}")
    source, mappings = MedusaSource(medusa_url), load_mappings(mappings_dir())
    client = StrapiClient(strapi_url, token)
    try:
        sync_all(mappings, source, client, only=mappings.dependencies("product"))  # what the products link to
        with source.engine.connect() as conn:
            outcome.expected_products = {r[0] for r in conn.execute(sa.text(
                "select id from product where deleted_at is null and created_at >= :a and created_at < :b"),
                {"a": outcome.partitions[0], "b": date(2026, 7, 1).isoformat()})}
    finally:
        client.close()
        source.dispose()
    log(f"{scenario.products} products generated, {len(outcome.expected_products)} in the {MONTHS} months; dependencies synced")
    settings = {"MEDUSA_DATABASE_URL": medusa_url, "STRAPI_URL": strapi_url, "STRAPI_API_TOKEN": token,
                "DAGSTER_POSTGRES_URL": storage_url(dagster_url), "DAGSTER_EXECUTOR": "celery",
                "DAGSTER_CELERY_BROKER": f"redis://{REDIS[0]}:{REDIS[1]}/{redis_database}", "DAGSTER_CELERY_LOST_SECONDS": "6",
                "STRAPI_MAX_WRITERS": str(scenario.writers), "STRAPI_POOL_LIMIT": str(scenario.pool),
                "DAGSTER_MAX_RUNS": str(scenario.max_runs), "DAGSTER_RUN_RETRIES": "2",
                "CELERY_WORKERS": str(scenario.workers), "CELERY_CONCURRENCY": str(scenario.concurrency)}
    deployment = Deployment(settings, folder, port)
    slots = None
    try:
        start(deployment)
        slots = SlotsHeld(medusa_url, strapi_url, scenario.writers) if scenario.kill else None
        killed_at = backfill(deployment, scenario, outcome, slots, log)
        if after_backfill:
            after_backfill(outcome)
        reconcile(deployment, outcome, log)
        with deployment.instance() as instance:
            outcome.most_writing = most_at_once(writing_intervals(instance, [r.run_id for r in instance.get_runs()], killed_at))
        stopped = [deployment.workers("stop"), deployment.run("down")]
        if any(result.returncode != 0 for result in stopped):
            raise RuntimeError(f"stopping failed: {[result.stderr[-1000:] for result in stopped]}")
        outcome.leftovers = deployment.processes()
        return outcome
    finally:
        if slots:
            slots.release()
        deployment.stop_all()


def start(deployment: Deployment) -> None:
    """The instance written, the change sensor off (it would sync every type of the empty Strapi: the backfill is
    measured alone), the workers started, the deployment up."""
    steps = [lambda: deployment.run("init"),
             lambda: deployment.dagster("sensor", "stop", CHANGES_SENSOR, "-w", str(WORKSPACE)),
             lambda: deployment.workers("start"),
             lambda: deployment.run("up")]
    for step in steps:
        result = step()
        if result.returncode != 0:
            raise RuntimeError(f"{result.args}: {result.stderr[-3000:]}")


def backfill(deployment: Deployment, scenario: Scenario, outcome: Outcome, slots: SlotsHeld | None, log) -> float:
    """The 24 partitions' backfill, worker 1 killed in one of them when `slots` are held; when it was killed."""
    started = time.monotonic()
    deployment.launch_backfill(BACKFILL_JOB, outcome.partitions)
    killed_at, victim = 0.0, None
    with deployment.instance() as instance:
        if slots:
            def on_worker_1():
                for run in instance.get_runs(RunsFilter(statuses=[DagsterRunStatus.STARTED])):
                    if worker_name(1) in celery_workers_of(instance, run.run_id).values():
                        return run
                return None

            victim = wait_for(on_worker_1, 300, "a partition's step on worker 1")
            killed_at = deployment.kill_worker(1)
            slots.release()
            log(f"worker 1 killed (SIGKILL) in partition {victim.tags.get('dagster/partition')} (run {victim.run_id})")

        def partitions_done():
            done = {r.tags.get("dagster/partition") for r in instance.get_runs(
                RunsFilter(job_name=BACKFILL_JOB, statuses=[DagsterRunStatus.SUCCESS]))}
            return done >= set(outcome.partitions)

        wait_for(partitions_done, 3600, "every partition's run to succeed", every=2)
        outcome.backfill_seconds = time.monotonic() - started
        if victim:
            victim = instance.get_run_by_id(victim.run_id)
            outcome.victim_status = victim.status.value
            outcome.victim_lost = any("stopped answering" in repr(entry) for entry in instance.all_logs(victim.run_id))
            retries = instance.get_runs(RunsFilter(tags={"dagster/parent_run_id": victim.run_id}))
            outcome.retry_statuses = [r.status.value for r in retries]
            outcome.same_partition = all(r.tags.get("dagster/partition") == victim.tags.get("dagster/partition") for r in retries)
        outcome.backfill_workers = {w for r in instance.get_runs(RunsFilter(job_name=BACKFILL_JOB))
                                    for w in celery_workers_of(instance, r.run_id).values()}
    log(f"backfill: {len(outcome.partitions)} partitions in {outcome.backfill_seconds:.1f}s on {sorted(outcome.backfill_workers)}")
    return killed_at


def reconcile(deployment: Deployment, outcome: Outcome, log) -> None:
    """A full reconcile across the workers (worker 1 started again)."""
    restarted = deployment.workers("start")
    if restarted.returncode != 0:
        raise RuntimeError(restarted.stderr[-2000:])
    started = time.monotonic()
    launched = deployment.dagster("job", "launch", "-w", str(WORKSPACE), "-j", "reconcile")
    if launched.returncode != 0:
        raise RuntimeError(launched.stderr[-3000:])
    with deployment.instance() as instance:
        finished = (DagsterRunStatus.SUCCESS, DagsterRunStatus.FAILURE, DagsterRunStatus.CANCELED)
        run = wait_for(lambda: [r for r in instance.get_runs(RunsFilter(job_name="reconcile")) if r.status in finished],
                       3600, "the reconcile", every=2)[0]
        outcome.reconcile_status = run.status.value
        outcome.reconcile_seconds = time.monotonic() - started
        outcome.reconcile_workers = set(celery_workers_of(instance, run.run_id).values())
    log(f"reconcile: {outcome.reconcile_status} in {outcome.reconcile_seconds:.1f}s on {sorted(outcome.reconcile_workers)}")


def strapi_duplicates(strapi_database_url: str, mappings) -> dict[str, int]:
    """(medusa_id, locale, draft) groups of more than one row, per type, counted in Strapi's own tables."""
    engine = sa.create_engine(engine_url(strapi_database_url))
    found = {}
    try:
        with engine.connect() as conn:
            for spec in mappings:
                table = spec.plural.replace("-", "_")
                rows = conn.execute(sa.text(f'select medusa_id, locale, published_at is null, count(*) from "{table}" '
                                            "group by 1, 2, 3 having count(*) > 1")).fetchall()
                if rows:
                    found[spec.content_type] = len(rows)
    finally:
        engine.dispose()
    return found


def compare_ids(medusa_url: str, strapi_database_url: str, mappings) -> dict[str, tuple[int, int, int]]:
    """content type -> (its medusa_ids from Medusa's live rows, as the mapping makes them; missing from Strapi's own
    table; extra there)."""
    source, strapi = MedusaSource(medusa_url), sa.create_engine(engine_url(strapi_database_url))
    found = {}
    try:
        with source.engine.connect() as medusa, strapi.connect() as conn:
            for spec in mappings:
                rows = [dict(r) for r in medusa.execute(source.select(spec)).mappings()]
                wanted = {record.medusa_id for record in transform(rows, spec)}
                table = spec.plural.replace("-", "_")
                held = {r[0] for r in conn.execute(sa.text(f'select distinct medusa_id from "{table}"'))}
                found[spec.content_type] = (len(wanted), len(wanted - held), len(held - wanted))
    finally:
        source.dispose()
        strapi.dispose()
    return found


def backfilled(strapi_database_url: str, spec, outcome: Outcome) -> str:
    """How the products in Strapi's own table compare with the 24 months' live products in Medusa."""
    engine = sa.create_engine(engine_url(strapi_database_url))
    try:
        with engine.connect() as conn:
            table = spec.plural.replace("-", "_")
            ids = [r[0] for r in conn.execute(sa.text(f'select medusa_id from "{table}"'))]
    finally:
        engine.dispose()
    found = set(ids)
    return (f"{len(found)} products in Strapi, {len(outcome.expected_products)} expected, "
            f"{len(outcome.expected_products - found)} missing, {len(found - outcome.expected_products)} extra, "
            f"{len(ids) - len(found)} rows beyond one per medusa_id")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--products", type=int, default=10_000)
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--concurrency", type=int, default=2, help="processes per worker")
    parser.add_argument("--writers", type=int, default=2, help="STRAPI_MAX_WRITERS")
    parser.add_argument("--pool", type=int, default=4, help="the Dagster strapi pool's limit")
    parser.add_argument("--no-kill", dest="kill", action="store_false", help="kill no worker")
    args = parser.parse_args(argv)
    scenario = Scenario(products=args.products, workers=args.workers, concurrency=args.concurrency, writers=args.writers,
                        pool=args.pool, kill=args.kill)
    from benchmark_sync import empty_synced_types
    from throwaway_db import database_copy, empty_database
    import tempfile

    mappings = load_mappings(mappings_dir())
    strapi_url, token = os.environ["STRAPI_URL"], os.environ["STRAPI_API_TOKEN"]
    database = free_redis_database(1 + (urlsplit(strapi_url).port or 0) % 15)
    if database is None:
        raise SystemExit("no empty Redis database on 127.0.0.1:6379 for the benchmark's broker")
    began = time.monotonic()
    client = StrapiClient(strapi_url, token)
    try:
        empty_synced_types(mappings, client)
    finally:
        client.close()
    try:
        with database_copy(os.environ["MEDUSA_DATABASE_URL"], "celery") as medusa_url, \
                empty_database(os.environ["MEDUSA_DATABASE_URL"], "dagster") as dagster_url, \
                tempfile.TemporaryDirectory(prefix="celery-bench-") as folder:
            outcome = run(scenario, medusa_url, strapi_url, token, dagster_url, Path(folder) / "deploy",
                          webserver_port(strapi_url, offset=2200), database, after_backfill=lambda done: print(
                              f"after the backfill: {backfilled(os.environ['STRAPI_DATABASE_URL'], mappings.get('product'), done)}"))
            compared = compare_ids(medusa_url, os.environ["STRAPI_DATABASE_URL"], mappings)
    finally:
        flush_redis_database(database)
    duplicates = strapi_duplicates(os.environ["STRAPI_DATABASE_URL"], mappings)
    unequal = {name: (missing, extra) for name, (_, missing, extra) in compared.items() if missing or extra}
    print(f"after the reconcile: {sum(n for n, _, _ in compared.values())} entries over {len(compared)} types, "
          f"Strapi's ids against Medusa's: {'equal' if not unequal else f'(missing, extra) {unequal}'}")
    print(f"partitions {len(outcome.partitions)} ({len(outcome.expected_products)} products), workers {scenario.workers} x "
          f"{scenario.concurrency}, backfill {outcome.backfill_seconds:.1f} s; killed worker's run {outcome.victim_status} "
          f"(worker lost: {outcome.victim_lost}), its retries {outcome.retry_statuses}; reconcile {outcome.reconcile_status} "
          f"in {outcome.reconcile_seconds:.1f} s on {len(outcome.reconcile_workers)} workers; at most {outcome.most_writing} "
          f"writing at once (STRAPI_MAX_WRITERS {scenario.writers}, pool {scenario.pool}); duplicates "
          f"{sum(duplicates.values())}; leftovers {len(outcome.leftovers)}; {time.monotonic() - began:.0f} s in all")
    exact = not duplicates and not unequal and not outcome.leftovers
    return 0 if exact and outcome.reconcile_status == "SUCCESS" and outcome.most_writing <= scenario.writers else 1


if __name__ == "__main__":
    sys.exit(main())
