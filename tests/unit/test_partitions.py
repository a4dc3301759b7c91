"""Partitioned sync assets: which partitions a run over a window synced whole (what the backfill page shows)."""

from datetime import datetime, timezone

from assets.partitions import covered_partitions, partitions_for
from pipelines.mapping import load_mappings
from pipelines.medusa.source import FULL, Window
from pipelines.settings import SHIPPED_MAPPINGS_DIR

MAPPINGS = load_mappings(SHIPPED_MAPPINGS_DIR)
PRODUCT = MAPPINGS.get("product")  # monthly by created_at from 2020-01-01


def utc(*parts: int) -> datetime:
    return datetime(*parts, tzinfo=timezone.utc)


def test_a_full_run_covers_every_partition_up_to_the_current_month():
    keys = covered_partitions(PRODUCT, FULL)
    assert keys == partitions_for(PRODUCT).get_partition_keys() and keys[0] == "2020-01-01"
    assert keys[-1] == f"{datetime.now(timezone.utc):%Y-%m}-01"  # the current month is a partition too


def test_a_window_of_the_partition_column_covers_the_months_wholly_inside_it():
    assert covered_partitions(PRODUCT, Window.between("created_at", utc(2024, 3, 1), utc(2024, 5, 1))) == ["2024-03-01", "2024-04-01"]
    assert covered_partitions(PRODUCT, Window.between("created_at", utc(2024, 3, 2), utc(2024, 5, 31))) == ["2024-04-01"]
    assert covered_partitions(PRODUCT, Window.between("created_at", utc(2024, 3, 2), utc(2024, 3, 30))) == []


def test_other_windows_and_unpartitioned_types_cover_nothing():
    assert covered_partitions(PRODUCT, Window.between("updated_at", utc(2024, 3, 1), utc(2024, 5, 1))) == []
    assert covered_partitions(PRODUCT, Window.changes_since(utc(2024, 3, 1))) == []
    assert covered_partitions(PRODUCT, Window.of_keys(["prod_1"])) == []
    assert covered_partitions(MAPPINGS.get("currency"), FULL) == [] and partitions_for(MAPPINGS.get("currency")) is None
