"""The Dagster definitions load and wire one asset per mapping, in relation order."""

from dagster import AssetKey

from assets.definitions import defs
from assets.factory import strapi_key
from pipelines.mapping import load_mappings
from pipelines.settings import REPO_MAPPINGS_DIR


def test_one_asset_per_mapping_with_relation_deps():
    graph = defs.resolve_asset_graph()
    keys = {k for k in graph.get_all_asset_keys() if k.path[0] == "strapi"}
    assert keys == {strapi_key(spec.content_type) for spec in load_mappings(REPO_MAPPINGS_DIR)}
    assert len(keys) == 19
    assert strapi_key("product-collection") in graph.get(strapi_key("product")).parent_keys
    assert strapi_key("product") in graph.get(strapi_key("product-variant")).parent_keys
    assert AssetKey(["medusa", "product_variant"]) in graph.get(strapi_key("product-variant")).parent_keys


def test_resources_read_secrets_from_the_environment_not_from_code():
    strapi = defs.resources["strapi"]
    assert "STRAPI_API_TOKEN" in repr(strapi.api_token) or "EnvVar" in repr(strapi.api_token)
    assert defs.resolve_job_def("reconcile") is not None


def test_self_relation_is_not_a_dependency_cycle():
    graph = defs.resolve_asset_graph()
    category = strapi_key("product-category")
    assert category not in graph.get(category).parent_keys


def test_sensors_run_by_default_every_30_seconds_one_per_content_type():
    from dagster import DefaultSensorStatus

    sensors = {s.name: s for s in defs.sensors}
    assert len(sensors) == 19 and "product_changes" in sensors
    assert all(s.default_status == DefaultSensorStatus.RUNNING for s in sensors.values())
    assert all(s.minimum_interval_seconds == 30 for s in sensors.values())


def test_nightly_reconcile_schedule_and_backfill_jobs():
    from dagster import DefaultScheduleStatus

    (schedule,) = defs.schedules
    assert schedule.name == "nightly_reconcile" and schedule.cron_schedule == "0 3 * * *"
    assert schedule.default_status == DefaultScheduleStatus.RUNNING
    for name in ("backfill_product", "backfill_product_variant", "backfill_money_amount"):
        job = defs.resolve_job_def(name)
        keys = job.partitions_def.get_partition_keys()
        assert keys[0] == "2020-01-01" and len(keys) > 60  # monthly since 2020, the current month included


def test_key_checks_for_every_content_type():
    graph = defs.resolve_asset_graph()
    checks = {(k.asset_key, k.name) for k in graph.asset_check_keys}
    assert (strapi_key("product"), "count_matches_medusa") in checks
    assert (strapi_key("product"), "no_missing_or_orphaned_ids") in checks
    assert len(checks) == 38
