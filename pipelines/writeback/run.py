"""One write-back run of one content type: Strapi entries edited since the watermark, merged with Medusa's rows
field by field against their bases (`plan.plan_entry_writes`): Strapi's changes sent to Medusa's Admin API,
Medusa's changes and the conflicts Medusa wins written to Strapi, and the new bases and conflicts recorded
(`sync.bases`) once both went through.

Change detection follows the forward sensors' rules: entries whose `updatedAt` is at or after the recorded
watermark minus the overlap (inclusive, so an edit committed late is read again, and compares equal if it
was already written back), and the new watermark (the latest `updatedAt` read) recorded only after a run
without failures. The first run reads every synced entry, and so does the first run after an upgrade from a version that kept no
merge bases (its watermark lacks `MERGE_MARK`): every entry then takes its agreed values as its base, and fields
that differ go by the mapping's rule, recorded as conflicts without a base.

An entry is written back only through the Medusa row it was first seen with (`ledger`, `plan.check_pairs`): one
whose medusa_id was changed in Strapi is quarantined with the reason, nothing written.

A value Medusa refuses for what it is (`plan.quarantines`: e.g. a title too long, 413 or 422) does not fail the
run: the entry goes to the quarantine (`write-back:<type>`, action `write-back`, with Medusa's answer), the
others are written and the watermark moves on. It is tried again when an editor edits the entry, and leaves
the quarantine when a run reads it and finds nothing more it cannot write.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any, Iterable, Iterator

import sqlalchemy as sa

from ..mapping import MappingErrors, MappingSet, MappingSpec
from ..medusa.admin import MedusaAdmin, MedusaAdminError
from ..medusa.changes import DEFAULT_OVERLAP, Watermark
from ..medusa.source import IN_BATCH, MedusaSource, database_errors
from ..secrets import describe_error
from ..strapi.client import StrapiClient, StrapiError
from ..sync.bases import MergeBases, now_iso
from ..sync.merge import Base, Conflict
from ..row_failure import RowFailure
from ..sync.result import SyncResult
from ..sync.state import Quarantine, SyncState
from ..validate import check_write_back
from .ledger import EntryLedger
from .plan import EntryWrites, WriteBack, check_pairs, plan_entry_writes, quarantines

CHUNK = 500  # entries compared per Medusa read
MERGE_MARK = "merge"  # a write-back watermark's digest since merge bases are kept; an older one reads everything

logger = logging.getLogger(__name__)


@dataclass
class WriteBackResult:
    """What one write-back run read, wrote and failed."""

    content_type: str
    read: int = 0
    written: int = 0  # Medusa rows updated
    to_strapi: int = 0  # Strapi entries updated with Medusa's values (Medusa changed, or won a conflict)
    conflicts: list[tuple[str, Conflict]] = field(default_factory=list)  # (medusa_id, conflict) recorded by this run
    failures: list[tuple[str, str]] = field(default_factory=list)  # (medusa_id, reason): these fail the run
    quarantined: list[tuple[str, str]] = field(default_factory=list)  # (medusa_id, reason): values Medusa refused
    since: str | None = None
    planned: list[WriteBack] = field(default_factory=list)  # a dry run's writes to Medusa
    planned_to_strapi: list[EntryWrites] = field(default_factory=list)  # a dry run's writes to Strapi
    latest: str | None = None  # the latest `updatedAt` read: the next watermark

    @property
    def ok(self) -> bool:
        """True when nothing failed (quarantined values do not fail a run)."""
        return not self.failures

    def summary(self) -> str:
        """One line: `product: read=3 written=1 failed=0 quarantined=0 to_strapi=0 conflicts=0 (since ...)`."""
        since = f" (edited since {self.since})" if self.since else " (every synced entry)"
        return (f"{self.content_type}: read={self.read} written={self.written} failed={len(self.failures)} "
                f"quarantined={len(self.quarantined)} to_strapi={self.to_strapi} conflicts={len(self.conflicts)}{since}")


def state_name(content_type: str) -> str:
    """The sync-state entry of a type's write-back watermark (beside the forward sync's)."""
    return f"write-back:{content_type}"


def write_back(spec: MappingSpec, source: MedusaSource, client: StrapiClient, admin: MedusaAdmin | None, *,
               dry_run: bool = False, overlap: timedelta = DEFAULT_OVERLAP, recorded_by: str = "medusa-strapi",
               log: Any = logger, settle: bool = False) -> WriteBackResult:
    """Merge the two-way fields of the entries of `spec` edited in Strapi since the watermark (see module doc).

    A dry run writes nothing and records nothing; with `settle`, it records the watermark when it finds nothing
    to write, and the bases of entries whose sides agree (see `settle_write_back`). MappingErrors when the mapping's `write_back` is not one the Admin API
    can take (`check_write_back`).
    """
    result = WriteBackResult(spec.content_type)
    if not spec.write_back:
        return result
    problems = check_write_back([spec])
    if problems:
        raise MappingErrors(problems)
    name = state_name(spec.content_type)
    state = SyncState(client, source.identity)
    recorded = state.get(name)
    merged_before = _kept_bases(recorded)
    since = _minus(recorded.high, overlap) if merged_before and recorded.high else None
    result.since = since
    latest = recorded.high if recorded else None
    read: set[str] = set()
    ledger = EntryLedger(client, spec.content_type)
    bases = MergeBases(client, spec.content_type)
    for entries in _edited_entries(client, spec, since):
        result.read += len(entries)
        read.update(e[spec.key] for e in entries)
        latest = max([latest or "", *(e.get("updatedAt") or "" for e in entries)]) or None
        pairs = check_pairs(entries, ledger.known(e["documentId"] for e in entries), spec.key)
        if pairs.new_pairs and (not dry_run or settle):
            ledger.record(pairs.new_pairs)
        for medusa_id, reason in pairs.moved:
            result.quarantined.append((medusa_id, reason))
            log.warning(f"{spec.content_type} {medusa_id}: not written back, quarantined: {reason}")
        with database_errors(spec.content_type):
            rows = medusa_values(source, spec, [spec.source_key(e[spec.key]) for e in pairs.trusted])
        stored = bases.read(e[spec.key] for e in pairs.trusted)
        due: dict[str, Base] = {}
        for planned in plan_entry_writes(pairs.trusted, rows, stored, spec, at=now_iso()):
            result.conflicts.extend((planned.medusa_id, conflict) for conflict in planned.conflicts)
            if dry_run:
                result.planned.extend([planned.to_medusa] if planned.to_medusa else [])
                result.planned_to_strapi.extend([planned] if planned.to_strapi else [])
                if settle and not planned.writes and planned.base is not None:
                    due[planned.medusa_id] = planned.base  # both sides agree: only the bookkeeping moves
                continue
            written_at = _apply(admin, client, spec, planned, result, log)
            if written_at is not None:
                latest = max(latest or "", written_at) or None  # our own write to Strapi is no editor's edit
                if planned.base is not None:
                    due[planned.medusa_id] = planned.base
        if due:
            bases.record(due)
    result.latest = latest
    if not dry_run:
        _settle_quarantine(Quarantine(client, source.identity), name, result, read, log)
    nothing_planned = not result.planned and not result.planned_to_strapi
    settled = settle and nothing_planned and (latest != (recorded.high if recorded else None) or not merged_before)
    if latest and result.ok and (not dry_run or settled):
        state.record(name, Watermark(lower=since, high=latest, digest=MERGE_MARK), recorded_by)
    for medusa_id, conflict in result.conflicts:
        log.warning(f"{spec.content_type} {medusa_id}: both sides changed {conflict.field} "
                    f"({'no base' if not conflict.had_base else f'base {conflict.base!r}'}, Medusa {conflict.medusa!r}, "
                    f"Strapi {conflict.strapi!r}): {conflict.winner} wins by on_conflict: {conflict.rule}"
                    f"{' (dry run: nothing written)' if dry_run else ''}")
    return result


def _apply(admin: MedusaAdmin, client: StrapiClient, spec: MappingSpec, planned: EntryWrites, result: WriteBackResult,
           log: Any) -> str | None:
    """Send one entry's merge: Medusa's update first, then Strapi's. Returns the entry's `updatedAt` after the
    writes ("" when Strapi was not written) once both went through, else None (nothing more is recorded for it).

    Medusa's refusal goes to `result.quarantined` when it condemns the value (`quarantines`), else to
    `result.failures`, as does Strapi's refusal."""
    if planned.to_medusa is not None:
        write = planned.to_medusa
        try:
            admin.update(spec.table, write.key, write.values)
            result.written += 1
        except MedusaAdminError as exc:
            reason = describe_error(exc)
            if quarantines(exc.status):
                result.quarantined.append((write.medusa_id, reason))
                log.warning(f"{spec.content_type} {write.medusa_id}: write-back refused by Medusa, quarantined: {reason}")
            else:
                result.failures.append((write.medusa_id, reason))
                log.warning(f"{spec.content_type} {write.medusa_id}: write-back failed: {reason}")
            return None
    if not planned.to_strapi:
        return ""
    try:
        entry = client.update(spec.plural, planned.document_id, planned.to_strapi, query=spec.strapi.write)
    except StrapiError as exc:
        reason = describe_error(exc)
        result.failures.append((planned.medusa_id, reason))
        log.warning(f"{spec.content_type} {planned.medusa_id}: Medusa's value not written to Strapi: {reason}")
        return None
    result.to_strapi += 1
    return (entry or {}).get("updatedAt") or ""


def _settle_quarantine(quarantine: Quarantine, name: str, result: WriteBackResult, read: set[str], log: Any) -> None:
    """Quarantine the values Medusa refused (under `name`, the write-back's own, apart from the forward sync's
    rows of the type), and release the entries this run read and wrote, or found nothing to write for."""
    held = quarantine.rows(name)
    if result.quarantined:
        quarantine.add(name, [RowFailure(mid, "write-back", reason, permanent=True) for mid, reason in result.quarantined])
    stuck = {mid for mid, _ in result.quarantined + result.failures}
    released = [row for row in held if row.medusa_id in read and row.medusa_id not in stuck]
    if released:
        quarantine.clear(released)
        log.info(f"{name}: {len(released)} row(s) left the quarantine")


def settle_write_backs(mappings: MappingSet, results: Iterable[SyncResult], source: MedusaSource, client: StrapiClient,
                       *, overlap: timedelta = DEFAULT_OVERLAP, recorded_by: str = "medusa-strapi") -> None:
    """After forward runs: `settle_write_back` for each type whose mapping writes back and whose run wrote entries,
    or whose write-back the sensor would launch anyway (entries moved past the watermark by someone else's writes,
    a watermark missing or from before merge bases): it settles when what it finds has nothing to write."""
    for result in results:
        spec = mappings.get(result.content_type)
        if not spec.write_back:
            continue
        if result.created + result.updated or needs_write_back(
                latest_edit(client, spec), SyncState(client, source.identity).get(state_name(spec.content_type))):
            settle_write_back(spec, source, client, overlap=overlap, recorded_by=recorded_by)


def _kept_bases(recorded: Watermark | None) -> bool:
    """Whether a write-back watermark was recorded by a write-back that keeps merge bases."""
    return recorded is not None and recorded.digest == MERGE_MARK


def settle_write_back(spec: MappingSpec, source: MedusaSource, client: StrapiClient, *,
                      overlap: timedelta = DEFAULT_OVERLAP, recorded_by: str = "medusa-strapi") -> WriteBackResult | None:
    """After a forward run of `spec`: move the write-back's watermark past the entries that run wrote, when no
    entry edited since it has anything to carry to Medusa (None when the mapping writes nothing back).

    A forward run moves the `updatedAt` of every entry it writes, which the write-back sensor takes for edits;
    its writes never make Strapi's owned values differ from Medusa's, so a write-back launched for them would
    write nothing. An editor's edit made meanwhile does differ: then nothing is recorded, and the sensor
    launches the write-back as before.
    """
    if not spec.write_back:
        return None
    return write_back(spec, source, client, None, dry_run=True, settle=True, overlap=overlap, recorded_by=recorded_by)


def latest_edit(client: StrapiClient, spec: MappingSpec) -> str | None:
    """The latest `updatedAt` of the type's synced entries (one request), or None when there are none."""
    body = client.request("GET", f"/api/{spec.plural}", params=[
        (f"filters[{spec.key}][$notNull]", "true"), ("sort[0]", "updatedAt:desc"),
        ("pagination[pageSize]", 1), ("fields[0]", "updatedAt"), *spec.strapi.read])
    return body["data"][0]["updatedAt"] if body.get("data") else None


def needs_write_back(latest: str | None, recorded: Watermark | None) -> bool:
    """True when an entry was edited after what the last successful write-back covered, or when that write-back
    kept no merge bases (an upgrade: the next run takes every entry's base)."""
    return latest is not None and (not _kept_bases(recorded) or not recorded.high or latest > recorded.high)


def _edited_entries(client: StrapiClient, spec: MappingSpec, since: str | None) -> Iterator[list[dict[str, Any]]]:
    """Synced entries (with a key) edited at or after `since` (all when None), a chunk at a time."""
    filters = [(f"filters[{spec.key}][$notNull]", "true")]
    if since:
        filters.append(("filters[updatedAt][$gte]", since))
    chunk: list[dict[str, Any]] = []
    for entry in client.iter_entries(spec.plural, fields=[spec.key, "updatedAt", *spec.write_back], filters=filters,
                                     query=spec.strapi.read):
        chunk.append(entry)
        if len(chunk) >= CHUNK:
            yield chunk
            chunk = []
    if chunk:
        yield chunk


def medusa_values(source: MedusaSource, spec: MappingSpec, keys: list[str]) -> dict[str, dict[str, Any]]:
    """The two-way columns of the live Medusa rows among `keys`, by key (as text), with the cursor column when the
    `newest` rule needs the time of Medusa's edit."""
    table = source.table(spec.table, spec.schema)
    pk = table.c[spec.primary_key]
    names = [spec.fields[a].column for a in spec.write_back]
    if spec.on_conflict == "newest" and spec.cursor:
        names.append(spec.cursor)
    columns = [table.c[name] for name in dict.fromkeys(names) if name != spec.primary_key]
    found: dict[str, dict[str, Any]] = {}
    with source.engine.connect() as conn:
        for start in range(0, len(keys), IN_BATCH):
            query = sa.select(pk, *columns).where(sa.cast(pk, sa.Text).in_(keys[start:start + IN_BATCH]))
            if spec.soft_delete:
                query = query.where(table.c[spec.soft_delete].is_(None))
            for row in conn.execute(query):
                found[str(row[0])] = dict(row._mapping)
    return found


def _minus(iso: str, overlap: timedelta) -> str:
    moment = datetime.fromisoformat(iso.replace("Z", "+00:00")) - overlap
    return moment.isoformat(timespec="milliseconds").replace("+00:00", "Z")
