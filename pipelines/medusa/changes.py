"""Change detection for incremental runs: a keyset watermark on (cursor, primary key) plus a digest.

A probe hashes, in one query, the (key, cursor, soft-deleted) of every row whose cursor is at or after
a lower bound. The lower bound trails the high-water mark by an overlap, so rows whose transaction
committed late (Postgres stamps `now()` at transaction start) are still inside it. A tick compares
the digest with the one confirmed after the last successful run: equal means nothing new, and the
tick launches nothing. Tables without a cursor are hashed whole (they are small reference tables).

The tables a mapping's paths go through (link tables, prices, rules, inventory levels) are probed in
the same query: timestamped ones by the rows that changed since the lower bound, untimed ones whole, as
256 bucket digests, so that a run re-reads only the source rows behind the buckets that changed.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from typing import Any
from datetime import datetime, timedelta

import sqlalchemy as sa
from sqlalchemy.dialects.postgresql import aggregate_order_by

from ..mapping import MappingSpec
from .query import Buckets, SpecQuery, bucket_of
from .source import MedusaSource

DEFAULT_OVERLAP = timedelta(minutes=5)


@dataclass(frozen=True)
class Probe:
    """Rows at or after a lower bound: how many, the highest timestamp, their digest, and the bucket
    digests of untimed link tables (`table.column` -> bucket -> short digest)."""

    rows: int
    high: datetime | None
    digest: str
    buckets: dict[str, dict[str, str]] = field(default_factory=dict)


def _row_text(table: sa.FromClause) -> sa.ColumnElement:
    return sa.func.concat_ws("|", *[sa.cast(c, sa.Text) for c in table.c])


def _digest(text: sa.ColumnElement, order: sa.ColumnElement) -> sa.ColumnElement:
    return sa.func.md5(sa.func.coalesce(sa.func.string_agg(text, aggregate_order_by(sa.literal(","), order)), ""))


def probe(source: MedusaSource, spec: MappingSpec, lower: datetime | None) -> Probe:
    """One query: hash the rows of `spec` whose cursor is >= `lower` (soft-deleted ones included), the rows
    of the timestamped tables its paths go through that changed since `lower`, and the whole of its
    untimed link tables, by bucket."""
    query = source.query(spec)
    table = query.source
    if spec.cursor:
        parts = [table.c[spec.primary_key], table.c[spec.cursor]]
    else:
        parts = [table.c[c] for c in spec.source_columns]
    if spec.soft_delete:
        parts.append(table.c[spec.soft_delete])
    row_text = sa.func.concat_ws("|", *[sa.cast(p, sa.Text) for p in parts])
    own = sa.select(
        sa.func.count().label("rows"),
        (sa.func.max(table.c[spec.cursor]) if spec.cursor else sa.null()).label("high"),
        _digest(row_text, table.c[spec.primary_key]).label("digest"),
    ).select_from(table)
    if spec.cursor and lower is not None:
        own = own.where(table.c[spec.cursor] >= lower)
    columns = [own.subquery()]
    highs, digests = [columns[0].c.high], [columns[0].c.digest]
    for name, hop_table, stamps in _stamped_tables(query):
        stamp = sa.func.greatest(*[hop_table.c[c] for c in stamps])
        part = sa.select(sa.func.max(stamp).label("high"), _digest(_row_text(hop_table), _row_text(hop_table)).label("digest"))
        part = part.select_from(hop_table)
        if lower is not None:
            part = part.where(stamp >= lower)
        sub = part.subquery(f"hop_{len(columns)}")
        columns.append(sub)
        highs.append(sub.c.high)
        digests.append(sub.c.digest)
    bucket_columns = []
    for name, hop_table, column in _untimed_tables(query):
        bucket = bucket_of(hop_table.c[column]).label("bucket")
        per_bucket = sa.select(bucket, sa.func.left(_digest(_row_text(hop_table), _row_text(hop_table)), 4).label("d")) \
            .select_from(hop_table).group_by(bucket).subquery()
        listing = sa.select(sa.func.string_agg(per_bucket.c.bucket + ":" + per_bucket.c.d,
                                               aggregate_order_by(sa.literal(","), per_bucket.c.bucket)))
        bucket_columns.append((name, listing.scalar_subquery()))
    joined = columns[0]
    for part in columns[1:]:  # one row each: joined side by side
        joined = joined.join(part, sa.true())
    stmt = sa.select(
        columns[0].c.rows,
        sa.func.greatest(*highs) if len(highs) > 1 else highs[0],
        sa.func.md5(sa.func.concat_ws("/", *digests)) if len(digests) > 1 else digests[0],
        *[c for _, c in bucket_columns],
    ).select_from(joined)
    with source.engine.connect() as conn:
        rows, high_value, digest, *listings = conn.execute(stmt).one()
    buckets = {name: dict(item.split(":") for item in (text or "").split(",") if item)
               for (name, _), text in zip(bucket_columns, listings)}
    return Probe(int(rows), high_value, digest, buckets)


def _stamped_tables(query: SpecQuery) -> list[tuple[str, sa.Table, list[str]]]:
    seen: dict[str, tuple[str, sa.Table, list[str]]] = {}
    for path, index, stamps in query.stamped_hops():
        hop = path[index]
        seen.setdefault(hop.table, (hop.table, query.tables(hop.table, query.spec.schema), stamps))
    return list(seen.values())


def _untimed_tables(query: SpecQuery) -> list[tuple[str, sa.Table, str]]:
    seen: dict[str, tuple[str, sa.Table, str]] = {}
    for path, index in query.untimed_hops():
        hop = path[index]
        name = f"{hop.table}.{hop.source}"
        seen.setdefault(name, (name, query.tables(hop.table, query.spec.schema), hop.source))
    return list(seen.values())


@dataclass(frozen=True)
class Watermark:
    """What a successful run covered: rows with cursor >= `lower` hashed to `digest`, up to `high`, and
    the bucket digests of untimed link tables."""

    lower: str | None  # ISO timestamps with microseconds; None: from the beginning
    high: str | None
    digest: str
    buckets: dict[str, dict[str, str]] = field(default_factory=dict)

    @property
    def lower_bound(self) -> datetime | None:
        """`lower` as a datetime."""
        return datetime.fromisoformat(self.lower) if self.lower else None

    def to_dict(self) -> dict[str, Any]:
        """As stored (JSON)."""
        return asdict(self)

    @classmethod
    def from_dict(cls, data: Any) -> "Watermark | None":
        """A stored watermark; None when it is missing or unreadable (then everything is read again, harmlessly)."""
        try:
            return cls(**data) if data else None
        except TypeError:
            return None


def changed_buckets(before: dict[str, dict[str, str]], now: dict[str, dict[str, str]]) -> tuple[Buckets, ...]:
    """Buckets whose digest differs (or that appeared or vanished), per untimed link table."""
    found = []
    for name in sorted(set(before) | set(now)):
        old, new = before.get(name, {}), now.get(name, {})
        ids = tuple(sorted(b for b in set(old) | set(new) if old.get(b) != new.get(b)))
        if ids:
            table, column = name.rsplit(".", 1)
            found.append(Buckets(table, column, ids))
    return tuple(found)


@dataclass(frozen=True)
class Changes:
    """What changed since a recorded watermark, as one probe sees it."""

    since: datetime | None  # the recorded lower bound (None: never synced: everything)
    probe: Probe
    buckets: tuple[Buckets, ...]
    any: bool

    def describe(self) -> str:
        """In words, for tick and run logs."""
        if not self.any:
            return "no change"
        what = f"{self.probe.rows} row(s) changed since {self.since:%Y-%m-%d %H:%M:%S} UTC" if self.since \
            else f"all {self.probe.rows} row(s) (never synced)"
        if self.buckets:
            what += f", {sum(len(b.ids) for b in self.buckets)} changed bucket(s) of untimed links"
        return what


def changes_since(source: MedusaSource, spec: MappingSpec, recorded: Watermark | None) -> Changes:
    """One probe: did anything change since `recorded`? (Everything counts as changed when nothing is recorded.)"""
    since = recorded.lower_bound if recorded else None
    current = probe(source, spec, since)
    if recorded is None:
        return Changes(None, current, (), True)
    buckets = changed_buckets(recorded.buckets, current.buckets)
    return Changes(since, current, buckets, current.digest != recorded.digest or bool(buckets))


def next_watermark(source: MedusaSource, spec: MappingSpec, recorded: Watermark | None, changes: Changes,
                   overlap: timedelta = DEFAULT_OVERLAP) -> Watermark:
    """The watermark to record once a run that starts now succeeds: its lower bound trails the highest
    timestamp seen by `overlap`, so rows whose transaction commits late are read again."""
    high = changes.probe.high or (datetime.fromisoformat(recorded.high) if recorded and recorded.high else None)
    lower = high - overlap if (spec.cursor and high is not None) else None
    after = probe(source, spec, lower) if lower != changes.since else changes.probe
    return Watermark(_iso(lower), _iso(high), after.digest, after.buckets)


def _iso(value: datetime | None) -> str | None:
    return value.isoformat() if value is not None else None
