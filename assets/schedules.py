"""The nightly reconcile: all of Medusa against all of Strapi, repairing drift (including hard deletes)."""

import os

from dagster import AssetSelection, DefaultScheduleStatus, ScheduleDefinition, define_asset_job

from .factory import TARGET_GROUP

reconcile_job = define_asset_job(
    "reconcile",
    selection=AssetSelection.groups(TARGET_GROUP),
    description="Compare every content type in full and create, update and delete to make Strapi equal to Medusa "
    "(0 writes when nothing changed); runs the key checks afterwards.",
)

reconcile_schedule = ScheduleDefinition(
    name="nightly_reconcile",
    job=reconcile_job,
    cron_schedule=os.environ.get("RECONCILE_CRON", "0 3 * * *"),
    execution_timezone="UTC",
    default_status=DefaultScheduleStatus.RUNNING,
    description="Runs the reconcile job nightly (RECONCILE_CRON, UTC); turn it off in the UI.",
)
