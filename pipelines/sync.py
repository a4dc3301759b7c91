"""Idempotent upsert of one content type from Medusa into Strapi, keyed by `medusa_id`.

The same `sync_content_type` serves every caller (CLI, Dagster assets, sensors, backfills); callers
differ only in the window of rows they pass.
"""

from __future__ import annotations

import logging
import time
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, Callable, Iterable

from .extract import FULL, DEFAULT_CHUNK_SIZE, MedusaSource, Window
from .mapping import MappingSet, MappingSpec
from .strapi import StrapiClient, StrapiError
from .transform import Record, transform

DEFAULT_CONCURRENCY = 4  # Strapi's write rate stops growing past 4 clients on a 2-core machine
MAX_REPORTED_FAILURES = 50

logger = logging.getLogger(__name__)


@dataclass
class RowFailure:
    """A row that could not be written, with Strapi's (or the resolver's) reason."""

    medusa_id: str
    action: str
    message: str


@dataclass
class SyncResult:
    """Counts of one content type's run."""

    content_type: str
    read: int = 0
    created: int = 0
    updated: int = 0
    unchanged: int = 0
    deleted: int = 0
    failed: int = 0
    seconds: float = 0.0
    failures: list[RowFailure] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        """True when no row failed."""
        return self.failed == 0

    @property
    def writes(self) -> int:
        """Writes sent to Strapi (creates, updates, deletes)."""
        return self.created + self.updated + self.deleted

    def counts(self) -> dict[str, int]:
        """The figures every run records."""
        return {k: getattr(self, k) for k in ("read", "created", "updated", "unchanged", "deleted", "failed")}

    def record_failure(self, failure: RowFailure) -> None:
        """Count a failed row, keeping the first few for the report."""
        self.failed += 1
        if len(self.failures) < MAX_REPORTED_FAILURES:
            self.failures.append(failure)

    def summary(self) -> str:
        """One line: the counts and the rate."""
        rate = self.read / self.seconds if self.seconds else 0.0
        counts = " ".join(f"{k}={v}" for k, v in self.counts().items())
        return f"{self.content_type}: {counts} in {self.seconds:.1f}s ({rate:.0f} rows/s)"


@dataclass
class _Write:
    record: Record
    data: dict[str, Any]
    document_id: str | None  # None: create


class ContentTypeSync:
    """One run over one content type: diff a window of Medusa rows against Strapi and write the difference."""

    def __init__(
        self,
        spec: MappingSpec,
        mappings: MappingSet,
        source: MedusaSource,
        client: StrapiClient,
        *,
        chunk_size: int = DEFAULT_CHUNK_SIZE,
        concurrency: int = DEFAULT_CONCURRENCY,
        log: logging.Logger | Any = logger,
    ):
        self.spec = spec
        self.mappings = mappings
        self.source = source
        self.client = client
        self.chunk_size = chunk_size
        self.concurrency = concurrency
        self.log = log
        self.result = SyncResult(spec.content_type)
        self._target_ids: dict[str, dict[str, str]] = {}  # target type -> medusa_id -> documentId
        self._relations = {rel.attribute: rel.target for rel in spec.relations}

    def run(self, window: Window = FULL) -> SyncResult:
        """Sync every live row of the window; returns the counts (row failures are counted, not raised)."""
        started = time.monotonic()
        self.client.check_access(self.spec.plural)
        with ThreadPoolExecutor(max_workers=self.concurrency, thread_name_prefix="strapi-write") as pool:
            for rows in self.source.iter_chunks(self.spec, window, self.chunk_size):
                self._sync_chunk(rows, pool)
                self.result.seconds = time.monotonic() - started
                self.log.info("so far: %s", self.result.summary())
        self.result.seconds = time.monotonic() - started
        return self.result

    def _sync_chunk(self, rows: list[dict[str, Any]], pool: ThreadPoolExecutor) -> None:
        records = transform(rows, self.spec)
        self.result.read += len(records)
        existing = self.client.find_by_medusa_ids(
            self.spec.plural,
            [r.medusa_id for r in records],
            fields=["medusa_id", *self.spec.fields],
            populate={rel.attribute: ["medusa_id"] for rel in self.spec.relations},
        )
        self._resolve_targets(records)
        writes = []
        for record in records:
            write = self._plan(record, existing.get(record.medusa_id))
            if write is not None:
                writes.append(write)
        for outcome in pool.map(self._write, writes):
            if isinstance(outcome, RowFailure):
                self.result.record_failure(outcome)
            else:
                setattr(self.result, outcome, getattr(self.result, outcome) + 1)

    def _resolve_targets(self, records: list[Record]) -> None:
        for rel in self.spec.relations:
            target = self.mappings.get(rel.target)
            known = self._target_ids.setdefault(rel.target, {})
            wanted = {r.links[rel.attribute] for r in records} - {None} - set(known)
            if wanted:
                found = self.client.find_by_medusa_ids(target.plural, wanted)
                known.update({mid: entry["documentId"] for mid, entry in found.items()})

    def _plan(self, record: Record, current: dict[str, Any] | None) -> _Write | None:
        missing = [
            f"{attr} -> {self._relations[attr]} {target!r} is not in Strapi"
            for attr, target in record.links.items()
            if target is not None and target not in self._target_ids[self._relations[attr]]
        ]
        if missing:
            self.result.record_failure(RowFailure(record.medusa_id, "resolve", "; ".join(missing)))
            return None
        if current is None:
            return _Write(record, {"medusa_id": record.medusa_id, **self._data(record, record.links)}, None)
        attributes = {k: v for k, v in record.attributes.items() if not values_equal(v, current.get(k))}
        links = {k: v for k, v in record.links.items() if v != _related_medusa_id(current.get(k))}
        if not attributes and not links:
            self.result.unchanged += 1
            return None
        return _Write(record, self._data(record, links, attributes), current["documentId"])

    def _data(self, record: Record, links: dict[str, str | None], attributes: dict[str, Any] | None = None) -> dict[str, Any]:
        """Attributes plus relations as the target entries' documentIds (None disconnects)."""
        data = dict(record.attributes if attributes is None else attributes)
        for attr, target in links.items():
            data[attr] = None if target is None else self._target_ids[self._relations[attr]][target]
        return data

    def _write(self, write: _Write) -> str | RowFailure:
        """Send one create or update; returns the counter to bump, or the failure."""
        plural = self.spec.plural
        try:
            if write.document_id is not None:
                self.client.update(plural, write.document_id, write.data)
                return "updated"
            try:
                self.client.create(plural, write.data)
                return "created"
            except StrapiError as exc:
                if not exc.is_unique_violation:
                    raise
                # Another writer created it first: update that entry instead of making a second one.
                found = self.client.find_by_medusa_ids(plural, [write.record.medusa_id])
                if write.record.medusa_id not in found:
                    raise
                data = {k: v for k, v in write.data.items() if k != "medusa_id"}
                self.client.update(plural, found[write.record.medusa_id]["documentId"], data)
                return "updated"
        except StrapiError as exc:
            if exc.status in (401, 403):
                raise
            action = "update" if write.document_id else "create"
            return RowFailure(write.record.medusa_id, action, f"{exc.status}: {exc.message}")


def _related_medusa_id(related: Any) -> str | None:
    return related.get("medusa_id") if isinstance(related, dict) else None


def values_equal(desired: Any, current: Any) -> bool:
    """Compare a value we would write with the value Strapi holds, the way Strapi stores it.

    Numbers compare by value (10 == 10.0, Decimal strings), JSON by parsed structure (key order
    ignored), datetimes at Strapi's millisecond precision.
    """
    if desired is None or current is None:
        return desired is None and current is None
    if isinstance(desired, bool) or isinstance(current, bool):
        return desired is current or desired == current and type(desired) is type(current)
    if isinstance(desired, (int, float)) and isinstance(current, (int, float, str)):
        try:
            return float(desired) == float(current)
        except ValueError:
            return False
    if isinstance(desired, str) and isinstance(current, str):
        return desired == current or _same_instant(desired, current)
    if isinstance(desired, dict) and isinstance(current, dict):
        return desired.keys() == current.keys() and all(values_equal(desired[k], current[k]) for k in desired)
    if isinstance(desired, list) and isinstance(current, list):
        return len(desired) == len(current) and all(values_equal(a, b) for a, b in zip(desired, current))
    return desired == current


def _same_instant(a: str, b: str) -> bool:
    if len(a) < 19 or len(b) < 19 or a[4] != "-" or b[4] != "-" or "T" not in a[:11] or "T" not in b[:11]:
        return False
    try:
        x = datetime.fromisoformat(a.replace("Z", "+00:00"))
        y = datetime.fromisoformat(b.replace("Z", "+00:00"))
    except ValueError:
        return False
    if (x.tzinfo is None) != (y.tzinfo is None):
        return False
    return x.replace(microsecond=x.microsecond // 1000 * 1000) == y.replace(microsecond=y.microsecond // 1000 * 1000)


def sync_all(
    mappings: MappingSet,
    source: MedusaSource,
    client: StrapiClient,
    *,
    only: Iterable[str] | None = None,
    window: Window = FULL,
    on_result: Callable[[SyncResult], None] | None = None,
    **options: Any,
) -> list[SyncResult]:
    """Sync the mapped content types (or `only` those) in dependency order; returns one result each."""
    selected = set(only) if only else None
    if selected:
        for name in selected:
            mappings.get(name)  # KeyError naming the known types
    results = []
    for spec in mappings:
        if selected and spec.content_type not in selected:
            continue
        result = ContentTypeSync(spec, mappings, source, client, **options).run(window)
        results.append(result)
        if on_result:
            on_result(result)
    return results
