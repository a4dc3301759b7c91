"""What one run of a content type reads from the quarantine and what it leaves there, and which quarantined rows
wait for others.

At the start: the type's quarantined rows (released at the end when they loaded, or when a full run no longer
read them). During the run: which of them it read again, which rows failed, and whether a relation target that
is missing is itself quarantined (the row then waits for it in the quarantine, instead of failing the run).
A dry run reads and writes none of it.
"""

from __future__ import annotations

import ast
import logging
import re
from typing import Any, Callable, Iterable

from ..row_failure import RowFailure
from .plan import EntryPlan
from .result import SyncResult
from .state import Quarantine, QuarantinedRow
from .transform import Record


class QuarantineBook:
    """One run's view of the quarantine of `content_type` (`quarantine` None: a dry run, which has none);
    `source_key` turns a medusa_id into its Medusa row's key."""

    def __init__(self, content_type: str, source_key: Callable[[str], Any], quarantine: Quarantine | None):
        self.content_type = content_type
        self.source_key = source_key
        self.quarantine = quarantine
        self.held: dict[str, QuarantinedRow] = {}  # this type's quarantined rows when the run started
        self._held_keys: set[str] = set()  # their source keys
        self.seen_keys: set[str] = set()  # source keys of quarantined rows this run read again
        self.failed_ids: set[str] = set()  # medusa_ids that failed in this run, either way
        self._targets: dict[str, set[str]] | None = None  # every type's quarantined ids, on demand

    def load(self) -> None:
        """Read the type's quarantined rows (nothing for a dry run)."""
        if self.quarantine is None:
            return
        self.held = {row.medusa_id: row for row in self.quarantine.rows(self.content_type)}
        self._held_keys = {self.source_key(mid) for mid in self.held}

    def every_row(self) -> list[QuarantinedRow]:
        """Every type's quarantined rows ([] for a dry run); the same read answers `unresolved` later."""
        if self.quarantine is None:
            return []
        rows = self.quarantine.rows()
        self._targets = {}
        for row in rows:
            self._targets.setdefault(row.content_type, set()).add(row.medusa_id)
        return rows

    def note_read(self, records: Iterable[Record]) -> None:
        """Remember the quarantined rows among `records` (read again: the run now knows how they fare)."""
        if self._held_keys:
            read = (self.source_key(r.medusa_id) for r in records)
            self.seen_keys.update(k for k in read if k in self._held_keys)

    def note_failed(self, failure: RowFailure) -> None:
        """Remember a row that failed in this run (it stays quarantined)."""
        self.failed_ids.add(failure.medusa_id)

    def unresolved(self, record: Record, plan: EntryPlan) -> RowFailure:
        """A row whose targets are not in Strapi: transient (they may come), unless a target is itself
        quarantined, when the row waits for it in the quarantine too."""
        if self.quarantine is None:
            return RowFailure(record.medusa_id, "resolve", plan.reason)
        if self._targets is None:
            self.every_row()
        targets: dict[str, set[str]] = self._targets or {}
        stuck = [(target, mid) for target, ids in plan.missing for mid in ids if mid in targets.get(target, ())]
        if stuck:
            return RowFailure(record.medusa_id, "resolve", waits_for_reason(stuck[:5], plan.reason), permanent=True)
        return RowFailure(record.medusa_id, "resolve", plan.reason)

    def settle(self, result: SyncResult, *, full: bool, log: logging.Logger | Any) -> None:
        """Quarantine the run's permanent failures; release rows that loaded, or are gone from Medusa."""
        if self.quarantine is None:
            return
        if result.to_quarantine:
            self.quarantine.add(self.content_type, result.to_quarantine)
        released = [
            row for mid, row in self.held.items()
            # a full run read every live row: a quarantined row it did not fail either loaded or is gone
            if mid not in self.failed_ids and (full or self.source_key(mid) in self.seen_keys)
        ]
        if released:
            self.quarantine.clear(released)
            log.info(f"{self.content_type}: {len(released)} row(s) left the quarantine")


# Rows that wait in the quarantine for a quarantined relation target (`waits for quarantined product 'p1': ...`),
# and when they may load: once none of the rows they wait for is quarantined any more, the next run of their type
# reads them again, without their own Medusa row having changed (the CLI's `sync --changes` in the same run, the
# change sensor at its next tick).

WAITS = "waits for quarantined "
_TARGET = re.compile(r"""([\w-]+) ('(?:[^'\\]|\\.)*'|"(?:[^"\\]|\\.)*")(?:, |: )""")


def waits_for_reason(targets: Iterable[tuple[str, str]], why: str) -> str:
    """The quarantine reason of a row whose targets (content type, medusa_id) are quarantined themselves."""
    return WAITS + ", ".join(f"{target} {medusa_id!r}" for target, medusa_id in targets) + f": {why}"


def waited_for(reason: str) -> list[tuple[str, str]]:
    """The (content type, medusa_id) rows a `waits_for_reason` names; [] for any other reason."""
    if not reason.startswith(WAITS):
        return []
    found, at = [], len(WAITS)
    while match := _TARGET.match(reason, at):
        found.append((match.group(1), ast.literal_eval(match.group(2))))
        at = match.end()
        if reason[match.end() - 2] == ":":
            break
    return found


def ready_to_retry(rows: Iterable[QuarantinedRow], content_type: str | None = None, *,
                   transitive: bool = False) -> list[QuarantinedRow]:
    """Among `rows` (the whole quarantine), those (of `content_type`, or any) that wait for rows no longer in it.

    `transitive` (the sensor, choosing the types of one run, which runs them in dependency order): also those
    that wait only for rows that are ready themselves (a price waiting for a variant that waited for a product).
    """
    rows = list(rows)
    waiting = {(row.content_type, row.medusa_id): waited_for(row.reason) for row in rows}
    held = set(waiting)
    ready: set[tuple[str, str]] = set()
    while True:
        more = {key for key, targets in waiting.items()
                if key not in ready and targets and not any(t in held and t not in ready for t in targets)}
        if not more:
            break
        ready |= more
        if not transitive:
            break
    return [row for row in rows if (row.content_type, row.medusa_id) in ready
            and (content_type is None or row.content_type == content_type)]
