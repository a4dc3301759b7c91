"""Rows that wait in the quarantine for a quarantined relation target (`waits for quarantined product 'p1': ...`),
and when they may load: once none of the rows they wait for is quarantined any more, the next run of their type
reads them again, without their own Medusa row having changed (the CLI's `sync --changes` in the same run, the
change sensor at its next tick)."""

from __future__ import annotations

import ast
import re
from typing import Iterable

from .state import QuarantinedRow

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
