"""The Dagster definitions load from the mapping files alone and wire one asset per mapping."""

import os
import shutil
import subprocess
import sys
import warnings
from datetime import timedelta
from pathlib import Path

import pytest
from dagster import AssetKey, BetaWarning, DefaultScheduleStatus, DefaultSensorStatus, PreviewWarning

from assets.definitions import build_definitions, defs
from assets.naming import CHECK_CONFLICTS, CHECK_COUNT, CHECK_HEALTH, CHECK_KEYS, CHECK_MAPPING, CHECK_QUARANTINE, FRESHNESS_SENSOR, strapi_key
from pipelines.mapping import load_mappings
from pipelines.settings import SHIPPED_MAPPINGS_DIR, Orchestration


def test_one_asset_per_mapping_with_relation_deps():
    graph = defs.resolve_asset_graph()
    keys = {k for k in graph.get_all_asset_keys() if k.path[0] == "strapi"}
    assert keys == {strapi_key(spec.content_type) for spec in load_mappings(SHIPPED_MAPPINGS_DIR)}
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


def test_one_change_sensor_on_by_default_every_5_seconds():
    sensor = defs.resolve_sensor_def("medusa_changes")
    assert sensor.default_status == DefaultSensorStatus.RUNNING
    assert sensor.minimum_interval_seconds == 5
    custom = build_definitions(Orchestration(sensor_interval_seconds=20))
    assert custom.resolve_sensor_def("medusa_changes").minimum_interval_seconds == 20
    assert {s.name for s in defs.sensors} == {"medusa_changes", FRESHNESS_SENSOR, "strapi_edits_product"}  # product writes back


def test_runs_execute_in_process():
    assert defs.executor.name == "in_process"


def test_nightly_reconcile_schedule_and_backfill_jobs():
    (schedule,) = defs.schedules
    assert schedule.name == "nightly_reconcile" and schedule.cron_schedule == "0 3 * * *"
    assert schedule.default_status == DefaultScheduleStatus.RUNNING
    for name in ("backfill_product", "backfill_product_variant", "backfill_money_amount"):
        job = defs.resolve_job_def(name)
        keys = job.partitions_def.get_partition_keys()
        assert keys[0] == "2020-01-01" and len(keys) > 60  # monthly since 2020, the current month included


def test_checks_for_every_content_type():
    graph = defs.resolve_asset_graph()
    checks = {(k.asset_key, k.name) for k in graph.asset_check_keys}
    for name in (CHECK_COUNT, CHECK_KEYS, CHECK_QUARANTINE, CHECK_MAPPING, CHECK_HEALTH):
        assert (strapi_key("product"), name) in checks
    assert len(checks) == 6 * 19 + 1  # one freshness check per type, and conflicts for the two-way product
    assert (strapi_key("product"), CHECK_CONFLICTS) in checks and (strapi_key("currency"), CHECK_CONFLICTS) not in checks


def test_freshness_checks_fail_past_the_threshold_and_run_by_their_sensor():
    custom = build_definitions(Orchestration(freshness=timedelta(hours=2)))
    freshness = [c for c in custom.asset_checks if "freshness" in str(next(iter(c.check_keys)).name)]
    assert freshness and {k.asset_key for c in freshness for k in c.check_keys} >= {strapi_key("product")}
    assert custom.resolve_sensor_def(FRESHNESS_SENSOR).default_status == DefaultSensorStatus.RUNNING
    assert Orchestration.from_env({"FRESHNESS_SECONDS": "7200"}).freshness == timedelta(hours=2)
    assert Orchestration.from_env({}).freshness == timedelta(hours=26)


def test_a_broken_file_disables_only_itself_and_its_dependents(tmp_path):
    folder = tmp_path / "mappings"
    shutil.copytree(SHIPPED_MAPPINGS_DIR, folder)
    text = (folder / "product-type.yaml").read_text()
    (folder / "product-type.yaml").write_text(text.replace("  value: value", "  value: [value]"))
    broken = build_definitions(Orchestration(mappings_dir=folder))
    graph = broken.resolve_asset_graph()
    product_type = graph.get(strapi_key("product-type"))
    assert not product_type.is_materializable and "product-type.yaml:" in product_type.description
    assert "fields.value" in product_type.description
    product = graph.get(strapi_key("product"))  # points at product-type: waits for it
    assert not product.is_materializable and "waits for 'product-type'" in product.description
    assert graph.get(strapi_key("currency")).is_materializable
    assert (strapi_key("product-type"), CHECK_MAPPING) in {(k.asset_key, k.name) for k in graph.asset_check_keys}
    assert broken.resolve_sensor_def("medusa_changes") and broken.resolve_job_def("reconcile") is not None


def test_a_write_back_mapping_gets_its_job_and_sensor(tmp_path):
    folder = tmp_path / "mappings"
    shutil.copytree(SHIPPED_MAPPINGS_DIR, folder, ignore=shutil.ignore_patterns("medusa-v2"))
    product = folder / "product.yaml"
    if "write_back:" not in product.read_text():
        product.write_text(product.read_text() + "write_back: [title, subtitle]\n")
    owned = build_definitions(Orchestration(mappings_dir=folder, medusa_admin_configured=True))
    sensor = owned.resolve_sensor_def("strapi_edits_product")
    assert sensor.default_status == DefaultSensorStatus.RUNNING and sensor.job_name == "write_back_product"
    assert owned.resolve_job_def("write_back_product") is not None
    owned.get_repository_def()  # loadable: names unique across jobs, ops and sensors
    admin = owned.resources["medusa_admin"]
    assert "MEDUSA_ADMIN_PASSWORD" in repr(admin.password) or "EnvVar" in repr(admin.password)
    assert build_definitions(Orchestration()).resources["medusa_admin"].configured is False


MAPPING_SETS = [SHIPPED_MAPPINGS_DIR, SHIPPED_MAPPINGS_DIR / "medusa-v2"]


@pytest.mark.parametrize("folder", MAPPING_SETS, ids=lambda f: f.name)
def test_building_and_resolving_the_definitions_warns_nothing(folder):
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        warnings.simplefilter("error", BetaWarning)  # fails where it is raised, with its stack
        warnings.simplefilter("error", PreviewWarning)
        for admin in (False, True):
            build_definitions(Orchestration(mappings_dir=folder, medusa_admin_configured=admin)).get_repository_def()
    assert [f"{w.category.__name__}: {w.message} ({w.filename}:{w.lineno})" for w in caught] == []


@pytest.mark.parametrize("folder", MAPPING_SETS, ids=lambda f: f.name)
def test_the_code_location_loads_without_a_warning(folder):
    """What `dagster dev`'s code server does (workspace.yaml), in a fresh interpreter where any warning is an error."""
    root = Path(__file__).resolve().parents[2]
    env = {**os.environ, "MAPPINGS_DIR": str(folder), "PYTHONPATH": str(root)}
    loaded = subprocess.run(
        [sys.executable, "-W", "error", "-c", "import assets.definitions as d; d.defs.get_repository_def(); print(d.__file__)"],
        cwd=root, env=env, capture_output=True, text=True, timeout=120,
    )
    assert loaded.returncode == 0, loaded.stderr
    assert loaded.stdout.strip() == str(root / "assets" / "definitions.py") and loaded.stderr == ""


def test_every_name_follows_the_translator_so_two_shops_can_share_a_code_location():
    """`DagsterNames(prefix)`: the asset keys start with the prefix, and the groups, jobs, sensors, schedule and
    checks' multi-names and the resources' keys carry it; the pool is the one given. Two prefixed sets merge into
    one location without a clash."""
    from dagster import Definitions

    from assets.naming import DagsterNames

    shop_a, shop_b = DagsterNames("shop_a", pool="strapi_a"), DagsterNames("shop_b", pool="strapi_b")
    built = {n.prefix: build_definitions(Orchestration(), n) for n in (shop_a, shop_b)}
    a = built["shop_a"]
    graph = a.resolve_asset_graph()
    assert AssetKey(["shop_a", "strapi", "product"]) in graph.get_all_asset_keys()
    assert AssetKey(["shop_a", "strapi", "product_collection"]) in graph.get(AssetKey(["shop_a", "strapi", "product"])).parent_keys
    assert AssetKey(["shop_a", "medusa", "product"]) in graph.get(AssetKey(["shop_a", "strapi", "product"])).parent_keys
    assert {s.name for s in a.sensors} == {"shop_a_medusa_changes", "shop_a_freshness_checks", "shop_a_strapi_edits_product"}
    assert [s.name for s in a.schedules] == ["shop_a_nightly_reconcile"]
    assert a.resolve_job_def("shop_a_reconcile") is not None and a.resolve_job_def("shop_a_backfill_product") is not None
    assert a.resolve_job_def("shop_a_write_back_product") is not None
    product = a.resolve_assets_def(AssetKey(["shop_a", "strapi", "product"]))
    assert product.group_names_by_key[AssetKey(["shop_a", "strapi", "product"])] == "shop_a_strapi"
    assert product.op.pool == "strapi_a"
    both = Definitions.merge(
        built["shop_a"], Definitions(assets=built["shop_b"].assets, asset_checks=built["shop_b"].asset_checks,
                                     jobs=built["shop_b"].jobs, sensors=built["shop_b"].sensors, schedules=built["shop_b"].schedules,
                                     resources=built["shop_b"].resources))
    assert set(both.resources) >= {"shop_a_medusa", "shop_a_strapi", "shop_b_medusa", "shop_b_strapi", "shop_b_medusa_admin"}
    both.resolve_asset_graph()
    assert {s.name for s in both.sensors} >= {"shop_a_medusa_changes", "shop_b_medusa_changes"}
