"""The one Definitions object that workspace.yaml loads, merged from one Definitions per concern.

Loading reads the mapping files only (never Medusa nor Strapi): a run worker starts fast, and a broken
file disables only its own content type (a placeholder shows its errors) instead of the code location.
Mismatches with Medusa or Strapi are found by the sensor's checks and by every run's preflight.
"""

from dagster import Definitions, in_process_executor, multiprocess_executor

from pipelines.mapping import load_mapping_set
from pipelines.settings import Orchestration

from .checks import check_definitions
from .naming import DEFAULT_NAMES, DagsterNames
from .backfills import backfill_definitions
from .placeholders import broken_mapping_definitions
from .resources import resources_from_env
from .schedules import schedule_definitions
from .sensors import sensor_definitions
from .sync import sync_definitions
from .write_back import write_back_definitions


EXECUTORS = {"in_process": in_process_executor, "multiprocess": multiprocess_executor}


def build_definitions(settings: Orchestration, names: DagsterNames = DEFAULT_NAMES) -> Definitions:
    """Everything for the mapping set of `settings`, named by `names` (asset keys, groups, jobs, sensors, the
    schedule, the pool); runs execute in-process (no subprocess per step) unless DAGSTER_EXECUTOR=multiprocess
    asks for a process per step (the `strapi` pool caps writers either way)."""
    loaded = load_mapping_set(settings.mappings_dir)
    return Definitions.merge(
        sync_definitions(loaded.mappings, settings, names),
        check_definitions(loaded.mappings, settings.freshness, names),
        backfill_definitions(loaded.mappings, settings, names),
        sensor_definitions(loaded, settings, names),
        schedule_definitions(settings, names),
        write_back_definitions(loaded.mappings, settings, names),
        broken_mapping_definitions(loaded.broken, names),
        Definitions(resources=resources_from_env(settings), executor=EXECUTORS[settings.executor]),
    )


defs = build_definitions(Orchestration.from_env())
