"""The command line's runs recorded in a Dagster instance (DAGSTER_HOME), through the recorders registry."""

import shutil

from dagster import DagsterInstance

from assets.naming import history_key, strapi_key
from assets.recording import DagsterRecorder
from pipelines.mapping import load_mappings
from pipelines.medusa.source import FULL, Window
from pipelines.recorders import Recording, recorders
from pipelines.settings import SHIPPED_MAPPINGS_DIR, Settings
from pipelines.row_failure import RowFailure
from pipelines.sync.result import SyncResult

ENV = {"MEDUSA_DATABASE_URL": "postgresql://medusa@127.0.0.1/medusa", "STRAPI_URL": "http://127.0.0.1:1337",
       "STRAPI_API_TOKEN": "recording-test-token-3c9f1a77e2"}


def test_the_dagster_recorder_is_registered_and_on_only_with_dagster_home(tmp_path):
    assert recorders(Settings.from_env(ENV)) == []
    (found,) = recorders(Settings.from_env({**ENV, "DAGSTER_HOME": str(tmp_path)}))
    assert isinstance(found, DagsterRecorder) and found.home == tmp_path


def test_each_type_synced_without_failures_is_a_materialization_with_the_runs_metadata(tmp_path):
    shutil.copy(SHIPPED_MAPPINGS_DIR.parent / "dagster.yaml", tmp_path / "dagster.yaml")
    currency = SyncResult("currency", read=120, created=120, seconds=0.4, write_path="bulk", window="every row")
    product = SyncResult("product", read=12, created=11)
    product.record_failure(RowFailure("prod_1", "create", "Strapi answered 503"))
    mappings = load_mappings(SHIPPED_MAPPINGS_DIR)
    line = DagsterRecorder(tmp_path).record([currency, product], Recording("medusa-strapi sync", "sync", FULL, mappings))
    assert "recorded 1 materialization(s)" in line and "1 type(s) with failed rows left out" in line
    with DagsterInstance.from_config(str(tmp_path)) as instance:
        event = instance.get_latest_materialization_event(strapi_key("currency"))
        metadata = {k: v.value for k, v in event.asset_materialization.metadata.items()}
        assert metadata["created"] == 120 and metadata["mode"] == "sync" and metadata["write path"] == "bulk"
        assert metadata["recorded by"] == "medusa-strapi sync" and event.run_id == ""
        assert instance.get_latest_materialization_event(strapi_key("product")) is None
        assert instance.get_runs() == []  # reported, not run


def test_a_partitioned_types_full_sync_covers_every_partition_and_a_backfill_those_inside_it(tmp_path):
    from datetime import datetime, timezone

    shutil.copy(SHIPPED_MAPPINGS_DIR.parent / "dagster.yaml", tmp_path / "dagster.yaml")
    mappings = load_mappings(SHIPPED_MAPPINGS_DIR)  # product: monthly by created_at from 2020-01-01
    recorder = DagsterRecorder(tmp_path)
    key = strapi_key("product")
    spring = Window.between("created_at", datetime(2024, 3, 1, tzinfo=timezone.utc), datetime(2024, 5, 15, tzinfo=timezone.utc))
    line = recorder.record([SyncResult("product", read=3)], Recording("medusa-strapi backfill", "backfill", spring, mappings))
    assert "(and 2 partition(s) of the partitioned types' history)" in line  # March and April; May only in part
    with DagsterInstance.from_config(str(tmp_path)) as instance:
        assert instance.get_materialized_partitions(history_key("product")) == {"2024-03-01", "2024-04-01"}
    recorder.record([SyncResult("product", read=12), SyncResult("currency", read=120)],
                    Recording("medusa-strapi sync", "sync", FULL, mappings))
    with DagsterInstance.from_config(str(tmp_path)) as instance:
        materialized = instance.get_materialized_partitions(history_key("product"))
        assert "2020-01-01" in materialized and len(materialized) > 80  # monthly since 2020, this month included
        latest = instance.get_latest_materialization_event(key).asset_materialization
        assert latest.partition is None and latest.metadata["read"].value == 12
        assert instance.get_latest_materialization_event(history_key("currency")) is None  # not partitioned
