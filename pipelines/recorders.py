"""Where a command's results are recorded besides the terminal.

Recorders come from installed packages, registered under the entry-point group `medusa_strapi.recorders`: each
entry point names a factory that takes the command's `Settings` and returns a `Recorder`, or None when it is
not configured. This package's Dagster layer registers one (`assets.recording`), which records the runs of the
command line in the Dagster instance of DAGSTER_HOME, so the UI shows them as it shows its own runs. The engine
knows recorders by this interface only.
"""

from __future__ import annotations

from dataclasses import dataclass
from importlib.metadata import entry_points
from typing import TYPE_CHECKING, Callable, Protocol, Sequence

from .mapping import MappingSet
from .medusa.query import Window
from .sync.result import SyncResult

if TYPE_CHECKING:
    from .settings import Settings

ENTRY_POINT_GROUP = "medusa_strapi.recorders"


@dataclass(frozen=True)
class Recording:
    """What the command did, for the record: who (`by`, e.g. `medusa-strapi sync`), how (`mode`: sync,
    reconcile, changes or backfill), over which rows (`window`) and with which mappings."""

    by: str
    mode: str
    window: Window
    mappings: MappingSet


class Recorder(Protocol):
    """Records the results of one command somewhere; returns a line saying where."""

    def record(self, results: Sequence[SyncResult], recording: Recording) -> str:
        """Record `results` (one per content type the command synced)."""


def recorders(settings: "Settings") -> list[Recorder]:
    """The configured recorders of every installed package (most often none or one)."""
    found = []
    for entry in entry_points(group=ENTRY_POINT_GROUP):
        factory: Callable[["Settings"], Recorder | None] = entry.load()
        recorder = factory(settings)
        if recorder is not None:
            found.append(recorder)
    return found
