"""A distributed run on Celery (DAGSTER_EXECUTOR=celery, assets/celery_executor.py): a deployment (scripts/deploy)
whose steps run on two Celery workers (scripts/celery-workers) of two processes each, each worker a process of its
own, through a Redis database of the test's own.

The scenario is scripts/benchmark_celery.py's, on a smaller catalog (CELERY_TEST_PRODUCTS, default 240: 10 a month):
a generated catalog spread over 24 months is backfilled month by month (24 partitions of `backfill_product`,
launched as the UI launches a backfill, its runs dequeued by the daemon); worker 1 is killed with SIGKILL while it
runs a partition, whose run Dagster retries (the executor finds the worker lost, the run fails, the daemon's run
retries re-execute it); then a full reconcile runs across the workers. Strapi, counted in its own tables, then
holds exactly Medusa's entries with no duplicate `medusa_id`, and the writer slots' log lines in Dagster's event
log show at most STRAPI_MAX_WRITERS (2) steps writing at once, though Dagster's pool (4) and the workers'
processes (4) let twice as many run. Its figures: `-s`."""

from __future__ import annotations

import os
import time
from urllib.parse import urlsplit

import pytest

from .helpers import assert_in_sync

pytest.importorskip("dagster_celery", reason="the `celery` extra (pip install -e '.[dev]')")

from benchmark_celery import MONTHS, Scenario, flush_redis_database, free_redis_database, run, worker_name  # noqa: E402  scripts/
from dagster_deploy import webserver_port  # noqa: E402
from throwaway_db import empty_database  # noqa: E402

SCENARIO = Scenario(products=int(os.environ.get("CELERY_TEST_PRODUCTS", "240")), workers=2, concurrency=2, writers=2, pool=4)


def duplicates(strapi_sql, spec) -> list:
    """(medusa_id, locale, draft) groups of more than one row in the type's own table."""
    table = spec.plural.replace("-", "_")
    return strapi_sql(f'select medusa_id, locale, published_at is null, count(*) from "{table}" '
                      "group by 1, 2, 3 having count(*) > 1 limit 5")


def distinct_ids(strapi_sql, spec) -> set[str]:
    return {row[0] for row in strapi_sql(f'select distinct medusa_id from "{spec.plural.replace("-", "_")}"')}


def test_a_backfill_on_two_celery_workers_survives_a_killed_worker_and_stays_exact(
        stack, mappings, medusa_url, source, clean_strapi, strapi_sql, tmp_path):
    began = time.monotonic()
    try:
        database = free_redis_database(1 + (urlsplit(stack["STRAPI_URL"]).port or 0) % 15)
    except Exception as exc:  # noqa: BLE001 - redis.ConnectionError, without importing the extra's module here
        pytest.fail(f"the Celery test needs Redis on 127.0.0.1:6379 as its broker (Debian: apt-get install redis-server): {exc}")
    if database is None:
        pytest.skip("no empty Redis database on 127.0.0.1:6379 for the test's broker")
    product = mappings.get("product")

    def backfilled_exactly(outcome) -> None:  # before the reconcile: exactly the 24 months' products, once each
        assert distinct_ids(strapi_sql, product) == outcome.expected_products
        assert duplicates(strapi_sql, product) == []

    try:
        with empty_database(medusa_url, "dagster") as dagster_url:
            outcome = run(SCENARIO, medusa_url, stack["STRAPI_URL"], stack["STRAPI_API_TOKEN"], dagster_url,
                          tmp_path / "deploy", webserver_port(stack["STRAPI_URL"], offset=2100), database, log=lambda _: None,
                          after_backfill=backfilled_exactly)
    finally:
        flush_redis_database(database)

    # The backfill: every partition on the two workers; the killed worker's partition retried by Dagster.
    assert len(outcome.partitions) == MONTHS == 24
    assert outcome.backfill_workers == {worker_name(1), worker_name(2)}
    assert outcome.victim_status == "FAILURE" and outcome.victim_lost, "the killed partition's run failed for another reason"
    assert outcome.retry_statuses == ["SUCCESS"] and outcome.same_partition
    # The reconcile, every type a step, across both workers.
    assert outcome.reconcile_status == "SUCCESS" and len(outcome.reconcile_workers) == 2
    # The cap held; everything stopped, nothing left.
    assert outcome.most_writing <= SCENARIO.writers, f"{outcome.most_writing} steps wrote to Strapi at once"
    assert outcome.leftovers == {}

    # Strapi equals Medusa, counted in Strapi's own tables, with no duplicate.
    counts = assert_in_sync(source, clean_strapi, mappings)
    for spec in mappings:
        assert len(distinct_ids(strapi_sql, spec)) == counts[spec.content_type], spec.content_type
        assert duplicates(strapi_sql, spec) == [], spec.content_type
    print(f"\ncelery: {SCENARIO.products} generated products, {MONTHS} partitions ({len(outcome.expected_products)} products) "
          f"on {SCENARIO.workers} workers x {SCENARIO.concurrency} in {outcome.backfill_seconds:.0f}s, worker 1 killed "
          f"mid-partition and its run retried; reconcile ({sum(counts.values())} entries, {len(mappings.specs)} types) in "
          f"{outcome.reconcile_seconds:.0f}s on {len(outcome.reconcile_workers)} workers; at most {outcome.most_writing} "
          f"writing at once (cap {SCENARIO.writers}, pool {SCENARIO.pool}); 0 duplicates; {time.monotonic() - began:.0f}s in all")
