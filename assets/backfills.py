"""Backfills: a mapping that declares `partition` gets a partitioned asset, `strapi_history/<type>`: the same
Strapi entries as `strapi/<type>`, by window of the partition column. Materializing one of its partitions syncs
the rows whose partition column falls in that window (soft-deleted ones are deleted); the job
`backfill_<type>` selects it, so its Partitions page launches backfills and shows which windows are synced.

The type's own asset stays unpartitioned (the reconcile, the sensor's runs, Materialize): its full runs, and a
command line's full sync (`assets.recording`), also record every partition of the history as materialized, so
the backfill page shows the history a sync covered. Backfill runs use the same upsert path as every other run,
never touch the sensors' watermarks, and can overlap with sensor runs (the unique medusa_id index turns any
race into an update).

No `from __future__ import annotations` here: Dagster inspects the real annotation of `context`.
"""

from dagster import (
    AssetExecutionContext,
    AssetObservation,
    AssetSelection,
    AssetsDefinition,
    Definitions,
    JobDefinition,
    MaterializeResult,
    asset,
    define_asset_job,
)

from pipelines.mapping import MappingSet, MappingSpec
from pipelines.medusa.source import Window
from pipelines.settings import Orchestration

from .naming import DEFAULT_NAMES, TAG_CONTENT_TYPES, TAG_MODE, DagsterNames
from .partitions import partitions_for
from .resources import both, resources_from_env
from .sync import build_sync_assets, run_sync
from .tags import content_types_tag


def build_history_asset(spec: MappingSpec, mappings: MappingSet, settings: Orchestration,
                        names: DagsterNames = DEFAULT_NAMES) -> AssetsDefinition:
    """`strapi_history/<type>`: one partition syncs the rows whose partition column falls in its window."""
    column = spec.partition.column
    deps = [names.source_key(spec.table), *(names.strapi_key(t) for t in mappings.dependencies(spec.content_type))]

    @asset(
        key=names.history_key(spec.content_type),
        deps=deps,
        group_name=names.history_group,
        kinds={"strapi"},
        partitions_def=partitions_for(spec),
        pool=names.pool,
        required_resource_keys={names.medusa_resource, names.strapi_resource},
        description=f"Strapi `{spec.content_type}` entries by {spec.partition.granularity} window of Medusa "
                    f"`{spec.table}.{column}`: materializing a partition backfills its window (job "
                    f"`{names.backfill_job(spec.content_type)}`); a full sync of `{spec.content_type}` covers them all",
    )
    def _history(context: AssetExecutionContext) -> MaterializeResult:
        medusa, strapi = both(context, names)
        span = context.partition_time_window
        metadata = run_sync(context, spec, mappings, medusa, strapi, settings, Window.between(column, span.start, span.end),
                            mode="backfill")
        context.log_event(AssetObservation(asset_key=names.strapi_key(spec.content_type),
                                           metadata={"backfill partition": context.partition_key, **metadata}))
        return MaterializeResult(metadata=metadata)

    return _history


def build_backfill_job(spec: MappingSpec, names: DagsterNames = DEFAULT_NAMES):
    """`backfill_<type>`: the type's history asset, partition by partition (an asset job, resolved by the
    Definitions it is part of)."""
    return define_asset_job(
        names.backfill_job(spec.content_type),
        selection=AssetSelection.assets(names.history_key(spec.content_type)),
        description=f"Backfill {spec.content_type} from Medusa by {spec.partition.granularity} windows of "
                    f"{spec.partition.column}.",
        tags={TAG_CONTENT_TYPES: content_types_tag([spec.content_type]), TAG_MODE: "backfill"},
    )


def build_backfill_jobs(mappings: MappingSet, settings: Orchestration | None = None) -> list[JobDefinition]:
    """The backfill jobs resolved as the code location has them (sync and history assets, resources from the
    environment), each runnable on its own: `job.execute_in_process(partition_key=..., resources=...)`."""
    settings = settings or Orchestration()
    defs = Definitions.merge(Definitions(assets=build_sync_assets(mappings, settings), resources=resources_from_env(settings)),
                             backfill_definitions(mappings, settings))
    return [defs.resolve_job_def(DEFAULT_NAMES.backfill_job(spec.content_type)) for spec in mappings if spec.partition]


def backfill_definitions(mappings: MappingSet, settings: Orchestration, names: DagsterNames = DEFAULT_NAMES) -> Definitions:
    """A history asset and a backfill job per partitioned mapping."""
    partitioned = [spec for spec in mappings if spec.partition]
    return Definitions(assets=[build_history_asset(spec, mappings, settings, names) for spec in partitioned],
                       jobs=[build_backfill_job(spec, names) for spec in partitioned])
