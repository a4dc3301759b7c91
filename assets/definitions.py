"""The one Definitions object that workspace.yaml loads."""

from __future__ import annotations

import logging
import os

from dagster import AssetSelection, Definitions, define_asset_job

from pipelines.extract import MedusaSource, SourceError
from pipelines.mapping import MappingErrors, MappingSet, load_mappings
from pipelines.settings import mappings_dir
from pipelines.validate import check_database

from .factory import TARGET_GROUP, build_sync_assets, source_specs
from .resources import resources_from_env

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

sync_all_job = define_asset_job(
    "sync_all",
    selection=AssetSelection.groups(TARGET_GROUP),
    description="Full sync of every mapped content type, in dependency order.",
)

defs = Definitions(
    assets=[*source_specs(mappings), *build_sync_assets(mappings)],
    jobs=[sync_all_job],
    resources=resources_from_env(),
)
