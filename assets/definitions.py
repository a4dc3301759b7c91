"""The Definitions object that workspace.yaml loads: this repository's code location, one instance of the
`MedusaStrapiSync` component configured from the environment (MAPPINGS_DIR, SENSOR_INTERVAL_SECONDS, ...), with
the executor DAGSTER_EXECUTOR names (a component sets none of its own)."""

from dagster import Definitions

from pipelines.settings import Orchestration

from .component import MedusaStrapiSync
from .location import EXECUTORS, build_definitions

__all__ = ["EXECUTORS", "build_definitions", "defs", "repository_definitions"]


def repository_definitions(settings: Orchestration) -> Definitions:
    """The repository's code location for `settings`: the component's definitions and the chosen executor."""
    component = MedusaStrapiSync.from_settings(settings)
    return Definitions.merge(component.definitions(settings.mappings_dir), Definitions(executor=EXECUTORS[settings.executor]))


defs = repository_definitions(Orchestration.from_env())
