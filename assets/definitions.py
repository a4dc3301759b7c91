"""The one Definitions object that workspace.yaml loads."""

from __future__ import annotations

import logging
import os

from dagster import Definitions

from pipelines.medusa.source import MedusaSource, SourceError
from pipelines.mapping import MappingErrors, MappingSet, load_mappings
from pipelines.settings import mappings_dir
from pipelines.validate import check_database

from .checks import build_checks
from .factory import build_sync_assets, source_specs
from .partitions import build_backfill_jobs
from .resources import resources_from_env
from .schedules import reconcile_job, reconcile_schedule
from .sensors import build_change_sensors, changes_job

log = logging.getLogger(__name__)


def checked_mappings() -> MappingSet:
    """The mappings, refused at load time (file:line: key) when they break the schema or, if Medusa's
    database is reachable, name tables or columns it does not have."""
    mappings = load_mappings(mappings_dir())
    url = os.environ.get("MEDUSA_DATABASE_URL")
    if url:
        source = MedusaSource(url, connect_timeout=3)
        try:
            errors = check_database(mappings, source)
        except SourceError as exc:
            log.warning("mappings not checked against Medusa's database: %s", exc)
            errors = []
        finally:
            source.dispose()
        if errors:
            raise MappingErrors(errors)
    return mappings


mappings = checked_mappings()

defs = Definitions(
    assets=[*source_specs(mappings), *build_sync_assets(mappings)],
    asset_checks=build_checks(mappings),
    jobs=[reconcile_job, changes_job, *build_backfill_jobs(mappings)],
    schedules=[reconcile_schedule],
    sensors=build_change_sensors(mappings),
    resources=resources_from_env(),
)
