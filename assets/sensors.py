"""Sensors: one per content type, launching an incremental run when Medusa's rows changed.

The change detection lives in `pipelines.medusa.changes`; this module only keeps its state in the
sensor's cursor and turns decisions into run requests. The watermark moves only when the run that
covered it has succeeded: a failed, cancelled or vanished run leaves it where it was.
"""

import os
import uuid
from datetime import datetime, timedelta, timezone

from dagster import (
    AssetSelection,
    DagsterRunStatus,
    DefaultSensorStatus,
    RunConfig,
    RunRequest,
    RunsFilter,
    SensorDefinition,
    SensorEvaluationContext,
    SkipReason,
    define_asset_job,
    sensor,
)

from pipelines.medusa.source import SourceError
from pipelines.medusa.changes import DEFAULT_OVERLAP, PENDING_TIMEOUT, SensorCursor, decide
from pipelines.mapping import MappingSet, MappingSpec

from .factory import TARGET_GROUP, SyncConfig, strapi_key
from .resources import MedusaDatabase

LAUNCH_TAG = "medusa-strapi/launch"
INTERVAL_SECONDS = int(os.environ.get("SENSOR_INTERVAL_SECONDS", "30"))
OVERLAP = timedelta(seconds=int(os.environ.get("SYNC_OVERLAP_SECONDS", str(int(DEFAULT_OVERLAP.total_seconds())))))

changes_job = define_asset_job(
    "sync_changes",
    selection=AssetSelection.groups(TARGET_GROUP),
    description="Incremental runs launched by the change sensors (rows changed since the confirmed watermark).",
)

_FINISHED_BADLY = {DagsterRunStatus.FAILURE, DagsterRunStatus.CANCELED}


def _run_status(context: SensorEvaluationContext, launch_id: str) -> DagsterRunStatus | None:
    runs = context.instance.get_runs(filters=RunsFilter(tags={LAUNCH_TAG: launch_id}), limit=1)
    return runs[0].status if runs else None


def _settle_pending(context: SensorEvaluationContext, cursor: SensorCursor) -> SensorCursor | SkipReason:
    """Confirm or abandon the watermark of the run launched earlier; SkipReason while it runs."""
    pending = cursor.pending
    status = _run_status(context, pending.launch_id)
    if status == DagsterRunStatus.SUCCESS:
        return cursor.confirm()
    if status in _FINISHED_BADLY:
        context.log.info(f"run {pending.launch_id} ended {status.value}: its rows will be covered again")
        return cursor.abandon()
    if status is None and datetime.now(timezone.utc) - datetime.fromisoformat(pending.launched_at) > PENDING_TIMEOUT:
        return cursor.abandon()
    return SkipReason(f"waiting for run {pending.launch_id} ({status.value if status else 'not started yet'})")


def build_change_sensor(spec: MappingSpec) -> SensorDefinition:
    """The sensor that keeps `spec`'s content type current."""
    key = strapi_key(spec.content_type)
    op_name = "__".join(key.path)

    @sensor(
        name=f"{key.path[-1]}_changes",
        job=changes_job,
        minimum_interval_seconds=INTERVAL_SECONDS,
        default_status=DefaultSensorStatus.RUNNING,
        description=f"Launches an incremental sync of {spec.content_type} when rows of Medusa `{spec.table}` change.",
    )
    def _sensor(context: SensorEvaluationContext, medusa: MedusaDatabase):
        cursor = SensorCursor.from_json(context.cursor)
        if cursor.pending:
            settled = _settle_pending(context, cursor)
            if isinstance(settled, SkipReason):
                return settled
            cursor = settled
            context.update_cursor(cursor.to_json())
        launch_id = uuid.uuid4().hex
        try:
            with medusa.source() as source:
                decision = decide(cursor, source, spec, launch_id=launch_id, overlap=OVERLAP)
        except SourceError as exc:
            return SkipReason(f"Medusa's database is unreachable: {exc}")
        context.update_cursor(decision.cursor.to_json())
        if not decision.launch:
            return SkipReason(decision.reason)
        since = decision.since.isoformat() if decision.since else None
        return RunRequest(
            run_key=launch_id,
            asset_selection=[key],
            asset_check_keys=[],  # the key checks read everything: they run with the reconcile
            run_config=RunConfig(ops={op_name: SyncConfig(
                mode="changes", since=since,
                buckets=[{"table": b.table, "column": b.column, "ids": list(b.ids)} for b in decision.buckets],
            )}),
            tags={LAUNCH_TAG: launch_id, "medusa-strapi/content-type": spec.content_type},
        )

    return _sensor


def build_change_sensors(mappings: MappingSet) -> list[SensorDefinition]:
    """One change sensor per mapping."""
    return [build_change_sensor(spec) for spec in mappings]
