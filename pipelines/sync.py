"""Idempotent upsert of one content type from Medusa into Strapi, keyed by `medusa_id`.

The same `sync_content_type` serves every caller (CLI, Dagster assets, sensors, backfills); callers
differ only in the window of rows they pass.
"""

from __future__ import annotations

import json
import logging
import time
from concurrent.futures import ThreadPoolExecutor
from contextlib import nullcontext
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, Callable, Iterable

from .extract import FULL, DEFAULT_CHUNK_SIZE, IN_BATCH, MedusaSource, Window
from .locks import ContentTypeLock
from .mapping import MappingSet, MappingSpec
from .preflight import preflight
from .secrets import describe_error, redact
from .strapi import StrapiAuthError, StrapiClient, StrapiError, StrapiUnavailable
from .strapi_schema import field_attribute
from .transform import Link, Record, transform

DEFAULT_CONCURRENCY = 4  # Strapi's write rate stops growing past 4 clients on a 2-core machine
MAX_REPORTED_FAILURES = 50
MAX_SAMPLES = 5

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
    samples: dict[str, list[str]] = field(default_factory=dict)  # dry runs: first medusa_ids per action

    def sample(self, action: str, medusa_id: str) -> None:
        """Remember one of the first ids a dry run would create, update or delete."""
        ids = self.samples.setdefault(action, [])
        if len(ids) < MAX_SAMPLES:
            ids.append(medusa_id)

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
    recount: bool = True  # False for the second write of an entry already counted in this run
    action: str = ""  # "create", "update" or "delete"; derived from document_id when empty

    def __post_init__(self) -> None:
        if not self.action:
            self.action = "update" if self.document_id else "create"


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
        dry_run: bool = False,
        allow_empty_source: bool = False,
    ):
        self.spec = spec
        self.mappings = mappings
        self.source = source
        self.client = client
        self.chunk_size = chunk_size
        self.concurrency = concurrency
        self.log = log
        self.dry_run = dry_run
        self.allow_empty_source = allow_empty_source
        self.result = SyncResult(spec.content_type)
        self._target_ids: dict[str, dict[str, str]] = {}  # target type -> medusa_id -> documentId
        self._relations = {rel.attribute: rel.target for rel in spec.relations}
        self._json_attributes: set[str] | None = None  # found on first use (needs the reflected table)
        self._deferred: list[tuple[Record, list[str]]] = []  # self-relations left for the second pass
        self._counted: set[str] = set()  # medusa_ids already counted as created or updated in this run
        self._live: set[str] = set()  # medusa_ids of live Medusa rows seen in this run (for reconcile)
        self._failed_keys: set[str] = set()  # source keys of rows that failed to convert: their entries stay

    def run(self, window: Window = FULL, *, delete_missing: bool = False) -> SyncResult:
        """Sync the rows of the window; returns the counts (row failures are counted, not raised).

        Soft-deleted rows in the window (see `Window.include_deleted`) have their entries deleted.
        `delete_missing` (full window only) makes it a reconcile: entries whose medusa_id is not a live
        Medusa row are deleted too; entries without a medusa_id are never touched.

        The content type's lock (`locks.ContentTypeLock`) is held shared while rows are read and
        written, and exclusively while a reconcile deletes; a dry run takes none.
        """
        if delete_missing and not window.is_full:
            raise ValueError("delete_missing needs the full window: a partial window cannot tell what is gone")
        started = time.monotonic()
        self.client.check_access(self.spec.plural)
        lock = ContentTypeLock(self.source.engine, self.spec.content_type, log=self.log)
        with ThreadPoolExecutor(max_workers=self.concurrency, thread_name_prefix="strapi-write") as pool:
            with nullcontext() if self.dry_run else lock.shared():
                for rows in self.source.iter_chunks(self.spec, window, self.chunk_size):
                    self._sync_chunk(rows, pool)
                    self.result.seconds = time.monotonic() - started
                    self.log.info("so far: %s", self.result.summary())
                if self._deferred:
                    self._link_deferred(pool)
            if delete_missing:
                with nullcontext() if self.dry_run else lock.exclusive():
                    self._delete_missing(pool)
        self.result.seconds = time.monotonic() - started
        return self.result

    def _sync_chunk(self, rows: list[dict[str, Any]], pool: ThreadPoolExecutor) -> None:
        records = transform(rows, self.spec)
        self.result.read += len(records)
        self._live.update(r.medusa_id for r in records if not r.deleted)
        for record in records:
            if record.error and not record.deleted:
                self._failed_keys.add(str(record.key))
                self.result.record_failure(RowFailure(record.medusa_id, "convert", record.error))
        gone = [r for r in records if r.deleted]
        records = [r for r in records if not r.error and not r.deleted]
        self._attach_links(records)
        existing = self._index([r.medusa_id for r in records + gone])
        self._resolve_targets(records)
        writes = []
        for record in records:
            try:
                write = self._plan(record, existing.get(record.medusa_id))
            except Exception as exc:  # noqa: BLE001 - one row's surprise must not stop the run
                self.result.record_failure(RowFailure(record.medusa_id, "plan", describe_error(exc)))
                continue
            if write is not None:
                writes.append(write)
        for record in gone:
            if record.medusa_id in existing:
                writes.append(_Write(record, {}, existing[record.medusa_id]["documentId"], action="delete"))
            else:
                self.result.unchanged += 1
        self._count(pool.map(self._write, writes))

    def _delete_missing(self, pool: ThreadPoolExecutor) -> None:
        """Delete entries whose medusa_id is no live Medusa row (hard deletes, or soft deletes missed).

        The candidates (entries not seen live during this run) are re-checked against Medusa now: a row
        created or revived while the run went on, and synced by another run, is live and stays.
        """
        entries = list(self.client.iter_entries(
            self.spec.plural, fields=["medusa_id"], filters=[("filters[medusa_id][$notNull]", "true")]
        ))
        candidates = [
            e for e in entries
            if e.get("medusa_id") and e["medusa_id"] not in self._live
            and self.spec.source_key(e["medusa_id"]) not in self._failed_keys
        ]
        live_now, failing_now = self._live_now([e["medusa_id"] for e in candidates])
        orphans = [
            e for e in candidates
            if e["medusa_id"] not in live_now and self.spec.source_key(e["medusa_id"]) not in failing_now
        ]
        if orphans and not self._live and not self.allow_empty_source and self.source.count(self.spec) == 0:
            # An empty source is far more often a wrong database URL than a catalog deleted on purpose.
            self.result.record_failure(RowFailure(
                "*", "delete", f"refusing to delete all {len(orphans)} entries: Medusa's {self.spec.table} has no live "
                "row (wrong database?); allow it with allow_empty_source / --allow-empty-source",
            ))
            return
        writes = [_Write(Record(e["medusa_id"]), {}, e["documentId"], action="delete") for e in orphans]
        self._count(pool.map(self._write, writes))

    def _live_now(self, medusa_ids: list[str]) -> tuple[set[str], set[str]]:
        """Which of `medusa_ids` are live in Medusa at this moment, and the source keys whose rows fail."""
        keys = sorted({self.spec.source_key(mid) for mid in medusa_ids})
        live: set[str] = set()
        failing: set[str] = set()
        for start in range(0, len(keys), IN_BATCH):
            window = Window.of_keys(keys[start:start + IN_BATCH])
            for rows in self.source.iter_chunks(self.spec, window, self.chunk_size):
                for record in transform(rows, self.spec):
                    live.add(record.medusa_id)
                    if record.error:
                        failing.add(str(record.key))
        return live, failing

    def _index(self, medusa_ids: list[str]) -> dict[str, dict[str, Any]]:
        """Existing entries with the values the sync compares (mapped fields, relation targets' medusa_id)."""
        return self.client.find_by_medusa_ids(
            self.spec.plural,
            medusa_ids,
            fields=["medusa_id", *self.spec.fields],
            populate={rel.attribute: ["medusa_id"] for rel in self.spec.relations},
        )

    def _count(self, outcomes: Iterable[str | RowFailure | None]) -> None:
        for outcome in outcomes:
            if outcome is None:
                continue
            if isinstance(outcome, RowFailure):
                self.result.record_failure(outcome)
            else:
                setattr(self.result, outcome, getattr(self.result, outcome) + 1)

    def _attach_links(self, records: list[Record]) -> None:
        """Relation targets by Medusa key; targets that are soft-deleted or gone count as no target."""
        for rel in self.spec.relations:
            target = self.mappings.get(rel.target)
            if rel.column:
                live = self.source.live_keys(target, {r.links[rel.attribute] for r in records})
                for r in records:
                    if r.links[rel.attribute] not in live:
                        r.links[rel.attribute] = None
            else:
                linked = self.source.through_keys(self.spec, rel, target, [r.key for r in records])
                for r in records:
                    keys = linked.get(str(r.key), [])
                    r.links[rel.attribute] = (keys[0] if keys else None) if rel.to_one else keys

    def _resolve_targets(self, records: list[Record]) -> None:
        for rel in self.spec.relations:
            target = self.mappings.get(rel.target)
            known = self._target_ids.setdefault(rel.target, {})
            wanted = {mid for r in records for mid in _ids(r.links[rel.attribute])} - set(known)
            if wanted:
                found = self.client.find_by_medusa_ids(target.plural, wanted)
                known.update({mid: entry["documentId"] for mid, entry in found.items()})

    def _plan(self, record: Record, current: dict[str, Any] | None) -> _Write | None:
        missing, deferred = [], []
        for attr, link in record.links.items():
            target = self._relations[attr]
            unresolved = [mid for mid in _ids(link) if mid not in self._target_ids[target]]
            if unresolved and target == self.spec.content_type:
                deferred.append(attr)  # a self-relation: the target may be written later in this run
            elif unresolved:
                missing.append(_not_in_strapi(attr, target, unresolved))
        if missing and not self.dry_run:  # a dry run assumes targets it would create earlier in the plan
            self.result.record_failure(RowFailure(record.medusa_id, "resolve", "; ".join(missing)))
            return None
        if deferred:
            self._deferred.append((record, deferred))
        links = {k: v for k, v in record.links.items() if k not in deferred}
        if current is None:
            self._counted.add(record.medusa_id)
            return _Write(record, {"medusa_id": record.medusa_id, **self._data(record.attributes, links)}, None)
        attributes = {k: v for k, v in record.attributes.items() if not values_equal(v, self._current(k, current))}
        links = {k: v for k, v in links.items() if _differs(v, current.get(k))}
        if attributes or links:
            self._counted.add(record.medusa_id)
            return _Write(record, self._data(attributes, links), current["documentId"])
        if not deferred:
            self.result.unchanged += 1
        return None

    def _data(self, attributes: dict[str, Any], links: dict[str, Link]) -> dict[str, Any]:
        """Attributes plus relations as the target entries' documentIds (None disconnects)."""
        data = dict(attributes)
        for attr in self._json_attrs() & data.keys():
            if isinstance(data[attr], str):
                # Strapi passes a string to a json column as already-encoded JSON text: encode it once.
                data[attr] = json.dumps(data[attr], ensure_ascii=False)
        for attr, link in links.items():
            known = self._target_ids[self._relations[attr]]
            resolve = (lambda mid: known.get(mid, mid)) if self.dry_run else known.__getitem__
            data[attr] = [resolve(mid) for mid in link] if isinstance(link, list) else None if link is None else resolve(link)
        return data

    def _current(self, attr: str, current: dict[str, Any]) -> Any:
        """An entry's value as comparable to ours: Strapi reads a JSON string scalar back as its JSON text."""
        value = current.get(attr)
        if isinstance(value, str) and attr in self._json_attrs():
            try:
                return json.loads(value)
            except ValueError:
                return value
        return value

    def _json_attrs(self) -> set[str]:
        if self._json_attributes is None:
            table = self.source.table(self.spec.table, self.spec.schema)
            self._json_attributes = {
                name for name, f in self.spec.fields.items() if field_attribute(self.spec, f, table)["type"] == "json"
            }
        return self._json_attributes

    def _link_deferred(self, pool: ThreadPoolExecutor) -> None:
        """Second pass for self-relations whose targets were written later in the same run."""
        pending, self._deferred = self._deferred, []
        records = [record for record, _ in pending]
        self._resolve_targets(records)
        existing = self._index([r.medusa_id for r in records])
        writes = []
        for record, attrs in pending:
            current = existing.get(record.medusa_id)
            if current is None:
                continue  # its create failed, and was counted then
            known = self._target_ids[self.spec.content_type]
            unresolved = [mid for attr in attrs for mid in _ids(record.links[attr]) if mid not in known]
            if unresolved:
                message = _not_in_strapi(attrs[0], self.spec.content_type, unresolved)
                self.result.record_failure(RowFailure(record.medusa_id, "resolve", message))
                continue
            changed = {a: record.links[a] for a in attrs if _differs(record.links[a], current.get(a))}
            first_write = record.medusa_id not in self._counted
            if changed:
                writes.append(_Write(record, self._data({}, changed), current["documentId"], recount=first_write))
            elif first_write:
                self.result.unchanged += 1
        self._count(pool.map(self._write, writes))

    def _write(self, write: _Write) -> str | RowFailure | None:
        """Send one create, update or delete; returns the counter to bump, or the failure."""
        counter = {"create": "created", "update": "updated", "delete": "deleted"}[write.action]
        if self.dry_run:
            self.result.sample(write.action, write.record.medusa_id)
            return counter if write.recount else None
        plural = self.spec.plural
        try:
            if write.action == "delete":
                self.client.delete(plural, write.document_id)
                return counter
            if write.action == "update":
                self.client.update(plural, write.document_id, write.data)
                return counter if write.recount else None
            try:
                self.client.create(plural, write.data)
                return counter
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
        except StrapiAuthError:
            raise
        except StrapiError as exc:
            return RowFailure(write.record.medusa_id, write.action, f"{exc.status}: {redact(exc.message)}")
        except StrapiUnavailable:
            raise
        except Exception as exc:  # noqa: BLE001 - e.g. a value the JSON encoder refuses: this row fails, not the run
            return RowFailure(write.record.medusa_id, write.action, describe_error(exc))


def _ids(link: Link) -> list[str]:
    return [] if link is None else [link] if isinstance(link, str) else link


def _not_in_strapi(attribute: str, target: str, medusa_ids: list[str]) -> str:
    more = f" and {len(medusa_ids) - 5} more" if len(medusa_ids) > 5 else ""
    return f"{attribute} -> {target} {', '.join(map(repr, medusa_ids[:5]))}{more} is not in Strapi"


def _differs(desired: Link, current: Any) -> bool:
    """Whether Strapi's populated relation (dict, list of dicts or None) differs from the desired targets."""
    if isinstance(desired, list):
        return sorted(desired) != sorted(e["medusa_id"] for e in current or [])
    return desired != (current.get("medusa_id") if isinstance(current, dict) else None)


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
    delete_missing: bool = False,
    on_result: Callable[[SyncResult], None] | None = None,
    **options: Any,
) -> list[SyncResult]:
    """Sync the mapped content types (or `only` those) in dependency order; returns one result each.

    Every mapping is checked first, as `validate` does (MappingErrors, before anything is written).
    """
    selected = set(only) if only else None
    if selected:
        for name in selected:
            mappings.get(name)  # KeyError naming the known types
    preflight(mappings, source, client)  # every mapping, as `validate` checks them, before the first write
    results = []
    for spec in mappings:
        if selected and spec.content_type not in selected:
            continue
        result = ContentTypeSync(spec, mappings, source, client, **options).run(window, delete_missing=delete_missing)
        results.append(result)
        if on_result:
            on_result(result)
    return results
