"""The nightly reconcile: all of Medusa against all of Strapi, repairing drift (including hard deletes) and
retrying quarantined rows."""

from dagster import DefaultScheduleStatus, Definitions, ScheduleDefinition

from pipelines.settings import Orchestration

from .naming import DEFAULT_NAMES, DagsterNames


def schedule_definitions(settings: Orchestration, names: DagsterNames = DEFAULT_NAMES) -> Definitions:
    """The nightly reconcile schedule (RECONCILE_CRON, UTC), on by default."""
    return Definitions(schedules=[ScheduleDefinition(
        name=names.reconcile_schedule,
        job_name=names.reconcile_job,
        cron_schedule=settings.reconcile_cron,
        execution_timezone="UTC",
        default_status=DefaultScheduleStatus.RUNNING,
        description="Runs the reconcile job nightly (RECONCILE_CRON, UTC); turn it off in the UI.",
    )])
