"""Write-back in Dagster: per content type whose mapping declares `write_back`, a job that merges the two-way
fields of the entries edited in Strapi (their changes to Medusa's Admin API, Medusa's to Strapi, conflicts by the
mapping's rule), and a sensor that launches it when entries were edited after what the last successful write-back
covered (one request to Strapi per tick)."""

from datetime import datetime, timedelta, timezone

from dagster import (
    DagsterRunStatus,
    DefaultSensorStatus,
    Definitions,
    JobDefinition,
    MetadataValue,
    OpExecutionContext,
    Output,
    RunRequest,
    RunsFilter,
    SensorDefinition,
    SensorEvaluationContext,
    SkipReason,
    job,
    op,
    sensor,
)

from pipelines.mapping import MappingSet, MappingSpec
from pipelines.secrets import describe_error
from pipelines.settings import Orchestration
from pipelines.sync.state import SyncState
from pipelines.writeback.run import latest_edit, needs_write_back, state_name, write_back

from .failures import ExpectedFailure, failure_for
from .naming import DEFAULT_NAMES, TAG_CONTENT_TYPES, TAG_MODE, TAG_WRITE_BACK_UNTIL, DagsterNames
from .resources import MedusaAdminResource, both
from .tags import content_types_tag

RETRY_AFTER = timedelta(minutes=1)  # a failed write-back is launched again this long after it ended
FINISHED = {DagsterRunStatus.SUCCESS, DagsterRunStatus.FAILURE, DagsterRunStatus.CANCELED}


def build_write_back_job(spec: MappingSpec, settings: Orchestration, names: DagsterNames = DEFAULT_NAMES) -> JobDefinition:
    """The job that runs one write-back of `spec`'s two-way fields."""
    name = names.write_back_job(spec.content_type)

    @op(name=names.write_back_op(spec.content_type), required_resource_keys={names.medusa_resource, names.strapi_resource, names.admin_resource}, description=f"Merge {', '.join(spec.write_back)} of the {spec.content_type} entries edited in Strapi: "
                               f"their changes to Medusa's Admin API ({spec.table}), Medusa's to Strapi, "
                               f"conflicts by on_conflict: {spec.on_conflict}")
    def _write_back(context: OpExecutionContext):
        medusa, strapi = both(context, names)
        medusa_admin: MedusaAdminResource = getattr(context.resources, names.admin_resource)
        if not medusa_admin.configured:
            raise ExpectedFailure("write-back needs MEDUSA_ADMIN_URL, MEDUSA_ADMIN_EMAIL and MEDUSA_ADMIN_PASSWORD")
        try:
            with medusa.source() as source, strapi.client() as client, medusa_admin.admin() as admin:
                result = write_back(spec, source, client, admin, overlap=settings.sync.overlap, log=context.log,
                                    recorded_by=f"dagster run {context.run.run_id}")
            failure = None
        except Exception as exc:  # noqa: BLE001 - raised outside the except block (no chained text)
            failure = failure_for(exc, spec.content_type)
        if failure is not None:
            raise failure
        metadata = {"read": result.read, "written": result.written, "to_strapi": result.to_strapi,
                    "conflicts": len(result.conflicts), "failed": len(result.failures),
                    "quarantined": len(result.quarantined), "since": result.since or "every synced entry"}
        if result.quarantined:  # values Medusa refused: the run goes on (see `medusa-strapi quarantine`)
            metadata["quarantined values"] = MetadataValue.md("\n".join(f"- `{m}`: {r}" for m, r in result.quarantined[:20]))
        if result.failures:
            metadata["first failures"] = MetadataValue.md("\n".join(f"- `{m}`: {r}" for m, r in result.failures[:20]))
            raise ExpectedFailure(f"{len(result.failures)} write-back(s) of {spec.content_type} failed", metadata=metadata)
        context.log.info(result.summary())
        yield Output(None, metadata=metadata)

    @job(name=name, tags={TAG_MODE: "write-back", TAG_CONTENT_TYPES: content_types_tag([spec.content_type])},
         description=f"Merge {', '.join(spec.write_back)} of {spec.content_type} edited in Strapi with Medusa")
    def _job():
        _write_back()

    return _job


def build_write_back_sensor(spec: MappingSpec, settings: Orchestration, names: DagsterNames = DEFAULT_NAMES) -> SensorDefinition:
    """Launches `spec`'s write-back job when an entry was edited after the last successful write-back."""
    job_name = names.write_back_job(spec.content_type)

    # The job by name, not the JobDefinition: Definitions binds the job's resources later and would then
    # rebuild a sensor that holds the job object, which (Dagster 1.13) warns that `owners` is in beta.
    @sensor(name=names.write_back_sensor(spec.content_type), job_name=job_name,
            required_resource_keys={names.medusa_resource, names.strapi_resource, names.admin_resource}, minimum_interval_seconds=settings.sensor_interval_seconds,
            default_status=DefaultSensorStatus.RUNNING,
            description=f"Polls Strapi for {spec.content_type} entries edited after the recorded write-back watermark")
    def _sensor(context: SensorEvaluationContext, **_given: object):  # a direct call also passes the resources by key
        medusa, strapi = both(context, names)
        medusa_admin: MedusaAdminResource = getattr(context.resources, names.admin_resource)
        if not medusa_admin.configured:
            return SkipReason("write-back is off: MEDUSA_ADMIN_URL, MEDUSA_ADMIN_EMAIL and MEDUSA_ADMIN_PASSWORD are not set")
        try:
            with medusa.source() as source, strapi.client() as client:
                latest = latest_edit(client, spec)
                recorded = SyncState(client, source.identity).get(state_name(spec.content_type))
        except Exception as exc:  # noqa: BLE001 - a system that is down skips the tick
            return SkipReason(f"cannot look for edits: {describe_error(exc)}")
        if not needs_write_back(latest, recorded):
            return SkipReason(f"no edit after {recorded.high if recorded else 'the first write-back'}")
        runs = context.instance.get_runs(filters=RunsFilter(job_name=job_name, tags={TAG_WRITE_BACK_UNTIL: latest}), limit=1)
        if runs and runs[0].status not in FINISHED:
            return SkipReason(f"a write-back of the edits up to {latest} is running")
        if runs and runs[0].status != DagsterRunStatus.SUCCESS:
            ended = context.instance.get_run_stats(runs[0].run_id).end_time
            if ended and datetime.now(timezone.utc).timestamp() - ended < RETRY_AFTER.total_seconds():
                return SkipReason(f"the last write-back failed; trying again {RETRY_AFTER} after it")
        return RunRequest(tags={TAG_WRITE_BACK_UNTIL: latest})

    return _sensor


def write_back_definitions(mappings: MappingSet, settings: Orchestration, names: DagsterNames = DEFAULT_NAMES) -> Definitions:
    """A write-back job and sensor per content type whose mapping declares `write_back`."""
    jobs, sensors = [], []
    for spec in mappings:
        if spec.write_back:
            jobs.append(build_write_back_job(spec, settings, names))
            sensors.append(build_write_back_sensor(spec, settings, names))
    return Definitions(jobs=jobs, sensors=sensors)
