"""Backfills: a time-partitioned job per mapping that declares `partition`, one window per partition.

Backfill runs use the same upsert path as every other run, never touch the sensors' watermarks, and
can overlap with sensor runs (the unique medusa_id index turns any race into an update).
"""

from dagster import (
    AssetObservation,
    DailyPartitionsDefinition,
    Definitions,
    JobDefinition,
    MonthlyPartitionsDefinition,
    OpExecutionContext,
    TimeWindowPartitionsDefinition,
    job,
    op,
)

from pipelines.mapping import MappingSet, MappingSpec
from pipelines.medusa.source import Window
from pipelines.settings import Orchestration

from .naming import STRAPI_POOL, TAG_CONTENT_TYPES, TAG_MODE, backfill_job, strapi_key
from .resources import MedusaDatabase, StrapiResource
from .sync import run_sync
from .tags import content_types_tag


def partitions_for(spec: MappingSpec) -> TimeWindowPartitionsDefinition:
    """Monthly or daily UTC partitions from the mapping's start; the current period is one too."""
    kind = MonthlyPartitionsDefinition if spec.partition.granularity == "monthly" else DailyPartitionsDefinition
    return kind(start_date=spec.partition.start, end_offset=1, timezone="UTC")


def build_backfill_job(spec: MappingSpec, mappings: MappingSet, settings: Orchestration | None = None) -> JobDefinition:
    """`backfill_<type>`: each partition syncs the rows whose partition column falls in its window."""
    settings = settings or Orchestration()
    key = strapi_key(spec.content_type)
    name = backfill_job(spec.content_type)
    column = spec.partition.column

    @op(name=f"{name}_window", description=f"Sync {spec.content_type} rows with {column} in the partition's window.",
        pool=STRAPI_POOL)
    def _backfill(context: OpExecutionContext, medusa: MedusaDatabase, strapi: StrapiResource) -> None:
        window = context.partition_time_window
        metadata = run_sync(
            context, spec, mappings, medusa, strapi, settings, Window.between(column, window.start, window.end), mode="backfill"
        )
        context.add_output_metadata(metadata)
        context.log_event(AssetObservation(asset_key=key, metadata={"backfill partition": context.partition_key, **metadata}))

    @job(
        name=name,
        partitions_def=partitions_for(spec),
        description=f"Backfill {spec.content_type} from Medusa by {spec.partition.granularity} windows of {column}.",
        tags={TAG_CONTENT_TYPES: content_types_tag([spec.content_type]), TAG_MODE: "backfill"},
    )
    def _job():
        _backfill()

    return _job


def build_backfill_jobs(mappings: MappingSet, settings: Orchestration | None = None) -> list[JobDefinition]:
    """One backfill job per partitioned mapping."""
    return [build_backfill_job(spec, mappings, settings) for spec in mappings if spec.partition]


def backfill_definitions(mappings: MappingSet, settings: Orchestration) -> Definitions:
    """The partitioned backfill jobs."""
    return Definitions(jobs=build_backfill_jobs(mappings, settings))
