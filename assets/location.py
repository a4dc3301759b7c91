"""Everything a code location holds for one mapping set, merged from one Definitions per concern: what both the
`MedusaStrapiSync` component and this repository's own code location build.

Loading reads the mapping files only (never Medusa nor Strapi): a run worker starts fast, and a broken
file disables only its own content type (a placeholder shows its errors) instead of the code location.
Mismatches with Medusa or Strapi are found by the sensor's checks and by every run's preflight.
"""

from __future__ import annotations

from dagster import Definitions, ExecutorDefinition, in_process_executor, multiprocess_executor

from pipelines.mapping import load_mapping_set
from pipelines.settings import Orchestration

from .backfills import backfill_definitions
from .checks import check_definitions
from .naming import DEFAULT_NAMES, DagsterNames
from .placeholders import broken_mapping_definitions
from .resources import DEFAULT_VARIABLES, Variables, resources_for
from .schedules import schedule_definitions
from .sensors import sensor_definitions
from .sync import sync_definitions
from .write_back import write_back_definitions


class _Executors(dict):
    """DAGSTER_EXECUTOR's choices; asking for Celery's without the `celery` extra says what to install."""

    def __missing__(self, name: str):
        raise KeyError(f"DAGSTER_EXECUTOR={name} needs the `celery` extra: pip install 'medusa-strapi-sync[celery]'")


try:  # dagster-celery: the `celery` extra (pyproject.toml)
    from .celery_executor import celery_executor
except ImportError:  # pragma: no cover - installed in the dev extra
    celery_executor = None

# DAGSTER_EXECUTOR: in-process runs (the default), a process per step, or each step on a Celery worker
# (assets/celery_executor.py; its broker: DAGSTER_CELERY_BROKER; its workers: scripts/celery-workers).
EXECUTORS = _Executors({"in_process": in_process_executor, "multiprocess": multiprocess_executor,
                        **({"celery": celery_executor} if celery_executor else {})})
SETTINGS_EXECUTOR = object()  # build_definitions' default: the executor DAGSTER_EXECUTOR names (settings.executor)


def build_definitions(settings: Orchestration, names: DagsterNames = DEFAULT_NAMES, *, variables: Variables = DEFAULT_VARIABLES,
                      executor: ExecutorDefinition | None | object = SETTINGS_EXECUTOR) -> Definitions:
    """Everything for the mapping set of `settings`, named by `names` (asset keys, groups, jobs, sensors, the
    schedule, the pool, the resources' keys), its resources reading the environment variables `variables` names.
    Runs execute in-process (no subprocess per step) unless DAGSTER_EXECUTOR=multiprocess asks for a process per
    step (the `strapi` pool caps writers either way); `executor=None` sets none (a component in someone's project)."""
    loaded = load_mapping_set(settings.mappings_dir)
    chosen = EXECUTORS[settings.executor] if executor is SETTINGS_EXECUTOR else executor
    return Definitions.merge(
        sync_definitions(loaded.mappings, settings, names),
        check_definitions(loaded.mappings, settings.freshness, names),
        backfill_definitions(loaded.mappings, settings, names),
        sensor_definitions(loaded, settings, names),
        schedule_definitions(settings, names),
        write_back_definitions(loaded.mappings, settings, names),
        broken_mapping_definitions(loaded.broken, names),
        Definitions(resources=resources_for(settings, names, variables), executor=chosen),
    )
