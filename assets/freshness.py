"""Freshness: each synced content type has a `freshness_check` that passes while its latest materialization
(a Dagster run's, or a command-line run's recorded in the instance) is younger than FRESHNESS_SECONDS.

The check is evaluated without a run: the `freshness_checks` sensor reads the assets' latest materializations
(one query a tick) and reports an evaluation when a type was materialized since its last evaluation, or when
its last passing evaluation runs out. A restart, or a sync that nothing needs to re-check, launches nothing.
The check can also be executed in a run (the UI's "Execute"), with the same verdict.

What is due, and the verdict, are pure (`Freshness`, `verdict`); reading the instance lives around them.

No `from __future__ import annotations` here: Dagster inspects the real annotation of `context`.
"""

import json
from dataclasses import dataclass, field, replace
from datetime import datetime, timedelta, timezone
from typing import Iterable, Mapping

from dagster import (
    AssetCheckEvaluation,
    AssetCheckExecutionContext,
    AssetCheckResult,
    AssetCheckSeverity,
    AssetChecksDefinition,
    AssetKey,
    DagsterInstance,
    DefaultSensorStatus,
    SensorDefinition,
    SensorEvaluationContext,
    SensorResult,
    asset_check,
    sensor,
)

from .naming import CHECK_FRESHNESS, DEFAULT_NAMES, DagsterNames

FRESHNESS_TICK_SECONDS = 10


@dataclass(frozen=True)
class Verdict:
    """A freshness evaluation: passed, and until when (epoch seconds; None when never synced)."""

    passed: bool
    fresh_until: float | None

    def metadata(self, last_update: float | None, max_age: timedelta) -> dict[str, object]:
        """What the check shows: when the type was last synced, the allowed age, and until when it holds."""
        return {
            "last synced": _when(last_update) if last_update else "never",
            "max age": str(max_age),
            "fresh until": _when(self.fresh_until) if self.fresh_until else "-",
        }


def verdict(last_update: float | None, now: float, max_age: timedelta) -> Verdict:
    """Passed when the latest materialization (epoch seconds) is younger than `max_age` at `now`."""
    if last_update is None:
        return Verdict(False, None)
    until = last_update + max_age.total_seconds()
    return Verdict(now < until, until)


@dataclass(frozen=True)
class Freshness:
    """The sensor's memory (its cursor): per content type, the materialization it last evaluated and whether
    that evaluation passed until when."""

    evaluated: dict[str, tuple[float | None, bool, float | None]] = field(default_factory=dict)

    def due(self, latest: Mapping[str, float | None], now: float) -> list[str]:
        """Types to evaluate now: never evaluated, materialized since, or passing until a moment now past."""
        due = []
        for name, update in latest.items():
            seen = self.evaluated.get(name)
            if seen is None or seen[0] != update or (seen[1] and seen[2] is not None and now >= seen[2]):
                due.append(name)
        return due

    def evaluate(self, names: Iterable[str], latest: Mapping[str, float | None], now: float,
                 max_age: timedelta) -> tuple["Freshness", dict[str, Verdict]]:
        """The verdicts of `names`, and the memory that remembers them."""
        verdicts = {name: verdict(latest.get(name), now, max_age) for name in names}
        evaluated = {**self.evaluated, **{n: (latest.get(n), v.passed, v.fresh_until) for n, v in verdicts.items()}}
        return replace(self, evaluated=evaluated), verdicts

    def to_json(self) -> str:
        """For Dagster's cursor storage."""
        return json.dumps({name: list(value) for name, value in self.evaluated.items()}, sort_keys=True)

    @classmethod
    def from_json(cls, text: str | None) -> "Freshness":
        """A stored memory; an empty or unreadable one starts afresh (everything is evaluated again)."""
        try:
            data = json.loads(text) if text else {}
            return cls({name: (value[0], bool(value[1]), value[2]) for name, value in data.items()})
        except (ValueError, TypeError, KeyError, IndexError, AttributeError):
            return cls()


def latest_materializations(instance: DagsterInstance, content_types: Iterable[str],
                            names: DagsterNames = DEFAULT_NAMES) -> dict[str, float | None]:
    """Each type's latest materialization time (epoch seconds), None when never materialized; one query."""
    types = list(content_types)
    keys = [names.strapi_key(name) for name in types]
    by_key: dict[AssetKey, float | None] = {key: None for key in keys}
    for record in instance.get_asset_records(keys):
        latest = record.asset_entry.last_materialization
        if latest is not None:
            by_key[record.asset_entry.asset_key] = latest.timestamp
    return {name: by_key[key] for name, key in zip(types, keys)}


def build_freshness_check(content_type: str, max_age: timedelta, names: DagsterNames = DEFAULT_NAMES) -> AssetChecksDefinition:
    """The type's freshness check, for a run that executes it (the sensor reports the same verdict)."""
    key = names.strapi_key(content_type)

    @asset_check(asset=key, name=CHECK_FRESHNESS, blocking=False,
                 description=f"The type was synced within the last {max_age} (FRESHNESS_SECONDS); evaluated by the "
                             f"{names.freshness_sensor} sensor without a run")
    def _check(context: AssetCheckExecutionContext) -> AssetCheckResult:
        last = latest_materializations(context.instance, [content_type], names)[content_type]
        result = verdict(last, datetime.now(timezone.utc).timestamp(), max_age)
        return AssetCheckResult(passed=result.passed, severity=AssetCheckSeverity.WARN,
                                metadata=result.metadata(last, max_age))

    return _check


def build_freshness_sensor(content_types: list[str], max_age: timedelta, names: DagsterNames = DEFAULT_NAMES) -> SensorDefinition:
    """Reports the freshness checks' evaluations as they fall due; launches no run."""

    @sensor(name=names.freshness_sensor, minimum_interval_seconds=FRESHNESS_TICK_SECONDS, default_status=DefaultSensorStatus.RUNNING,
            description="Evaluates each type's freshness check when it was synced (by a run or the command line) or "
                        "when its last sync grows too old; launches no run")
    def _sensor(context: SensorEvaluationContext) -> SensorResult:
        now = datetime.now(timezone.utc).timestamp()
        latest = latest_materializations(context.instance, content_types, names)
        memory = Freshness.from_json(context.cursor)
        memory, verdicts = memory.evaluate(memory.due(latest, now), latest, now, max_age)
        events = [
            AssetCheckEvaluation(asset_key=names.strapi_key(name), check_name=CHECK_FRESHNESS, passed=result.passed,
                                 severity=AssetCheckSeverity.WARN, metadata=result.metadata(latest[name], max_age))
            for name, result in verdicts.items()
        ]
        stale = sorted(name for name, seen in memory.evaluated.items() if not seen[1])
        return SensorResult(asset_events=events, cursor=memory.to_json(),
                            skip_reason=None if events else f"nothing due; stale: {', '.join(stale) or 'none'}")

    return _sensor


def _when(epoch: float) -> str:
    return datetime.fromtimestamp(epoch, timezone.utc).strftime("%Y-%m-%d %H:%M:%S UTC")
