"""Drive the change sensor and the runs it requests in-process, against a real Dagster instance."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone

from dagster import AssetSelection, RunRequest, build_sensor_context, materialize

import assets.sensors
from assets.checks import build_quarantine_check
from assets.naming import strapi_key
from assets.resources import MedusaDatabase, StrapiResource
from assets.sensors import build_change_sensor
from assets.sync import build_sync_assets
from pipelines.settings import Orchestration


class Clock:
    """The sensor's notion of now, movable forward (back-off waits without sleeping)."""

    def __init__(self):
        self.offset = timedelta()

    def __call__(self) -> datetime:
        return datetime.now(timezone.utc) + self.offset

    def advance(self, seconds: float) -> None:
        self.offset += timedelta(seconds=seconds)


class SensorHarness:
    """A Dagster instance, the resources, the sync assets, and the change sensor with its cursor."""

    def __init__(self, mappings, medusa_url, stack, instance, monkeypatch, settings: Orchestration | None = None):
        self.mappings, self.instance = mappings, instance
        self.settings = settings or Orchestration()
        self.resources = {"medusa": MedusaDatabase(url=medusa_url),
                          "strapi": StrapiResource(url=stack["STRAPI_URL"], api_token=stack["STRAPI_API_TOKEN"])}
        self.assets = build_sync_assets(mappings, self.settings)
        self.checks = [build_quarantine_check(spec) for spec in mappings]
        self.sensor = build_change_sensor(mappings, self.settings)
        self.clock = Clock()
        monkeypatch.setattr(assets.sensors, "now", self.clock)
        self.cursor: str | None = None

    def tick(self):
        """One evaluation of the sensor; its SensorResult."""
        context = build_sensor_context(cursor=self.cursor, instance=self.instance, resources=self.resources)
        result = self.sensor(context)
        self.cursor = result.cursor
        return result

    def execute(self, request: RunRequest, resources=None):
        """Run what a tick requested, as the daemon would (same tags, config and selection)."""
        selection = AssetSelection.assets(*request.asset_selection) | AssetSelection.checks(*request.asset_check_keys)
        return materialize([*self.assets, *self.checks], selection=selection, run_config=request.run_config,
                           tags=request.tags, instance=self.instance, resources=resources or self.resources,
                           raise_on_error=False)

    def request(self) -> RunRequest:
        """Tick, expecting exactly one run request."""
        result = self.tick()
        assert len(result.run_requests) == 1, result.skip_reason
        return result.run_requests[0]

    def tick_and_run(self) -> dict[str, dict[str, int]]:
        """Tick, run what it requests; the figures of each content type the run synced."""
        result = self.execute(self.request())
        assert result.success, [e.message for e in result.all_events if e.event_type_value == "STEP_FAILURE"]
        figures = {}
        for event in result.get_asset_materialization_events():
            name = next(spec.content_type for spec in self.mappings if strapi_key(spec.content_type) == event.asset_key)
            figures[name] = {k: v.value for k, v in event.materialization.metadata.items()
                             if k in ("read", "created", "updated", "unchanged", "deleted", "failed", "quarantined")}
        return figures

    def quiet(self) -> str:
        """Tick, expecting no run; the skip reason."""
        result = self.tick()
        assert not result.run_requests, [r.asset_selection for r in result.run_requests]
        return result.skip_reason.skip_message if result.skip_reason else ""
