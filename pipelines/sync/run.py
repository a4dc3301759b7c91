"""Idempotent upsert of one content type from Medusa into Strapi, keyed by its mapping's `key` (`medusa_id`).

The same `ContentTypeSync` serves every caller (CLI, Dagster assets, sensors, backfills); callers
differ only in the window of rows they pass (`run`), or ask for what changed since the watermark the
last successful run recorded (`run_changes`). It fetches (rows, links, current entries, target
documentIds), asks `plan` what to write, and hands the writes to a pool of `Writer`s. Rows that fail
permanently go to the quarantine; a run without transient failures records its watermark.
"""

from __future__ import annotations

import functools
import logging
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from contextlib import nullcontext
from dataclasses import dataclass, field, replace
from typing import Any, Callable, Iterable, Iterator, Mapping


from ..mapping import MappingSet, MappingSpec
from ..media.run import MediaPass
from ..medusa.changes import Watermark, changes_since, next_watermark
from ..medusa.locks import ContentTypeLock, WriterSlots
from ..medusa.source import DEFAULT_CHUNK_SIZE, FULL, MedusaSource, Window, database_errors
from ..secrets import describe_error
from ..settings import SyncOptions
from ..strapi.client import StrapiClient
from ..strapi.permissions import check_access
from ..strapi.attributes import field_attribute
from ..validate import preflight
from .bases import MergeBases, now_iso
from .merge import Base, next_base
from .plan import EntryPlan, PlanContext, plan_deferred_links, plan_entry, plan_other_locale
from ..row_failure import RowFailure
from .result import SyncResult
from .reconcile import Reconciler
from .state import Quarantine, SyncState
from .targets import TargetResolver
from .collector import fewer_collections
from .transform import Record
from .quarantine_book import QuarantineBook, ready_to_retry
from .extract import extracted_records
from .read_ahead import read_ahead
from .schedule import run_in_dependency_order
from .pipeline import WritePipeline
from .write import Write, Writer
from .write_path import WritePath, choose_write_path

Progress = Callable[[int, "int | None"], None]  # (rows read so far, rows in the window when known)

DEFAULT_TYPES_AT_ONCE = 2  # content types a sync_all runs at once (as their relations allow)
BASES_RECORDED_AT_ONCE = 1000  # merge bases kept before they are written (two-way types)
DEFAULT_OPTIONS = SyncOptions()  # full runs through the bulk plugin where installed, incremental runs over REST

logger = logging.getLogger(__name__)


@dataclass
class LookedUp:
    """A chunk of records with what Strapi holds for them."""

    records: list[Record]
    existing: dict[str, dict[str, Any]]  # medusa_id -> the entry, as `_index` reads it
    targets: dict[str, dict[str, str]]  # target type -> medusa_id -> documentId, for the links of `records`
    bases: dict[str, Base] | None = None  # medusa_id -> merge base of the existing entries (two-way types only)
    other_locales: dict[str, list[dict[str, Any]]] = field(default_factory=dict)  # medusa_id -> its other locales' drafts


def _source_errors(method: Callable[..., SyncResult]) -> Callable[..., SyncResult]:
    """A run's entry point: a failure of Medusa's database anywhere in it is one SourceError line
    (`database_errors`), and the collector runs less often while it holds many rows (`fewer_collections`)."""
    @functools.wraps(method)
    def guarded(self: ContentTypeSync, *args: Any, **kwargs: Any) -> SyncResult:
        with database_errors(self.spec.content_type), fewer_collections():
            return method(self, *args, **kwargs)
    return guarded


class ContentTypeSync:
    """One run over one content type: diff a window of Medusa rows against Strapi and write the difference.

    The run reads as its stages (`_read_and_write`); the quarantine's bookkeeping (`QuarantineBook`), the
    relation targets (`TargetResolver`), a reconcile's deletes (`Reconciler`) and the write pipelining
    (`WritePipeline`) are parts of their own, each unit-tested.
    """

    def __init__(self, spec: MappingSpec, mappings: MappingSet, source: MedusaSource, client: StrapiClient,
                 options: SyncOptions | None = None, *, log: logging.Logger | Any = logger,
                 progress: Progress | None = None, rest_slots: threading.Semaphore | None = None):
        self.spec = spec
        self.mappings = mappings
        self.source = source
        self.client = client
        self.options = options = options or DEFAULT_OPTIONS
        self.dry_run = options.dry_run
        self.log = log
        # a caller's progress callback gets the window's size (a COUNT); without one, the run logs how far it is
        self.shows_progress = progress is not None
        self.progress: Progress = progress or self._log_progress
        self.state = SyncState(client, source.identity)
        self.book = QuarantineBook(spec.content_type, spec.source_key,
                                   None if options.dry_run else Quarantine(client, source.identity))
        self.targets = TargetResolver({rel.attribute: rel.target for rel in spec.relations},
                                      lambda target, ids: self.path.find(mappings.get(target), ids))
        self.reconciler: Reconciler | None = None  # set by `_execute` for a reconcile
        self.result = SyncResult(spec.content_type)
        # REST writes in flight: `concurrency`, or fewer when sync_all's types share `rest_slots`
        self.writer = Writer(client, spec, self.result, dry_run=options.dry_run, slots=rest_slots)
        self.path = WritePath("rest", client, None, options.chunk_size or DEFAULT_CHUNK_SIZE)  # chosen per run
        self._media_ids: list[str] | None = None  # a partial run's medusa_ids, for its media pass (None: all)
        # media attributes whose URLs come from Medusa: attribute -> medusa_id -> URL(s), of the live rows read
        self._media_urls: dict[str, dict[str, Any]] = {}
        self._context: PlanContext | None = None  # built when a run starts reading (needs the reflected table)
        self._deferred: list[tuple[Record, list[str]]] = []  # self-relations left for the second pass
        # medusa_ids already counted as created or updated in this run (only kept for self-relations)
        self._counted: set[str] = set()
        self._self_related = any(rel.target == spec.content_type for rel in spec.relations)
        # two-way types: the merge bases, and those due to be recorded (their writes went through)
        self._bases = MergeBases(client, spec.content_type) if spec.write_back else None
        self._bases_due: dict[str, Base] = {}

    @_source_errors
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
        if window.is_full and not self.dry_run:
            recorded = self.state.get(self.spec.content_type)
            changes = changes_since(self.source, self.spec, recorded)
            mark = next_watermark(self.source, self.spec, recorded, changes, self.options.overlap)
        total = self.source.count(self.spec) if window.is_full and self.shows_progress else None
        self._choose_write_path(self.options.write_paths.full)
        return self._execute(window, delete_missing=delete_missing, mark=mark, total=total)

    @_source_errors
    def run_changes(self) -> SyncResult:
        """Sync what changed since the watermark the last successful run recorded (everything the first
        time), then record the new one. A run with nothing to do reads nothing and writes nothing."""
        recorded = self.state.get(self.spec.content_type)
        changes = changes_since(self.source, self.spec, recorded)
        self.log.info(f"{self.spec.content_type}: {changes.describe()}")
        ready = ready_to_retry(self.book.every_row(), self.spec.content_type)
        if not changes.any and not ready:
            self.result.window = f"nothing changed since {changes.since:%Y-%m-%d %H:%M:%S} UTC" if changes.since else "nothing to read"
            return self.result
        self._choose_write_path(self.options.write_paths.changes)
        if changes.any:
            mark = None if self.dry_run else next_watermark(self.source, self.spec, recorded, changes, self.options.overlap)
            self._execute(Window.changes_since(changes.since, changes.buckets), mark=mark)
        keys = {self.spec.source_key(row.medusa_id) for row in ready} - self.book.seen_keys
        if keys:  # rows that waited for a quarantined target no longer there: read again, unchanged themselves
            self.log.info(f"{self.spec.content_type}: {len(keys)} row(s) waited in the quarantine for rows that left it")
            before = self.result.window if changes.any else None
            self._execute(Window.of_keys(keys))
            waited = f"{len(keys)} row(s) that waited for quarantined rows"
            self.result.window = f"{before}, and {waited}" if before else waited
        return self.result

    def _choose_write_path(self, mode: str) -> None:
        """Write through the bulk-upsert plugin or over REST (`write_path.choose_write_path`); shown in the result."""
        self.path = choose_write_path(self.client, self.spec, mode, self.writer, dry_run=self.dry_run,
                                      chunk_size=self.options.chunk_size, log=self.log)
        self.result.write_path = self.path.name

    def _execute(self, window: Window, *, delete_missing: bool = False, mark: Watermark | None = None,
                 total: int | None = None) -> SyncResult:
        started = time.monotonic()
        self._media_ids = None if window.is_full else []
        self.result.window = window.describe()
        check_access(self.client, self.spec.plural, writes=not self.dry_run)
        self.book.load()
        self.reconciler = Reconciler(self.spec, self.source, allow_mass_delete=self.options.allow_mass_delete,
                                     chunk_size=self.path.chunk_size) if delete_missing else None
        lock = ContentTypeLock(self.source.engine, self.spec.content_type, log=self.log)
        slots = WriterSlots(self.source.engine, self.client.base_url, self.options.max_writers, log=self.log,
                            label=self.spec.content_type)
        if self.shows_progress:
            self.progress(0, total)
        with nullcontext() if self.dry_run else slots.held():  # before the type's lock: see WriterSlots
            self._read_and_write(window, lock, started=started, total=total)
            self.book.settle(self.result, full=window.is_full, log=self.log)
            if mark is not None and self.result.ok and not self.dry_run:
                self.state.record(self.spec.content_type, mark, self.options.recorded_by)
        self.result.seconds = time.monotonic() - started
        return self.result

    def _read_and_write(self, window: Window, lock: ContentTypeLock, *, started: float, total: int | None) -> None:
        """The run's stages: read, look up, plan and write each chunk; link the self-relations left for
        later; record the merge bases; delete what a reconcile found gone; fill the media attributes."""
        self._context = self._context or self._type_context()
        with ThreadPoolExecutor(max_workers=self.options.concurrency, thread_name_prefix="strapi-write") as pool:
            writes = WritePipeline(pool, self.writer, self.path.batch_writer, self._count)
            with nullcontext() if self.dry_run else lock.shared():
                chunks = extracted_records(self.source, self.spec, window, self.path.chunk_size)
                for chunk in read_ahead(self._looked_up(chunks), name=f"lookup-{self.spec.content_type}"):
                    writes.send(self._planned(chunk))
                    self.result.seconds = time.monotonic() - started
                    self.progress(self.result.read, total)
                writes.drain()
                if self._deferred:
                    writes.send(self._deferred_links())
                    writes.drain()
                self._record_bases()
            if self.reconciler is not None:
                with nullcontext() if self.dry_run else lock.exclusive():
                    writes.send(self._deletes(self.reconciler))
                    writes.drain()
        if self.spec.media:
            with nullcontext() if self.dry_run else lock.shared():
                self._media_pass()

    def _keep_media_urls(self, records: Iterable[Record]) -> None:
        """The URL(s) the live records read from Medusa for their media attributes, kept for the media pass."""
        for record in records:
            if record.media and not record.deleted and not record.error:
                for attribute, urls in record.media.items():
                    self._media_urls.setdefault(attribute, {})[record.medusa_id] = urls

    def _log_progress(self, read: int, total: int | None) -> None:
        self.log.info(f"so far: {self.result.summary()}")

    def _media_pass(self) -> None:
        """Fill the type's media attributes from its URL fields (pipelines.media), where media upload is on (a dry
        run counts what it would try)."""
        media = self.options.media
        if not media.enabled:
            names = ", ".join(self.spec.media)
            self.log.warning(f"{self.spec.content_type}: media upload is off (MEDIA_ALLOWED_HOSTS is empty): "
                             f"{names} not filled; set MEDIA_ALLOWED_HOSTS to the hosts the files may come from")
            return
        media_pass = MediaPass(self.spec, self.client, media, fail=self._fail, log=self.log, urls=self._media_urls)
        self.result.media.update(media_pass.run(self._media_ids, dry_run=self.dry_run))

    def _fail(self, failure: RowFailure) -> None:
        self.book.note_failed(failure)
        self.result.record_failure(failure)

    def _looked_up(self, chunks: Iterable[list[Record]]) -> Iterator[LookedUp]:
        """Each chunk with what Strapi holds for it (its entries, its relation targets' documentIds): run one
        chunk ahead of planning, in a thread of its own, so the lookups' round trips overlap the writes."""
        for records in chunks:
            readable = [r for r in records if r.deleted or not r.error]
            live = [r for r in readable if not r.deleted]
            existing = self._index([r.medusa_id for r in readable])
            bases = self._bases.read(existing) if self._bases is not None and existing else None
            others = self._other_locales(existing) if self.spec.strapi.localized and existing else {}
            yield LookedUp(records, existing, self.targets.targets_of(live), bases, others)

    def _planned(self, chunk: LookedUp) -> list[Write]:
        """The writes of a chunk (conversion and planning failures are recorded, not raised)."""
        records, existing = chunk.records, chunk.existing
        self.result.read += len(records)
        self.book.note_read(records)
        if self.reconciler is not None:
            self.reconciler.note_read(records)
        if self._media_ids is not None and self.spec.media:
            self._media_ids.extend(r.medusa_id for r in records)
        if self.spec.media:
            self._keep_media_urls(records)
        for record in records:
            if record.error and not record.deleted:
                self._fail(RowFailure(record.medusa_id, "convert", record.error, permanent=True))
        gone = [r for r in records if r.deleted]
        records = [r for r in records if not r.error and not r.deleted]
        context = self._with_targets(chunk.targets, chunk.bases)
        writes = []
        for record in records:
            try:
                writes.extend(self._plan(record, existing.get(record.medusa_id), context,
                                         chunk.other_locales.get(record.medusa_id, ())))
            except Exception as exc:  # noqa: BLE001 - one row's surprise must not stop the run
                self._fail(RowFailure(record.medusa_id, "plan", describe_error(exc), permanent=True))
        for record in gone:
            if record.medusa_id in existing:
                writes.append(Write(record.medusa_id, "delete", {}, existing[record.medusa_id]["documentId"]))
            else:
                self.result.unchanged += 1
        return writes

    def _deletes(self, reconciler: Reconciler) -> list[Write]:
        """The deletes of the entries the reconcile found gone from Medusa (none when it refuses a mass delete,
        whose refusal is recorded)."""
        orphans = reconciler.orphans(self.path.keys(self.spec))
        if isinstance(orphans, RowFailure):
            self._fail(orphans)
            return []
        return [Write(e[self.spec.key], "delete", {}, e["documentId"]) for e in orphans]

    def _index(self, medusa_ids: list[str]) -> dict[str, dict[str, Any]]:
        """Existing entries with the values the sync compares (mapped fields, relation targets' keys)."""
        return self.path.find(self.spec, medusa_ids, **self._compared())

    def _compared(self) -> dict[str, Any]:
        return {"fields": [self.spec.key, *self.spec.fields],
                "populate": {rel.attribute: [rel.target_key] for rel in self.spec.relations}}

    def _other_locales(self, existing: Mapping[str, dict[str, Any]]) -> dict[str, list[dict[str, Any]]]:
        """The drafts of the existing entries' other locales than the default one, by medusa_id (localized types)."""
        default_rows = {entry["id"] for entry in existing.values()}
        compared = self._compared()
        others: dict[str, list[dict[str, Any]]] = {}
        for entry in self.client.find_all_by(self.spec.plural, self.spec.key, existing, query=self.spec.strapi.every_locale,
                                             fields=[*compared["fields"], "locale"], populate=compared["populate"]):
            if entry["id"] not in default_rows:
                others.setdefault(entry[self.spec.key], []).append(entry)
        return others

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

    def _plan(self, record: Record, current: dict[str, Any] | None, context: PlanContext,
              other_locales: Iterable[dict[str, Any]] = ()) -> list[Write]:
        """The writes of one record: its entry's, then those of its other locales that lack shared values."""
        plan = plan_entry(record, current, context)
        if plan.action == "fail":
            self._fail(self.book.unresolved(record, plan))
            return []
        if plan.deferred:
            self._deferred.append((record, list(plan.deferred)))
        stored = (context.bases or {}).get(record.medusa_id)
        base = next_base(stored, plan.agreed, at=now_iso()) if plan.agreed else None
        writes = [] if plan.action == "unchanged" else [Write(record.medusa_id, plan.action, plan.data, plan.document_id, base=base)]
        for other in other_locales:
            data = plan_other_locale(record, plan, current or {}, other, context)
            if data:
                writes.append(Write(record.medusa_id, "update", data, other["documentId"], recount=not writes, locale=other["locale"]))
        if not writes:
            if not plan.deferred:
                self.result.unchanged += 1
            if base is not None and not self.dry_run:
                self._bases_due[record.medusa_id] = base  # equal on both sides: the base moves without a write
            return []
        if self._self_related:
            self._counted.add(record.medusa_id)
        if plan.action == "unchanged" and base is not None and not self.dry_run:
            self._bases_due[record.medusa_id] = base
        return writes

    def _type_context(self) -> PlanContext:
        """The planner's view of this type; each chunk's targets and bases are added to it (`_with_targets`)."""
        json_attributes = frozenset(
            name for name, f in self.spec.fields.items() if field_attribute(self.spec, f, self.source.table)["type"] == "json"
        )
        return PlanContext(
            content_type=self.spec.content_type,
            relations={rel.attribute: rel.target for rel in self.spec.relations},
            key=self.spec.key,
            link_keys={rel.attribute: rel.target_key for rel in self.spec.relations},
            json_attributes=json_attributes,
            assume_targets=self.dry_run,
            cms_owned=frozenset(self.spec.write_back),
            locale_bound=frozenset(rel.attribute for rel in self.spec.relations if self.mappings.get(rel.target).strapi.localized),
        )

    def _with_targets(self, targets: Mapping[str, Mapping[str, str]], bases: Mapping[str, Base] | None = None) -> PlanContext:
        """The type's plan context with the targets resolved (and bases read) for the records about to be planned."""
        assert self._context is not None, "built by _read_and_write"
        return replace(self._context, target_ids=targets, bases=bases)

    def _deferred_links(self) -> list[Write]:
        """Second pass for self-relations whose targets were written later in the same run."""
        pending, self._deferred = self._deferred, []
        records = [record for record, _ in pending]
        existing = self._index([r.medusa_id for r in records])
        context = self._with_targets(self.targets.targets_of(records))
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
        return writes


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
    options: SyncOptions | None = None,
    **overrides: Any,
) -> list[SyncResult]:
    """Sync the mapped content types (or `only` those); returns one result each, in dependency order.

    A type starts once the types it relates to have finished, up to `types_at_once` types at a time (each
    run of a type also holds one of the Strapi's writer slots, see `WriterSlots`): while one type ramps up or
    drains its last batches, another writes. `changes` syncs what changed since each type's recorded
    watermark instead of `window`. The types running at once share `concurrency` REST writes in flight (more
    only queue up in Strapi, whose write rate stops growing at four). The mappings the run uses (the selected
    types and those they link to) are checked first, as `validate` does (MappingErrors, before anything is
    written). `options` say how each type's run goes; `overrides` change some of them (`dry_run=True`, ...).
    `on_start(spec)` may return per-type keywords of `ContentTypeSync` (a progress callback, a log); it and
    `on_result` are called from the calling thread. A type that raises stops
    the run: the types already running finish, none starts, and the error is raised
    (`schedule.run_in_dependency_order`).
    """
    selected = set(only) if only else None
    if selected:
        for name in selected:
            mappings.get(name)  # UnknownContentType naming the known types
    preflight(mappings, source, client, only=selected)  # as `validate` checks them, before the first write
    specs = [spec for spec in mappings if not selected or spec.content_type in selected]

    options = replace(options or DEFAULT_OPTIONS, **overrides)
    rest_slots = threading.BoundedSemaphore(options.concurrency)

    def run(spec: MappingSpec, extra: dict[str, Any]) -> SyncResult:
        sync = ContentTypeSync(spec, mappings, source, client, options, rest_slots=rest_slots, **extra)
        return sync.run_changes() if changes else sync.run(window, delete_missing=delete_missing)

    return run_in_dependency_order(
        specs, related_types, run,
        at_once=types_at_once, key=lambda spec: spec.content_type, before=on_start, after=on_result,
    )
