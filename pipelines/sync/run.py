"""Idempotent upsert of one content type from Medusa into Strapi, keyed by `medusa_id`.

The same `ContentTypeSync` serves every caller (CLI, Dagster assets, sensors, backfills); callers
differ only in the window of rows they pass (`run`), or ask for what changed since the watermark the
last successful run recorded (`run_changes`). It fetches (rows, links, current entries, target
documentIds), asks `plan` what to write, and hands the writes to a pool of `Writer`s. Rows that fail
permanently go to the quarantine; a run without transient failures records its watermark.
"""

from __future__ import annotations

import logging
import threading
import time
from collections import deque
from concurrent.futures import Future, ThreadPoolExecutor
from contextlib import nullcontext
from dataclasses import dataclass, replace
from typing import Any, Callable, Iterable, Iterator, Mapping

from datetime import timedelta

from ..mapping import MappingSet, MappingSpec
from ..media.run import MediaPass
from ..medusa.changes import DEFAULT_OVERLAP, Watermark, changes_since, next_watermark
from ..medusa.locks import ContentTypeLock, WriterSlots
from ..medusa.source import DEFAULT_CHUNK_SIZE, FULL, IN_BATCH, MedusaSource, Window, database_errors
from ..secrets import describe_error
from ..settings import DEFAULT_MAX_WRITERS, MediaSettings, WritePaths
from ..strapi.bulk import BulkClient, BulkUnavailable, WriteMode
from ..strapi.client import StrapiClient
from ..strapi.permissions import check_access
from ..strapi.attributes import field_attribute
from ..validate import preflight
from .bases import MergeBases, now_iso
from .merge import Base, next_base
from .plan import EntryPlan, PlanContext, deletable, link_ids, mass_delete_refusal, plan_deferred_links, plan_entry
from .result import RowFailure, SyncResult
from .state import Quarantine, QuarantinedRow, SyncState
from .collector import fewer_collections
from .transform import Record, transform
from .waiting import ready_to_retry, waits_for_reason
from .keyset import KeySet
from .read_ahead import read_ahead
from .schedule import run_in_dependency_order
from .write import BatchWriter, Write, Writer

Progress = Callable[[int, "int | None"], None]  # (rows read so far, rows in the window when known)

DEFAULT_CONCURRENCY = 4  # Strapi's write rate stops growing past 4 clients on a 2-core machine
DEFAULT_TYPES_AT_ONCE = 2  # content types a sync_all runs at once (as their relations allow)
BULK_CHUNK_SIZE = 1000  # rows per chunk through the plugin: one batch each (see docs/performance.md on memory for why not 2000)
BATCHES_IN_FLIGHT = 2  # chunks whose batch writes go on while the next is read and planned
# Relation targets' documentIds a run keeps between chunks, all target types together: enough for the targets
# chunks share (regions, collections, tags); a product's own images or variants are read with its chunk anyway.
# Entries kept for long pin the allocator's memory among short-lived chunks', so a large cache grows the peak.
TARGET_CACHE_SIZE = 10_000
BASES_RECORDED_AT_ONCE = 1000  # merge bases kept before they are written (two-way types)
DEFAULT_WRITE_PATHS = WritePaths()  # full runs through the bulk plugin where installed, incremental runs over REST

logger = logging.getLogger(__name__)


@dataclass
class LookedUp:
    """A chunk of records with what Strapi holds for them."""

    records: list[Record]
    existing: dict[str, dict[str, Any]]  # medusa_id -> the entry, as `_index` reads it
    targets: dict[str, dict[str, str]]  # target type -> medusa_id -> documentId, for the links of `records`
    bases: dict[str, Base] | None = None  # medusa_id -> merge base of the existing entries (two-way types only)


def extracted_records(source: MedusaSource, spec: MappingSpec, window: Window = FULL,
                      chunk_size: int = DEFAULT_CHUNK_SIZE) -> Iterator[list[Record]]:
    """The window's rows as Records, a chunk at a time, in two stages ahead of the caller: one thread
    fetches the next chunk (waiting on Postgres, so the two overlap) while another transforms the last."""
    rows = read_ahead(source.iter_chunks(spec, window, chunk_size), name=f"read-{spec.content_type}")
    return read_ahead((transform(chunk, spec) for chunk in rows), name=f"transform-{spec.content_type}")


class ContentTypeSync:
    """One run over one content type: diff a window of Medusa rows against Strapi and write the difference."""

    def __init__(
        self,
        spec: MappingSpec,
        mappings: MappingSet,
        source: MedusaSource,
        client: StrapiClient,
        *,
        chunk_size: int | None = None,
        concurrency: int = DEFAULT_CONCURRENCY,
        log: logging.Logger | Any = logger,
        dry_run: bool = False,
        allow_mass_delete: bool = False,
        overlap: timedelta = DEFAULT_OVERLAP,
        progress: Progress | None = None,
        recorded_by: str = "medusa-strapi",
        write_paths: WritePaths | None = None,
        media: MediaSettings | None = None,
        max_writers: int = DEFAULT_MAX_WRITERS,
        rest_slots: threading.Semaphore | None = None,
    ):
        self.spec = spec
        self.mappings = mappings
        self.source = source
        self.client = client
        self._chunk_size = chunk_size
        self.chunk_size = chunk_size or DEFAULT_CHUNK_SIZE  # set again once the write path is chosen
        self.concurrency = concurrency
        self.log = log
        self.dry_run = dry_run
        self.allow_mass_delete = allow_mass_delete
        self.overlap = overlap
        self.progress = progress
        self.recorded_by = recorded_by
        self.state = SyncState(client, source.identity)
        self.quarantine = Quarantine(client, source.identity)
        self.result = SyncResult(spec.content_type)
        # REST writes in flight: `concurrency`, or fewer when sync_all's types share `rest_slots`
        self.writer = Writer(client, spec.plural, self.result, dry_run=dry_run, slots=rest_slots)
        self.write_paths = write_paths or DEFAULT_WRITE_PATHS
        self.batch_writer: BatchWriter | None = None  # set when this run writes through the bulk plugin
        self.media = media or MediaSettings()  # off unless hosts are allowed
        self.max_writers = max_writers  # runs writing to this Strapi at once, across processes (WriterSlots)
        self._media_ids: list[str] | None = None  # a partial run's medusa_ids, for its media pass (None: all)
        self._in_flight: deque[Future] = deque()  # earlier chunks' batch writes, still being sent
        self._target_ids: dict[str, dict[str, str]] = {}  # target type -> medusa_id -> documentId (lookup stage's cache)
        self._context: PlanContext | None = None  # built on first use (needs the reflected table)
        self._deferred: list[tuple[Record, list[str]]] = []  # self-relations left for the second pass
        # medusa_ids already counted as created or updated in this run (only kept for self-relations)
        self._counted: set[str] = set()
        self._self_related = any(rel.target == spec.content_type for rel in spec.relations)
        self._live = KeySet()  # medusa_ids of live Medusa rows seen in this run, 8 bytes each (a reconcile only)
        self._track_live = False  # set by `_execute`: a reconcile
        self._failed_keys: set[str] = set()  # source keys of rows that failed to convert: their entries stay
        self._seen_keys: set[str] = set()  # source keys of quarantined rows this run read again
        self._failed_ids: set[str] = set()  # medusa_ids that failed in this run, either way
        self._quarantined: dict[str, QuarantinedRow] = {}  # this type's quarantine when the run started
        self._quarantined_keys: set[str] = set()  # their source keys
        self._target_quarantine: dict[str, set[str]] | None = None  # other types' quarantined ids, on demand
        # two-way types: the merge bases, and those due to be recorded (their writes went through)
        self._bases = MergeBases(client, spec.content_type) if spec.write_back else None
        self._bases_due: dict[str, Base] = {}

    def run(self, window: Window = FULL, *, delete_missing: bool = False) -> SyncResult:
        """Sync the rows of the window; returns the counts (row failures are counted, not raised).

        Rows of the window that are not live (see `Window.include_deleted`) have their entries deleted.
        `delete_missing` (full window only) makes it a reconcile: entries whose medusa_id is not a live
        Medusa row are deleted too; entries without a medusa_id are never touched. A full run that ends
        without transient failures records its watermark, so the sensors know everything up to its
        start is in Strapi.

        The content type's lock (`locks.ContentTypeLock`) is held shared while rows are read and
        written, and exclusively while a reconcile deletes; a dry run takes none.
        """
        if delete_missing and not window.is_full:
            raise ValueError("delete_missing needs the full window: a partial window cannot tell what is gone")
        mark = None
        with database_errors(self.spec.content_type):
            if window.is_full and not self.dry_run:
                recorded = self.state.get(self.spec.content_type)
                mark = next_watermark(self.source, self.spec, recorded, changes_since(self.source, self.spec, recorded), self.overlap)
            total = self.source.count(self.spec) if window.is_full and self.progress else None
        self._choose_write_path(self.write_paths.full)
        return self._execute(window, delete_missing=delete_missing, mark=mark, total=total)

    def run_changes(self) -> SyncResult:
        """Sync what changed since the watermark the last successful run recorded (everything the first
        time), then record the new one. A run with nothing to do reads nothing and writes nothing."""
        recorded = self.state.get(self.spec.content_type)
        with database_errors(self.spec.content_type):
            changes = changes_since(self.source, self.spec, recorded)
        self.log.info(f"{self.spec.content_type}: {changes.describe()}")
        held = [] if self.dry_run else self.quarantine.rows()
        ready = ready_to_retry(held, self.spec.content_type)
        if not self.dry_run:  # the same read answers which relation targets are quarantined (`_unresolved`)
            self._target_quarantine = {}
            for row in held:
                self._target_quarantine.setdefault(row.content_type, set()).add(row.medusa_id)
        if not changes.any and not ready:
            self.result.window = f"nothing changed since {changes.since:%Y-%m-%d %H:%M:%S} UTC" if changes.since else "nothing to read"
            return self.result
        self._choose_write_path(self.write_paths.changes)
        if changes.any:
            with database_errors(self.spec.content_type):
                mark = None if self.dry_run else next_watermark(self.source, self.spec, recorded, changes, self.overlap)
            self._execute(Window.changes_since(changes.since, changes.buckets), mark=mark)
        keys = {self.spec.source_key(row.medusa_id) for row in ready} - self._seen_keys
        if keys:  # rows that waited for a quarantined target no longer there: read again, unchanged themselves
            self.log.info(f"{self.spec.content_type}: {len(keys)} row(s) waited in the quarantine for rows that left it")
            before = self.result.window if changes.any else None
            self._execute(Window.of_keys(keys))
            waited = f"{len(keys)} row(s) that waited for quarantined rows"
            self.result.window = f"{before}, and {waited}" if before else waited
        return self.result

    def _choose_write_path(self, mode: str) -> None:
        """Write through the bulk-upsert plugin (`bulk`, or `auto` when it is installed and takes this type)
        or over REST; the choice is logged and shown in the result."""
        self.batch_writer = None
        self.result.write_path = "rest"
        self.chunk_size = self._chunk_size or DEFAULT_CHUNK_SIZE
        if self.dry_run or WriteMode(mode) is WriteMode.REST:
            return
        bulk = BulkClient(self.client)
        capability = bulk.capability(self.spec.plural)
        if not capability.installed and WriteMode(mode) is WriteMode.BULK:
            raise BulkUnavailable(f"{self.spec.content_type}: bulk writes were asked for, but {capability.reason} "
                                  "(install strapi-plugin-bulk-upsert, or choose auto or rest)")
        if not capability.writable:
            if capability.installed:
                self.log.info(f"{self.spec.content_type}: written over REST: {capability.reason}")
            return
        self.batch_writer = BatchWriter(bulk, self.writer, self.log)
        self.result.write_path = "bulk"
        self.chunk_size = self._chunk_size or BULK_CHUNK_SIZE

    def _execute(self, window: Window, *, delete_missing: bool = False, mark: Watermark | None = None,
                 total: int | None = None) -> SyncResult:
        with database_errors(self.spec.content_type), fewer_collections():
            return self._execute_unguarded(window, delete_missing=delete_missing, mark=mark, total=total)

    def _execute_unguarded(self, window: Window, *, delete_missing: bool, mark: Watermark | None,
                           total: int | None) -> SyncResult:
        started = time.monotonic()
        self._media_ids = None if window.is_full else []
        self.result.window = window.describe()
        check_access(self.client, self.spec.plural, writes=not self.dry_run)
        if not self.dry_run:
            self._quarantined = {row.medusa_id: row for row in self.quarantine.rows(self.spec.content_type)}
            self._quarantined_keys = {self.spec.source_key(mid) for mid in self._quarantined}
        self._track_live = delete_missing
        lock = ContentTypeLock(self.source.engine, self.spec.content_type, log=self.log)
        slots = WriterSlots(self.source.engine, self.client.base_url, self.max_writers, log=self.log, label=self.spec.content_type)
        if self.progress:
            self.progress(0, total)
        with nullcontext() if self.dry_run else slots.held():  # before the type's lock: see WriterSlots
            self._read_and_write(window, lock, delete_missing=delete_missing, started=started, total=total)
            if not self.dry_run:
                self._settle_quarantine(full=window.is_full)
                if mark is not None and self.result.ok:
                    self.state.record(self.spec.content_type, mark, self.recorded_by)
        self.result.seconds = time.monotonic() - started
        return self.result

    def _read_and_write(self, window: Window, lock: ContentTypeLock, *, delete_missing: bool, started: float,
                        total: int | None) -> None:
        with ThreadPoolExecutor(max_workers=self.concurrency, thread_name_prefix="strapi-write") as pool:
            with nullcontext() if self.dry_run else lock.shared():
                chunks = extracted_records(self.source, self.spec, window, self.chunk_size)
                looked_up = read_ahead(self._looked_up(chunks), name=f"lookup-{self.spec.content_type}")
                for chunk in looked_up:
                    self._sync_chunk(chunk, pool)
                    self.result.seconds = time.monotonic() - started
                    if self.progress:
                        self.progress(self.result.read, total)
                    else:
                        self.log.info(f"so far: {self.result.summary()}")
                self._drain()
                if self._deferred:
                    self._link_deferred(pool)
                    self._drain()
                self._record_bases()
            if delete_missing:
                with nullcontext() if self.dry_run else lock.exclusive():
                    self._delete_missing(pool)
                    self._drain()
        if self.spec.media:
            with nullcontext() if self.dry_run else lock.shared():
                self._media_pass()

    def _settle_quarantine(self, *, full: bool) -> None:
        """Quarantine this run's permanent failures; release rows that loaded, or are gone from Medusa."""
        if self.result.to_quarantine:
            self.quarantine.add(self.spec.content_type, self.result.to_quarantine)
        released = [
            row for mid, row in self._quarantined.items()
            # a full run read every live row: a quarantined row it did not fail either loaded or is gone
            if mid not in self._failed_ids and (full or self.spec.source_key(mid) in self._seen_keys)
        ]
        if released:
            self.quarantine.clear(released)
            self.log.info(f"{self.spec.content_type}: {len(released)} row(s) left the quarantine")

    def _media_pass(self) -> None:
        """Fill the type's media attributes from its URL fields (pipelines.media), where media upload is on (a dry
        run counts what it would try)."""
        if not self.media.enabled:
            names = ", ".join(self.spec.media)
            self.log.warning(f"{self.spec.content_type}: media upload is off (MEDIA_ALLOWED_HOSTS is empty): "
                             f"{names} not filled; set MEDIA_ALLOWED_HOSTS to the hosts the files may come from")
            return
        media = MediaPass(self.spec, self.client, self.media, fail=self._fail, log=self.log)
        self.result.media.update(media.run(self._media_ids, dry_run=self.dry_run))

    def _fail(self, failure: RowFailure) -> None:
        self._failed_ids.add(failure.medusa_id)
        self.result.record_failure(failure)

    def _looked_up(self, chunks: Iterable[list[Record]]) -> Iterator[LookedUp]:
        """Each chunk with what Strapi holds for it (its entries, its relation targets' documentIds): run one
        chunk ahead of planning, in a thread of its own, so the lookups' round trips overlap the writes."""
        for records in chunks:
            readable = [r for r in records if r.deleted or not r.error]
            live = [r for r in readable if not r.deleted]
            existing = self._index([r.medusa_id for r in readable])
            bases = self._bases.read(existing) if self._bases is not None and existing else None
            yield LookedUp(records, existing, self._targets_of(live), bases)

    def _sync_chunk(self, chunk: LookedUp, pool: ThreadPoolExecutor) -> None:
        records, existing = chunk.records, chunk.existing
        self.result.read += len(records)
        if self._quarantined_keys:  # a quarantined row read again: its entries are known now
            read = (self.spec.source_key(r.medusa_id) for r in records)
            self._seen_keys.update(k for k in read if k in self._quarantined_keys)
        if self._track_live:
            self._live.update(r.medusa_id for r in records if not r.deleted)
        if self._media_ids is not None and self.spec.media:
            self._media_ids.extend(r.medusa_id for r in records)
        for record in records:
            if record.error and not record.deleted:
                self._failed_keys.add(str(record.key))
                self._fail(RowFailure(record.medusa_id, "convert", record.error, permanent=True))
        gone = [r for r in records if r.deleted]
        records = [r for r in records if not r.error and not r.deleted]
        context = self._plan_context(chunk.targets, chunk.bases)
        writes = []
        for record in records:
            try:
                write = self._plan(record, existing.get(record.medusa_id), context)
            except Exception as exc:  # noqa: BLE001 - one row's surprise must not stop the run
                self._fail(RowFailure(record.medusa_id, "plan", describe_error(exc), permanent=True))
                continue
            if write is not None:
                writes.append(write)
        for record in gone:
            if record.medusa_id in existing:
                writes.append(Write(record.medusa_id, "delete", {}, existing[record.medusa_id]["documentId"]))
            else:
                self.result.unchanged += 1
        self._write(writes, pool)

    def _write(self, writes: list[Write], pool: ThreadPoolExecutor) -> None:
        """Send a chunk's writes: over REST, 4 at a time; through the plugin, in the background while the
        next chunk is read and planned (up to BATCHES_IN_FLIGHT chunks; `_drain` waits for them and counts them)."""
        if self.batch_writer is not None:
            while len(self._in_flight) >= BATCHES_IN_FLIGHT:
                self._count(self._in_flight.popleft().result())
            self._in_flight.append(pool.submit(lambda: list(zip(writes, self.batch_writer.send_all(writes)))))
        else:
            self._count(zip(writes, pool.map(self.writer.send, writes)))

    def _drain(self) -> None:
        """Wait for the batch writes in flight (raising what stopped them) and count their outcomes."""
        while self._in_flight:
            self._count(self._in_flight.popleft().result())

    def _delete_missing(self, pool: ThreadPoolExecutor) -> None:
        """Delete entries whose medusa_id is no live Medusa row (hard deletes, or soft deletes missed).

        The candidates (entries not seen live during this run) are re-checked against Medusa now: a row
        created or revived while the run went on, and synced by another run, is live and stays.
        """
        synced = 0

        def counted(entries: Iterable[dict[str, Any]]) -> Iterable[dict[str, Any]]:
            nonlocal synced
            for entry in entries:
                synced += 1
                yield entry

        # Streamed: only the candidates are kept, however many entries the type has.
        candidates = deletable(counted(self._synced_entries()), self._live, self._failed_keys, self.spec.source_key)
        live_now, failing_now = self._live_now([e["medusa_id"] for e in candidates])
        orphans = deletable(candidates, live_now, failing_now, self.spec.source_key)
        if orphans and not self.allow_mass_delete:
            live_rows = len(self._live) or self.source.count(self.spec)
            refusal = mass_delete_refusal(len(orphans), synced, live_rows, self.spec.table)
            if refusal:
                self._fail(RowFailure("*", "delete", refusal))
                return
        writes = [Write(e["medusa_id"], "delete", {}, e["documentId"]) for e in orphans]
        self._write(writes, pool)

    def _synced_entries(self) -> Iterator[dict[str, Any]]:
        """Every entry with a medusa_id (documentId and medusa_id only): pages of 20,000 through the
        plugin, else REST pages of 100."""
        if self.batch_writer is not None:
            return self.batch_writer.bulk.keys(self.spec.plural)
        return self.client.iter_entries(self.spec.plural, fields=["medusa_id"], filters=[("filters[medusa_id][$notNull]", "true")])

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
        return self._find(
            self.spec.plural,
            medusa_ids,
            fields=["medusa_id", *self.spec.fields],
            populate={rel.attribute: ["medusa_id"] for rel in self.spec.relations},
        )

    def _find(self, plural: str, medusa_ids: Iterable[str], **selection: Any) -> dict[str, dict[str, Any]]:
        """Entries by medusa_id: one request per few thousand through the plugin, else REST pages of 100."""
        if self.batch_writer is not None:
            return self.batch_writer.bulk.find(plural, medusa_ids, **selection)
        return self.client.find_by_medusa_ids(plural, medusa_ids, **selection)

    def _count(self, outcomes: Iterable[tuple[Write, str | RowFailure | None]]) -> None:
        """Count each write's outcome; the merge base a write carries is due once the write went through."""
        for write, outcome in outcomes:
            if outcome is None:
                continue
            if isinstance(outcome, RowFailure):
                self._fail(outcome)
            else:
                setattr(self.result, outcome, getattr(self.result, outcome) + 1)
                if write.base is not None and not self.dry_run:
                    self._bases_due[write.medusa_id] = write.base
        if len(self._bases_due) >= BASES_RECORDED_AT_ONCE:
            self._record_bases()

    def _record_bases(self) -> None:
        """Record the merge bases due (a bulk write per thousand through the plugin)."""
        due, self._bases_due = self._bases_due, {}
        if due and self._bases is not None:
            self._bases.record(due)

    def _targets_of(self, records: list[Record]) -> dict[str, dict[str, str]]:
        """The documentIds of the entries `records` link to, per target type (those in Strapi): from the run's
        cache, the rest looked up. Only the lookup stage calls it while chunks are planned (the cache is its own)."""
        targets: dict[str, dict[str, str]] = {}
        if sum(len(known) for known in self._target_ids.values()) > TARGET_CACHE_SIZE:
            self._target_ids.clear()  # memory stays flat on a big catalog; this chunk's targets are read again
        for rel in self.spec.relations:
            known = self._target_ids.setdefault(rel.target, {})
            wanted = {mid for r in records for mid in link_ids(r.links.get(rel.attribute))}
            missing = [mid for mid in wanted if mid not in known]
            if missing:
                found = self._find(self.mappings.get(rel.target).plural, missing)
                known.update({mid: entry["documentId"] for mid, entry in found.items()})
            chunk_targets = targets.setdefault(rel.target, {})
            chunk_targets.update({mid: known[mid] for mid in wanted if mid in known})
        return targets

    def _plan(self, record: Record, current: dict[str, Any] | None, context: PlanContext) -> Write | None:
        plan = plan_entry(record, current, context)
        if plan.action == "fail":
            self._fail(self._unresolved(record, plan))
            return None
        if plan.deferred:
            self._deferred.append((record, list(plan.deferred)))
        stored = (context.bases or {}).get(record.medusa_id)
        base = next_base(stored, plan.agreed, at=now_iso()) if plan.agreed else None
        if plan.action == "unchanged":
            if not plan.deferred:
                self.result.unchanged += 1
            if base is not None and not self.dry_run:
                self._bases_due[record.medusa_id] = base  # equal on both sides: the base moves without a write
            return None
        if self._self_related:
            self._counted.add(record.medusa_id)
        return Write(record.medusa_id, plan.action, plan.data, plan.document_id, base=base)

    def _unresolved(self, record: Record, plan: EntryPlan) -> RowFailure:
        """A row whose targets are not in Strapi: transient (they may come), unless a target is itself
        quarantined, when the row waits for it in the quarantine too."""
        if self.dry_run:
            return RowFailure(record.medusa_id, "resolve", plan.reason)
        if self._target_quarantine is None:
            self._target_quarantine = {}
            for row in self.quarantine.rows():
                self._target_quarantine.setdefault(row.content_type, set()).add(row.medusa_id)
        stuck = [(target, mid) for target, ids in plan.missing for mid in ids if mid in self._target_quarantine.get(target, ())]
        if stuck:
            return RowFailure(record.medusa_id, "resolve", waits_for_reason(stuck[:5], plan.reason), permanent=True)
        return RowFailure(record.medusa_id, "resolve", plan.reason)

    def _plan_context(self, targets: Mapping[str, Mapping[str, str]], bases: Mapping[str, Base] | None = None) -> PlanContext:
        """The planner's view of this type, with the targets resolved for the records about to be planned."""
        if self._context is None:
            json_attributes = frozenset(
                name for name, f in self.spec.fields.items() if field_attribute(self.spec, f, self.source.table)["type"] == "json"
            )
            self._context = PlanContext(
                content_type=self.spec.content_type,
                relations={rel.attribute: rel.target for rel in self.spec.relations},
                json_attributes=json_attributes,
                assume_targets=self.dry_run,
                cms_owned=frozenset(self.spec.write_back),
            )
        return replace(self._context, target_ids=targets, bases=bases)

    def _link_deferred(self, pool: ThreadPoolExecutor) -> None:
        """Second pass for self-relations whose targets were written later in the same run."""
        pending, self._deferred = self._deferred, []
        records = [record for record, _ in pending]
        context = self._plan_context(self._targets_of(records))
        existing = self._index([r.medusa_id for r in records])
        writes = []
        for record, attributes in pending:
            current = existing.get(record.medusa_id)
            if current is None:
                continue  # its create failed, and was counted then
            plan: EntryPlan = plan_deferred_links(record, attributes, current, context)
            first_write = record.medusa_id not in self._counted
            if plan.action == "fail":
                self._fail(RowFailure(record.medusa_id, "resolve", plan.reason))
            elif plan.action == "update":
                writes.append(Write(record.medusa_id, "update", plan.data, plan.document_id, recount=first_write))
            elif first_write:
                self.result.unchanged += 1
        self._write(writes, pool)


def related_types(spec: MappingSpec) -> set[str]:
    """The other content types `spec` links to: its run starts once theirs have finished (a self-relation is
    linked by the type's own second pass)."""
    return {rel.target for rel in spec.relations if rel.target != spec.content_type}


def sync_all(
    mappings: MappingSet,
    source: MedusaSource,
    client: StrapiClient,
    *,
    only: Iterable[str] | None = None,
    window: Window = FULL,
    changes: bool = False,
    delete_missing: bool = False,
    types_at_once: int = DEFAULT_TYPES_AT_ONCE,
    on_start: Callable[[MappingSpec], dict[str, Any]] | None = None,
    on_result: Callable[[SyncResult], None] | None = None,
    **options: Any,
) -> list[SyncResult]:
    """Sync the mapped content types (or `only` those); returns one result each, in dependency order.

    A type starts once the types it relates to have finished, up to `types_at_once` types at a time (each
    run of a type also holds one of the Strapi's writer slots, see `WriterSlots`): while one type ramps up or
    drains its last batches, another writes. `changes` syncs what changed since each type's recorded
    watermark instead of `window`. The types running at once share `concurrency` REST writes in flight (more
    only queue up in Strapi, whose write rate stops growing at four). The mappings the run uses (the selected
    types and those they link to) are checked first, as `validate` does (MappingErrors, before anything is
    written). `on_start(spec)` may return per-type options
    (a progress callback); it and `on_result` are called from the calling thread. A type that raises stops
    the run: the types already running finish, none starts, and the error is raised
    (`schedule.run_in_dependency_order`).
    """
    selected = set(only) if only else None
    if selected:
        for name in selected:
            mappings.get(name)  # UnknownContentType naming the known types
    preflight(mappings, source, client, only=selected)  # as `validate` checks them, before the first write
    specs = [spec for spec in mappings if not selected or spec.content_type in selected]

    rest_slots = threading.BoundedSemaphore(options.get("concurrency", DEFAULT_CONCURRENCY))

    def run(spec: MappingSpec, extra: dict[str, Any]) -> SyncResult:
        sync = ContentTypeSync(spec, mappings, source, client, rest_slots=rest_slots, **options, **extra)
        return sync.run_changes() if changes else sync.run(window, delete_missing=delete_missing)

    return run_in_dependency_order(
        specs, related_types, run,
        at_once=types_at_once, key=lambda spec: spec.content_type, before=on_start, after=on_result,
    )
