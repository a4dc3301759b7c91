"""What a change sensor's tick may launch: pure bookkeeping of runs in flight, back-off after failures,
and content types whose mapping is broken. The probes and the launching live around it."""

from __future__ import annotations

import json
from dataclasses import asdict, dataclass, field, replace
from datetime import datetime, timedelta, timezone
from typing import Iterable, Mapping

FIRST_BACKOFF = timedelta(seconds=30)
MAX_BACKOFF = timedelta(minutes=15)
LOST_AFTER = timedelta(minutes=15)  # a launched run that never shows up is given up
VALIDATE_EVERY = timedelta(minutes=5)


def _iso(moment: datetime) -> str:
    return moment.astimezone(timezone.utc).isoformat()


def _at(text: str) -> datetime:
    return datetime.fromisoformat(text)


def backoff(failures: int) -> timedelta:
    """How long to wait after `failures` failed runs in a row: 30 s, 1 min, 2 min ... at most 15 min."""
    return min(FIRST_BACKOFF * (2 ** max(failures - 1, 0)), MAX_BACKOFF)


@dataclass(frozen=True)
class Launch:
    """A run launched by a tick and not yet seen to finish."""

    types: tuple[str, ...]
    at: str


@dataclass(frozen=True)
class Backoff:
    """Failed runs in a row for a content type, and when it may be launched again."""

    failures: int
    until: str


@dataclass(frozen=True)
class TickState:
    """A sensor's memory between ticks (its Dagster cursor). Watermarks are not here: they are recorded
    in Strapi by the runs themselves, so every entry point shares them."""

    in_flight: dict[str, Launch] = field(default_factory=dict)  # launch id -> launch
    backoff: dict[str, Backoff] = field(default_factory=dict)  # content type -> back-off
    broken: dict[str, str] = field(default_factory=dict)  # content type -> why it is not launched
    validated_at: str | None = None
    mappings_digest: str | None = None  # of the mapping files the last validation read

    def to_json(self) -> str:
        """For Dagster's cursor storage."""
        return json.dumps(asdict(self), sort_keys=True)

    @classmethod
    def from_json(cls, text: str | None) -> "TickState":
        """A stored state; an empty or unreadable one starts afresh (nothing is lost: watermarks are in Strapi)."""
        try:
            data = json.loads(text) if text else {}
            return cls(
                in_flight={k: Launch(tuple(v["types"]), v["at"]) for k, v in data.get("in_flight", {}).items()},
                backoff={k: Backoff(**v) for k, v in data.get("backoff", {}).items()},
                broken=dict(data.get("broken", {})),
                validated_at=data.get("validated_at"),
                mappings_digest=data.get("mappings_digest"),
            )
        except (ValueError, TypeError, KeyError, AttributeError):
            return cls()

    def settle(self, finished: Mapping[str, bool | None], now: datetime) -> "TickState":
        """Forget finished launches (True: succeeded, False: failed, None: never appeared); a failure
        backs its types off, a success clears their back-off. Launches lost for too long are dropped."""
        in_flight, back = dict(self.in_flight), dict(self.backoff)
        for launch_id, launch in self.in_flight.items():
            outcome = finished.get(launch_id, "running")
            if outcome == "running" and now - _at(launch.at) <= LOST_AFTER:
                continue
            del in_flight[launch_id]
            for name in launch.types:
                if outcome is True:
                    back.pop(name, None)
                else:
                    failures = back[name].failures + 1 if name in back else 1
                    back[name] = Backoff(failures, _iso(now + backoff(failures)))
        return replace(self, in_flight=in_flight, backoff=back)

    def launchable(self, types: Iterable[str], now: datetime) -> list[str]:
        """Types that may be probed now: not in flight, not backing off, not broken."""
        busy = {name for launch in self.in_flight.values() for name in launch.types}
        return [
            name for name in types
            if name not in busy and name not in self.broken
            and (name not in self.backoff or _at(self.backoff[name].until) <= now)
        ]

    def launch(self, launch_id: str, types: Iterable[str], now: datetime) -> "TickState":
        """Remember a launch until it finishes."""
        return replace(self, in_flight={**self.in_flight, launch_id: Launch(tuple(types), _iso(now))})

    def validation_due(self, now: datetime, digest: str | None = None) -> bool:
        """Whether the mappings should be checked against Medusa and Strapi again: every VALIDATE_EVERY, and at
        once when their files changed (`digest` differs from the one the last validation read)."""
        changed = digest is not None and digest != self.mappings_digest
        return changed or self.validated_at is None or now - _at(self.validated_at) >= VALIDATE_EVERY

    def validated(self, broken: Mapping[str, str], now: datetime, digest: str | None = None) -> "TickState":
        """The outcome of a validation of the mapping files with `digest`: which types are broken, and why."""
        return replace(self, broken=dict(broken), validated_at=_iso(now), mappings_digest=digest)

    def describe(self, now: datetime) -> str:
        """The state in words, for the tick's log in the UI."""
        parts = []
        for launch_id, launch in self.in_flight.items():
            parts.append(f"in flight since {_at(launch.at):%H:%M:%S} UTC: {', '.join(launch.types)} (launch {launch_id})")
        for name, back in self.backoff.items():
            if _at(back.until) > now:
                parts.append(f"{name}: {back.failures} failed run(s) in a row, next try after {_at(back.until):%H:%M:%S} UTC")
        reasons: dict[str, list[str]] = {}
        for name, why in self.broken.items():
            reasons.setdefault(why, []).append(name)
        for why, names in reasons.items():
            parts.append(f"not launched ({', '.join(names)}): {why}")
        return "; ".join(parts)
