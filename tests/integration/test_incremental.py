"""Sensors, deletes, reconcile, backfills and checks against the real Postgres and Strapi."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import threading
from pathlib import Path

import pytest
from dagster import AssetSelection, DagsterInstance, RunRequest, SkipReason, build_sensor_context, materialize

import pipelines.medusa.changes
from assets.checks import build_checks
from assets.factory import build_sync_assets, strapi_key
from assets.partitions import build_backfill_jobs
from assets.resources import MedusaDatabase, StrapiResource
from assets.sensors import build_change_sensor
from pipelines.medusa.changes import SensorCursor
from pipelines.sync.run import sync_all

from .helpers import assert_in_sync, strapi_entries

GENERATOR = Path(__file__).resolve().parents[2] / "scripts" / "generate_catalog.py"


class Harness:
    """A Dagster instance, the resources, and helpers to tick a sensor and execute what it requests."""

    def __init__(self, mappings, medusa_url, stack, instance, client):
        self.mappings, self.instance, self.client = mappings, instance, client
        self.resources = {
            "medusa": MedusaDatabase(url=medusa_url),
            "strapi": StrapiResource(url=stack["STRAPI_URL"], api_token=stack["STRAPI_API_TOKEN"]),
        }
        self.assets = build_sync_assets(mappings)
        self.cursors: dict[str, str | None] = {}

    def tick(self, content_type: str):
        sensor = build_change_sensor(self.mappings.get(content_type))
        context = build_sensor_context(
            cursor=self.cursors.get(content_type), instance=self.instance, resources={"medusa": self.resources["medusa"]}
        )
        result = sensor(context)
        self.cursors[content_type] = context.cursor
        return result

    def execute(self, request: RunRequest, resources=None):
        return materialize(
            self.assets,
            selection=request.asset_selection,
            run_config=request.run_config,
            tags=request.tags,
            instance=self.instance,
            resources=resources or self.resources,
            raise_on_error=False,
        )

    def tick_and_run(self, content_type: str) -> dict[str, int]:
        request = self.tick(content_type)
        assert isinstance(request, RunRequest), request
        result = self.execute(request)
        assert result.success
        (event,) = result.get_asset_materialization_events()
        return {k: v.value for k, v in event.materialization.metadata.items() if k in ("read", "created", "updated", "deleted", "failed")}

    def reconcile(self, *content_types: str):
        selection = [strapi_key(t) for t in content_types] if content_types else None
        return materialize(self.assets, selection=selection, instance=self.instance, resources=self.resources)

    def confirmed(self, content_type: str):
        return SensorCursor.from_json(self.cursors.get(content_type)).confirmed


@pytest.fixture
def harness(mappings, medusa_url, stack, clean_strapi, source):
    # dependencies of product first, so the product sensor's runs can link their relations
    sync_all(mappings, source, clean_strapi, only=mappings.dependencies("product"))
    with DagsterInstance.ephemeral() as instance:
        yield Harness(mappings, medusa_url, stack, instance, clean_strapi)


def test_a_tick_with_nothing_new_costs_one_query_and_launches_nothing(harness, monkeypatch):
    assert harness.tick_and_run("product")["created"] > 0
    calls = []
    real_probe = pipelines.medusa.changes.probe
    monkeypatch.setattr(pipelines.medusa.changes, "probe", lambda *a, **k: calls.append(a) or real_probe(*a, **k))
    outcome = harness.tick("product")  # sees the run succeed, confirms the watermark, probes once
    assert isinstance(outcome, SkipReason) and "no change" in outcome.skip_message
    assert len(calls) == 1
    assert isinstance(harness.tick("product"), SkipReason) and len(calls) == 2


def test_rows_with_the_same_timestamp_as_the_cursor_are_never_skipped(harness, medusa_sql, source):
    ids = [r[0] for r in medusa_sql("select id from product where deleted_at is null order by id")]
    medusa_sql("update product set updated_at = '2030-01-01 00:00:00.123456+00' where id = any(:ids)", ids=ids[:3])
    harness.tick_and_run("product")
    assert isinstance(harness.tick("product"), SkipReason)
    assert harness.confirmed("product").high.startswith("2030-01-01T00:00:00.123456")
    # a later transaction stamps the same microsecond: it must still be picked up
    medusa_sql("update product set title = 'Same microsecond', updated_at = '2030-01-01 00:00:00.123456+00' where id = :id", id=ids[3])
    counts = harness.tick_and_run("product")
    assert counts["updated"] == 1
    assert_in_sync(source, harness.client, harness.mappings, only=["product"])


def test_a_late_committing_row_inside_the_overlap_is_caught(harness, medusa_sql):
    harness.tick_and_run("product")
    harness.tick("product")
    high = harness.confirmed("product").high
    # committed now, but stamped a minute before the high-water mark (its transaction started earlier)
    product_id = medusa_sql("select id from product where deleted_at is null order by id limit 1")[0][0]
    medusa_sql("update product set title = 'Late commit', updated_at = cast(:high as timestamptz) - interval '1 minute' where id = :id",
               high=high, id=product_id)
    counts = harness.tick_and_run("product")
    assert counts["updated"] == 1
    assert harness.client.find_by_medusa_ids("products", [product_id], fields=["title"])[product_id]["title"] == "Late commit"


def test_a_failed_run_leaves_the_cursor_and_the_next_tick_covers_the_rows_again(harness, medusa_sql, stack):
    harness.tick_and_run("product")
    harness.tick("product")
    before = harness.confirmed("product")
    medusa_sql("update product set title = 'After failure', updated_at = now() where id = (select min(id) from product where deleted_at is null)")
    request = harness.tick("product")
    broken = {**harness.resources, "strapi": StrapiResource(url=stack["STRAPI_URL"], api_token="wrong-token")}
    assert not harness.execute(request, resources=broken).success
    retry = harness.tick("product")  # sees the failure: the watermark stays, the same rows are requested again
    assert isinstance(retry, RunRequest)
    assert harness.confirmed("product") == before
    assert json.loads(json.dumps(retry.run_config))["ops"]["strapi__product"]["config"]["since"] == before.lower
    assert harness.execute(retry).success
    assert isinstance(harness.tick("product"), SkipReason)


def test_soft_delete_reaches_strapi_through_the_sensor(harness, medusa_sql):
    harness.tick_and_run("product")
    harness.tick("product")
    product_id = medusa_sql("select id from product where deleted_at is null order by id limit 1")[0][0]
    medusa_sql("update product set deleted_at = now(), updated_at = now() where id = :id", id=product_id)
    assert harness.tick_and_run("product")["deleted"] == 1
    assert product_id not in {e["medusa_id"] for e in strapi_entries(harness.client, harness.mappings.get("product"))}


def test_hard_delete_and_join_table_change_reach_strapi_through_the_reconcile(harness, medusa_sql, source, mappings):
    assert harness.reconcile().success
    leaf = medusa_sql(
        "select id from product_category c where not exists (select 1 from product_category k where k.parent_category_id = c.id) order by id limit 1"
    )[0][0]
    medusa_sql("delete from product_category_product where product_category_id = :id", id=leaf)
    medusa_sql("delete from product_category where id = :id", id=leaf)  # product_category has no deleted_at
    product_id, tag_id = medusa_sql(
        "select p.id, t.id from product p cross join product_tag t where p.deleted_at is null and t.deleted_at is null"
        " and not exists (select 1 from product_tags x where x.product_id = p.id and x.product_tag_id = t.id) order by 1, 2 limit 1"
    )[0]
    medusa_sql("insert into product_tags (product_id, product_tag_id) values (:p, :t)", p=product_id, t=tag_id)  # no timestamp moves

    result = harness.reconcile()
    assert result.success
    metadata = {e.asset_key: e.materialization.metadata for e in result.get_asset_materialization_events()}
    assert metadata[strapi_key("product-category")]["deleted"].value == 1
    assert metadata[strapi_key("product")]["updated"].value == 1
    assert_in_sync(source, harness.client, mappings)


def test_reconcile_of_an_unchanged_catalog_writes_nothing_and_recreates_a_deleted_entry(harness, source, mappings):
    assert harness.reconcile().success
    again = harness.reconcile()
    writes = {e.asset_key: sum(e.materialization.metadata[k].value for k in ("created", "updated", "deleted"))
              for e in again.get_asset_materialization_events()}
    assert set(writes.values()) == {0}, writes

    client = harness.client
    victim = strapi_entries(client, mappings.get("product-variant"))[0]
    client.delete("product-variants", victim["documentId"])
    # a full reconcile re-creates it and re-links what pointed at it (Strapi dropped those links)
    result = harness.reconcile()
    metadata = {e.asset_key: e.materialization.metadata for e in result.get_asset_materialization_events()}
    assert metadata[strapi_key("product-variant")]["created"].value == 1
    assert metadata[strapi_key("money-amount")]["updated"].value >= 1
    assert_in_sync(source, client, mappings)


def test_key_checks_pass_then_name_what_is_missing(harness, mappings):
    checks = build_checks(mappings)
    ok = materialize([*harness.assets, *checks], instance=harness.instance, resources=harness.resources)
    assert ok.success
    evaluations = ok.get_asset_check_evaluations()
    assert len(evaluations) == 2 * len(mappings) and all(e.passed for e in evaluations)

    victim = strapi_entries(harness.client, mappings.get("currency"))[0]
    harness.client.delete("currencies", victim["documentId"])
    checked = materialize(
        [*harness.assets, *checks], selection=AssetSelection.checks_for_assets(strapi_key("currency")),
        instance=harness.instance, resources=harness.resources, raise_on_error=False,
    )
    found = {e.check_name: e for e in checked.get_asset_check_evaluations()}
    assert not found["count_matches_medusa"].passed
    assert not found["no_missing_or_orphaned_ids"].passed
    assert victim["medusa_id"] in found["no_missing_or_orphaned_ids"].metadata["first missing"].value


def test_plan_prints_the_comparison_and_writes_nothing(harness, mappings, stack, medusa_url):
    assert harness.reconcile().success
    client = harness.client
    victim = strapi_entries(client, mappings.get("product"))[0]
    client.delete("products", victim["documentId"])
    env = {**stack, "MEDUSA_DATABASE_URL": medusa_url}
    plan = subprocess.run([sys.executable, "-m", "pipelines.cli", "-q", "plan"], env={**os.environ, **env},
                          capture_output=True, text=True, timeout=300)
    assert plan.returncode == 0, plan.stderr
    assert "product: create=1 update=0 delete=0" in plan.stdout
    assert f"  create: {victim['medusa_id']}" in plan.stdout
    assert "nothing was written" in plan.stdout
    assert victim["medusa_id"] not in client.find_by_medusa_ids("products", [victim["medusa_id"]])


def test_backfill_three_partitions_then_again_writes_nothing(mappings, medusa_url, stack, clean_strapi, source, medusa_sql):
    generated = subprocess.run([sys.executable, str(GENERATOR), "--database-url", medusa_url, "--products", "40", "--seed", "3"],
                               capture_output=True, text=True, timeout=300)
    assert generated.returncode == 0, generated.stderr
    sync_all(mappings, source, clean_strapi, only=mappings.dependencies("product"))
    months = [r[0] for r in medusa_sql(
        "select to_char(date_trunc('month', created_at at time zone 'UTC'), 'YYYY-MM-DD') m from product"
        " group by 1 order by count(*) desc, 1 limit 3")]
    (job,) = [j for j in build_backfill_jobs(mappings) if j.name == "backfill_product"]
    resources = {"medusa": MedusaDatabase(url=medusa_url),
                 "strapi": StrapiResource(url=stack["STRAPI_URL"], api_token=stack["STRAPI_API_TOKEN"])}
    with DagsterInstance.ephemeral() as instance:
        for month in months:
            assert job.execute_in_process(partition_key=month, instance=instance, resources=resources).success
        expected = {r[0] for r in medusa_sql(
            "select id from product where deleted_at is null and to_char(date_trunc('month', created_at at time zone 'UTC'), 'YYYY-MM-DD') = any(:m)", m=months)}
        synced = {e["medusa_id"] for e in strapi_entries(clean_strapi, mappings.get("product"))}
        assert synced == expected and expected
        for month in months:
            result = job.execute_in_process(partition_key=month, instance=instance, resources=resources)
            (observation,) = [e for e in result.all_events if e.event_type_value == "ASSET_OBSERVATION"]
            values = observation.event_specific_data.asset_observation.metadata
            assert sum(values[k].value for k in ("created", "updated", "deleted")) == 0


def test_backfill_alongside_sensor_runs_creates_no_duplicates(harness, mappings, medusa_url, stack, source, medusa_sql):
    month = medusa_sql("select to_char(date_trunc('month', min(created_at) at time zone 'UTC'), 'YYYY-MM-DD') from product")[0][0]
    (job,) = [j for j in build_backfill_jobs(mappings) if j.name == "backfill_product"]
    request = harness.tick("product")
    outcomes = []

    def backfill():
        with DagsterInstance.ephemeral() as instance:
            outcomes.append(job.execute_in_process(partition_key=month, instance=instance, resources=harness.resources).success)

    thread = threading.Thread(target=backfill)
    thread.start()
    outcomes.append(harness.execute(request).success)
    thread.join()
    assert outcomes == [True, True]
    assert_in_sync(source, harness.client, mappings, only=["product"])


def test_a_join_table_change_without_timestamps_reaches_strapi_through_the_sensor(harness, medusa_sql, source, mappings):
    """product_tags has no timestamps: the sensor compares it by bucket digests and re-reads those products."""
    harness.tick_and_run("product")
    assert isinstance(harness.tick("product"), SkipReason)
    product_id, tag_id = medusa_sql(
        "select p.id, t.id from product p cross join product_tag t where p.deleted_at is null and t.deleted_at is null"
        " and not exists (select 1 from product_tags x where x.product_id = p.id and x.product_tag_id = t.id) order by 1, 2 limit 1"
    )[0]
    medusa_sql("insert into product_tags (product_id, product_tag_id) values (:p, :t)", p=product_id, t=tag_id)
    assert harness.tick_and_run("product")["updated"] == 1
    assert_in_sync(source, harness.client, mappings, only=["product"])
    assert isinstance(harness.tick("product"), SkipReason)  # confirmed: the new digests are the watermark's
