"""The command line's runs, recorded in a Dagster instance: a sync, reconcile or backfill run by
`medusa-strapi` with DAGSTER_HOME set reports a materialization of each asset it synced, with the metadata a
Dagster run of that asset records, through Dagster's API for events that happened outside a run
(`report_runless_asset_event`). The UI then shows the CLI's sync as the asset's latest materialization, and the
freshness checks count it. A partitioned type's run also records the partitions of its history asset whose whole window
it synced (every one for a full sync), so the backfill page shows the history as synced.

Registered as the `dagster` recorder of `pipelines.recorders`; Dagster is imported only when it records.
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Sequence

from pipelines.recorders import Recording
from pipelines.sync.result import SyncResult

if TYPE_CHECKING:
    from pipelines.settings import Settings


class DagsterRecorder:
    """Reports the materializations of a command's runs to the Dagster instance in `home`."""

    def __init__(self, home: Path):
        self.home = home

    def record(self, results: Sequence[SyncResult], recording: Recording) -> str:
        """One materialization per content type whose run ended without transient failures (a Dagster run
        with failed rows materializes nothing either); a line saying how many, and where."""
        from dagster import AssetMaterialization, DagsterInstance

        from .naming import strapi_key
        from .partitions import record_history
        from .sync import result_metadata

        synced = [result for result in results if result.ok]
        partitions = 0
        with DagsterInstance.from_config(str(self.home)) as instance:
            for result in synced:
                key = strapi_key(result.content_type)
                metadata = {**result_metadata(result, result.window or recording.window.describe(), recording.mode),
                            "recorded by": recording.by}
                partitions += record_history(instance, recording.mappings.get(result.content_type), recording.window,
                                             f"{recording.by} ({recording.mode})")
                instance.report_runless_asset_event(AssetMaterialization(asset_key=key, metadata=metadata))
        left = len(results) - len(synced)
        return (f"recorded {len(synced)} materialization(s) in the Dagster instance at {self.home}"
                + (f" (and {partitions} partition(s) of the partitioned types' history)" if partitions else "")
                + (f"; {left} type(s) with failed rows left out" if left else ""))


def dagster_recorder(settings: "Settings") -> DagsterRecorder | None:
    """The recorder for DAGSTER_HOME, or None when it is not set."""
    return DagsterRecorder(settings.dagster_home) if settings.dagster_home else None
