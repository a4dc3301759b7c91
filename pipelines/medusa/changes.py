"""Change detection for incremental runs: a keyset watermark on (cursor, primary key) plus a digest.

A probe hashes, in one query, the (key, cursor, soft-deleted) of every row whose cursor is at or after
a lower bound. The lower bound trails the high-water mark by an overlap, so rows whose transaction
committed late (Postgres stamps `now()` at transaction start) are still inside it. A tick compares
the digest with the one confirmed after the last successful run: equal means nothing new, and the
tick launches nothing. Tables without a cursor are hashed whole (they are small reference tables).
"""

from __future__ import annotations

import json
from dataclasses import asdict, dataclass
from datetime import datetime, timedelta, timezone

import sqlalchemy as sa
from sqlalchemy.dialects.postgresql import aggregate_order_by

from .source import MedusaSource
from ..mapping import MappingSpec

DEFAULT_OVERLAP = timedelta(minutes=5)
PENDING_TIMEOUT = timedelta(minutes=15)  # a launched run that never appears is given up after this


@dataclass(frozen=True)
class Probe:
    """Rows at or after a lower bound: how many, the highest cursor value, and their digest."""

    rows: int
    high: datetime | None
    digest: str


def probe(source: MedusaSource, spec: MappingSpec, lower: datetime | None) -> Probe:
    """Hash the rows of `spec` whose cursor is >= `lower` (soft-deleted ones included): one query."""
    table = source.table(spec.table, spec.schema)
    if spec.cursor:
        parts = [table.c[spec.primary_key], table.c[spec.cursor]]
    else:
        parts = [table.c[c] for c in spec.source_columns]
    if spec.soft_delete:
        parts.append(table.c[spec.soft_delete])
    row_text = sa.func.concat_ws("|", *[sa.cast(p, sa.Text) for p in parts])
    high = sa.func.max(table.c[spec.cursor]) if spec.cursor else sa.null()
    stmt = sa.select(
        sa.func.count(),
        high,
        sa.func.md5(sa.func.coalesce(sa.func.string_agg(row_text, aggregate_order_by(sa.literal(","), table.c[spec.primary_key])), "")),
    )
    if spec.cursor and lower is not None:
        stmt = stmt.where(table.c[spec.cursor] >= lower)
    with source.engine.connect() as conn:
        rows, high_value, digest = conn.execute(stmt).one()
    return Probe(int(rows), high_value, digest)


@dataclass(frozen=True)
class Watermark:
    """What a successful run covered: rows with cursor >= `lower` hashed to `digest`, up to `high`."""

    lower: str | None  # ISO timestamps with microseconds; None: from the beginning
    high: str | None
    digest: str

    @property
    def lower_bound(self) -> datetime | None:
        """`lower` as a datetime."""
        return datetime.fromisoformat(self.lower) if self.lower else None


@dataclass(frozen=True)
class Pending:
    """A launched run, not yet seen to finish, and the watermark it will confirm if it succeeds."""

    launch_id: str
    launched_at: str
    since: str | None
    watermark: Watermark


@dataclass(frozen=True)
class SensorCursor:
    """A sensor's state: the confirmed watermark, and the run in flight (if any)."""

    confirmed: Watermark | None = None
    pending: Pending | None = None

    def to_json(self) -> str:
        """Serialize for Dagster's cursor storage."""
        return json.dumps(asdict(self), sort_keys=True)

    @classmethod
    def from_json(cls, text: str | None) -> "SensorCursor":
        """Parse a stored cursor; an empty or unreadable one starts over (a full upsert, harmless)."""
        if not text:
            return cls()
        try:
            data = json.loads(text)
            confirmed = Watermark(**data["confirmed"]) if data.get("confirmed") else None
            pending = data.get("pending")
            if pending:
                pending = Pending(**{**pending, "watermark": Watermark(**pending["watermark"])})
            return cls(confirmed, pending)
        except (ValueError, TypeError, KeyError, AttributeError):
            return cls()

    def confirm(self) -> "SensorCursor":
        """The pending run succeeded: its watermark becomes the confirmed one."""
        return SensorCursor(self.pending.watermark if self.pending else self.confirmed, None)

    def abandon(self) -> "SensorCursor":
        """The pending run failed or vanished: keep the confirmed watermark, so its rows are covered again."""
        return SensorCursor(self.confirmed, None)


@dataclass(frozen=True)
class Decision:
    """What a tick does: launch a run over rows changed since `since`, or skip, and the cursor to store."""

    launch: bool
    since: datetime | None
    cursor: SensorCursor
    reason: str


def decide(
    cursor: SensorCursor,
    source: MedusaSource,
    spec: MappingSpec,
    *,
    launch_id: str,
    now: datetime | None = None,
    overlap: timedelta = DEFAULT_OVERLAP,
) -> Decision:
    """One tick of change detection for `spec` (call only when no run is pending).

    A tick with nothing new costs one probe query. A launch costs one more: the digest the next
    ticks will compare against, taken over the window that starts `overlap` before the new high mark.
    """
    now = now or datetime.now(timezone.utc)
    confirmed = cursor.confirmed
    lower = confirmed.lower_bound if confirmed else None
    current = probe(source, spec, lower)
    if confirmed is not None and current.digest == confirmed.digest:
        return Decision(False, None, cursor, f"no change since {confirmed.high or 'the last run'}")
    high = current.high or (datetime.fromisoformat(confirmed.high) if confirmed and confirmed.high else None)
    next_lower = high - overlap if (spec.cursor and high is not None) else None
    after = probe(source, spec, next_lower) if next_lower != lower else current
    watermark = Watermark(_iso(next_lower), _iso(high), after.digest)
    pending = Pending(launch_id, now.isoformat(), _iso(lower), watermark)
    what = f"{current.rows} row(s) at or after {lower.isoformat()}" if lower else f"all {current.rows} row(s)"
    return Decision(True, lower, SensorCursor(confirmed, pending), f"changes found: {what}")


def _iso(value: datetime | None) -> str | None:
    return value.isoformat() if value is not None else None
