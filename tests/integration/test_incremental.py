"""The change sensor, deletes, reconcile, backfills and checks against the real Postgres and Strapi."""

from __future__ import annotations

import os
import subprocess
import sys
import threading
from datetime import timedelta
from pathlib import Path

import pytest
from dagster import AssetSelection, DagsterInstance, materialize

import pipelines.medusa.changes
from assets.checks import check_definitions
from assets.naming import history_key, strapi_key
from assets.backfills import build_backfill_jobs
from assets.resources import MedusaDatabase, StrapiResource
from pipelines.sync.run import sync_all
from pipelines.sync.state import SyncState

from .dagster_harness import SensorHarness
from .helpers import assert_in_sync, strapi_entries

GENERATOR = Path(__file__).resolve().parents[2] / "scripts" / "generate_catalog.py"


@pytest.fixture
def harness(mappings, medusa_url, stack, synced_strapi, source, monkeypatch):
    """Everything synced by the CLI's path (which records every type's watermark), then the sensor."""
    with DagsterInstance.ephemeral() as instance:
        yield SensorHarness(mappings, medusa_url, stack, instance, monkeypatch)


def recorded(source, client, content_type):
    return SyncState(client, source.identity).get(content_type)


def test_dagster_starting_on_a_catalog_in_sync_launches_no_run(harness, mappings, medusa_url, stack, monkeypatch, source):
    """After the CLI's sync (the fixture), after a reconcile, after a restart (a new instance, no cursor)."""
    assert "no change in 19 content type(s)" in harness.quiet()
    assert materialize(harness.assets, instance=harness.instance, resources=harness.resources).success  # a reconcile
    harness.quiet()
    with DagsterInstance.ephemeral() as restarted:
        SensorHarness(mappings, medusa_url, stack, restarted, monkeypatch).quiet()


def test_a_tick_with_nothing_new_costs_one_probe_per_type_and_launches_nothing(harness, monkeypatch):
    harness.quiet()  # the first tick also validates the mappings
    calls = []
    real_probe = pipelines.medusa.changes.probe
    monkeypatch.setattr(pipelines.medusa.changes, "probe", lambda *a, **k: calls.append(a) or real_probe(*a, **k))
    harness.quiet()
    assert len(calls) == len(harness.mappings)


def test_changes_to_several_types_share_one_run(harness, medusa_sql, source):
    medusa_sql("update product set description = 'Changed', updated_at = now() where id = (select min(id) from product where deleted_at is null)")
    medusa_sql("update product_tag set value = 'changed', updated_at = now() where id = (select min(id) from product_tag)")
    figures = harness.tick_and_run()
    assert set(figures) == {"product", "product-tag", "product-metafield"}  # metafields are read from product rows
    assert figures["product"]["updated"] == 1 and figures["product-tag"]["updated"] == 1
    harness.quiet()


def test_rows_with_the_same_timestamp_as_the_watermark_are_never_skipped(harness, medusa_sql, source):
    ids = [r[0] for r in medusa_sql("select id from product where deleted_at is null order by id")]
    medusa_sql("update product set updated_at = '2030-01-01 00:00:00.123456+00' where id = any(:ids)", ids=ids[:3])
    harness.tick_and_run()
    harness.quiet()
    assert recorded(source, harness_client(harness), "product").high.startswith("2030-01-01T00:00:00.123456")
    # a later transaction stamps the same microsecond: it must still be picked up
    medusa_sql("update product set description = 'Same microsecond', updated_at = '2030-01-01 00:00:00.123456+00' where id = :id", id=ids[3])
    assert harness.tick_and_run()["product"]["updated"] == 1
    assert_in_sync(source, harness_client(harness), harness.mappings, only=["product"])


def harness_client(harness):
    from pipelines.strapi.client import StrapiClient

    strapi = harness.resources["strapi"]
    return StrapiClient(strapi.url, strapi.api_token)


def test_a_late_committing_row_inside_the_overlap_is_caught(harness, medusa_sql, source):
    high = recorded(source, harness_client(harness), "product").high
    # committed now, but stamped a minute before the high-water mark (its transaction started earlier)
    product_id = medusa_sql("select id from product where deleted_at is null order by id limit 1")[0][0]
    medusa_sql("update product set description = 'Late commit', updated_at = cast(:high as timestamptz) - interval '1 minute' where id = :id",
               high=high, id=product_id)
    assert harness.tick_and_run()["product"]["updated"] == 1
    client = harness_client(harness)
    assert client.find_by_medusa_ids("products", [product_id], fields=["description"])[product_id]["description"] == "Late commit"


def test_a_failed_run_keeps_the_watermark_backs_off_then_retries(harness, medusa_sql, stack, source):
    before = recorded(source, harness_client(harness), "product")
    medusa_sql("update product set description = 'After failure', updated_at = now() where id = (select min(id) from product where deleted_at is null)")
    request = harness.request()
    broken = {**harness.resources, "strapi": StrapiResource(url=stack["STRAPI_URL"], api_token="wrong-token")}
    assert not harness.execute(request, resources=broken).success
    assert recorded(source, harness_client(harness), "product") == before  # nothing confirmed
    waiting = harness.quiet()  # no relaunch tick after tick: it backs off
    assert "1 failed run(s) in a row, next try after" in waiting
    harness.clock.advance(31)
    retry = harness.request()
    assert {k.path[-1] for k in retry.asset_selection} == {"product", "product_metafield"}
    assert harness.execute(retry).success
    harness.quiet()
    assert recorded(source, harness_client(harness), "product") != before


def test_soft_delete_reaches_strapi_through_the_sensor(harness, medusa_sql):
    product_id = medusa_sql("select id from product where deleted_at is null order by id limit 1")[0][0]
    medusa_sql("update product set deleted_at = now(), updated_at = now() where id = :id", id=product_id)
    assert harness.tick_and_run()["product"]["deleted"] == 1
    assert product_id not in {e["medusa_id"] for e in strapi_entries(harness_client(harness), harness.mappings.get("product"))}


def test_a_join_table_change_without_timestamps_reaches_strapi_through_the_sensor(harness, medusa_sql, source, mappings):
    """product_tags has no timestamps: the sensor compares it by bucket digests and re-reads those products."""
    product_id, tag_id = medusa_sql(
        "select p.id, t.id from product p cross join product_tag t where p.deleted_at is null and t.deleted_at is null"
        " and not exists (select 1 from product_tags x where x.product_id = p.id and x.product_tag_id = t.id) order by 1, 2 limit 1"
    )[0]
    medusa_sql("insert into product_tags (product_id, product_tag_id) values (:p, :t)", p=product_id, t=tag_id)
    assert harness.tick_and_run()["product"]["updated"] == 1
    assert_in_sync(source, harness_client(harness), mappings, only=["product"])
    harness.quiet()


def test_hard_delete_and_join_table_change_reach_strapi_through_the_reconcile(harness, medusa_sql, source, mappings):
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
    result = materialize(harness.assets, instance=harness.instance, resources=harness.resources)
    assert result.success
    metadata = {e.asset_key: e.materialization.metadata for e in result.get_asset_materialization_events()}
    assert metadata[strapi_key("product-category")]["deleted"].value == 1
    assert metadata[strapi_key("product")]["updated"].value == 1
    assert_in_sync(source, harness_client(harness), mappings)


def test_reconcile_of_an_unchanged_catalog_writes_nothing_and_recreates_a_deleted_entry(harness, source, mappings):
    again = materialize(harness.assets, instance=harness.instance, resources=harness.resources)
    writes = {e.asset_key: sum(e.materialization.metadata[k].value for k in ("created", "updated", "deleted"))
              for e in again.get_asset_materialization_events()}
    assert set(writes.values()) == {0}, writes

    client = harness_client(harness)
    victim = strapi_entries(client, mappings.get("product-variant"))[0]
    client.delete("product-variants", victim["documentId"])
    # a full reconcile re-creates it and re-links what pointed at it (Strapi dropped those links)
    result = materialize(harness.assets, instance=harness.instance, resources=harness.resources)
    metadata = {e.asset_key: e.materialization.metadata for e in result.get_asset_materialization_events()}
    assert metadata[strapi_key("product-variant")]["created"].value == 1
    assert metadata[strapi_key("money-amount")]["updated"].value >= 1
    assert_in_sync(source, client, mappings)


def test_key_checks_pass_then_name_what_is_missing(harness, mappings):
    checks = list(check_definitions(mappings, timedelta(hours=26)).asset_checks)
    ok = materialize([*harness.assets, *checks], instance=harness.instance, resources=harness.resources)
    assert ok.success
    evaluations = ok.get_asset_check_evaluations()
    # key checks (2), quarantine, mapping, health and freshness; conflicts for the two-way types
    two_way = sum(1 for spec in mappings if spec.write_back)
    assert len(evaluations) == 6 * len(mappings) + two_way and all(e.passed for e in evaluations), [
        (e.asset_key, e.check_name) for e in evaluations if not e.passed]

    client = harness_client(harness)
    victim = strapi_entries(client, mappings.get("currency"))[0]
    client.delete("currencies", victim["documentId"])
    checked = materialize(
        [*harness.assets, *checks], selection=AssetSelection.checks_for_assets(strapi_key("currency")),
        instance=harness.instance, resources=harness.resources, raise_on_error=False,
    )
    found = {e.check_name: e for e in checked.get_asset_check_evaluations()}
    assert not found["count_matches_medusa"].passed
    assert not found["no_missing_or_orphaned_ids"].passed
    assert victim["medusa_id"] in found["no_missing_or_orphaned_ids"].metadata["first missing"].value


def test_plan_prints_the_comparison_and_writes_nothing(harness, mappings, stack, medusa_url):
    client = harness_client(harness)
    victim = strapi_entries(client, mappings.get("product"))[0]
    client.delete("products", victim["documentId"])
    env = {**stack, "MEDUSA_DATABASE_URL": medusa_url}
    plan = subprocess.run([sys.executable, "-m", "pipelines.cli", "-q", "plan"], env={**os.environ, **env},
                          capture_output=True, text=True, timeout=300)
    assert plan.returncode == 0, plan.stderr
    assert "product: would create 1, would update 0, would delete 0" in plan.stdout
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
            (materialization,) = result.get_asset_materialization_events()
            assert materialization.partition == month and materialization.asset_key == history_key("product")
        assert instance.get_materialized_partitions(history_key("product")) == set(months)  # the backfill page's view
    # the CLI's backfill: the same window, the same path
    env = {**os.environ, **stack, "MEDUSA_DATABASE_URL": medusa_url}
    month = months[0]
    end = f"{int(month[:4]) + int(month[5:7]) // 12:04d}-{int(month[5:7]) % 12 + 1:02d}-01"
    cli = subprocess.run([sys.executable, "-m", "pipelines.cli", "-q", "backfill", "--only", "product", "--from", month, "--to", end],
                         env=env, capture_output=True, text=True, timeout=300)
    assert cli.returncode == 0, cli.stderr
    assert "created=0 updated=0" in cli.stdout


def test_backfill_alongside_sensor_runs_creates_no_duplicates(harness, mappings, source, medusa_sql):
    month = medusa_sql("select to_char(date_trunc('month', min(created_at) at time zone 'UTC'), 'YYYY-MM-DD') from product")[0][0]
    medusa_sql("update product set description = coalesce(description, '') || ' (again)', updated_at = now()")
    (job,) = [j for j in build_backfill_jobs(mappings) if j.name == "backfill_product"]
    request = harness.request()
    outcomes = []

    def backfill():
        with DagsterInstance.ephemeral() as instance:
            outcomes.append(job.execute_in_process(partition_key=month, instance=instance, resources=harness.resources).success)

    thread = threading.Thread(target=backfill)
    thread.start()
    outcomes.append(harness.execute(request).success)
    thread.join()
    assert outcomes == [True, True]
    assert_in_sync(source, harness_client(harness), mappings, only=["product"])


def test_runs_name_their_types_and_their_window_in_words(harness, medusa_sql):
    medusa_sql("update product_tag set value = 'renamed', updated_at = now() where id = (select min(id) from product_tag)")
    request = harness.request()
    assert request.tags["medusa-strapi/content-types"] == "product-tag" and request.tags["medusa-strapi/mode"] == "changes"
    result = harness.execute(request)
    (event,) = result.get_asset_materialization_events()
    window = event.materialization.metadata["window"].value
    assert window.startswith("rows changed at or after ") and "UTC" in window and "inf" not in window
    assert "no change in 19 content type(s)" in harness.quiet()
