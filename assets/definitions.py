"""The one Definitions object that workspace.yaml loads."""

from __future__ import annotations

from dagster import AssetSelection, Definitions, define_asset_job

from pipelines.mapping import load_mappings
from pipelines.settings import mappings_dir

from .factory import TARGET_GROUP, build_sync_assets, source_specs
from .resources import resources_from_env

mappings = load_mappings(mappings_dir())

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
