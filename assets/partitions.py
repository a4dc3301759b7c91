"""The time partitions of a mapping that declares `partition` (monthly or daily UTC windows of its partition
column), which of them a run over a window synced whole, and the record of those in the history asset
(`assets.backfills`)."""

from dagster import (
    AssetMaterialization,
    DagsterInstance,
    DailyPartitionsDefinition,
    MonthlyPartitionsDefinition,
    TimeWindowPartitionsDefinition,
)

from pipelines.mapping import MappingSpec
from pipelines.medusa.source import Window

from .naming import DEFAULT_NAMES, DagsterNames


def partitions_for(spec: MappingSpec) -> TimeWindowPartitionsDefinition | None:
    """Monthly or daily UTC partitions from the mapping's start, the current period included; None when the
    mapping declares no `partition`."""
    if not spec.partition:
        return None
    kind = MonthlyPartitionsDefinition if spec.partition.granularity == "monthly" else DailyPartitionsDefinition
    return kind(start_date=spec.partition.start, end_offset=1, timezone="UTC")


def covered_partitions(spec: MappingSpec, window: Window) -> list[str]:
    """The partitions of `spec` a run over `window` synced whole: every one for the full window, those inside
    a window of the partition column, none for any other window (or an unpartitioned mapping)."""
    partitions = partitions_for(spec)
    if partitions is None:
        return []
    if window.is_full:
        return partitions.get_partition_keys()
    if window.keys is not None or window.column != spec.partition.column or window.start is None or window.end is None:
        return []
    spans = ((key, partitions.time_window_for_partition_key(key)) for key in partitions.get_partition_keys())
    return [key for key, span in spans if window.start <= span.start and span.end <= window.end]


def record_history(instance: DagsterInstance, spec: MappingSpec, window: Window, by: str,
                   names: DagsterNames = DEFAULT_NAMES) -> int:
    """Record the partitions of `spec`'s history that a run over `window` synced whole as materialized (events
    outside the run, so its own materialization keeps the type's figures alone); how many."""
    covered = covered_partitions(spec, window)
    for partition in covered:
        instance.report_runless_asset_event(AssetMaterialization(asset_key=names.history_key(spec.content_type),
                                                                 partition=partition, metadata={"synced by": by}))
    return len(covered)

