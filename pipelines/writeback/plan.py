"""Pure decisions of the write-back: which of Strapi's values of CMS-owned fields Medusa must take.

Ownership: once an entry exists, a field listed in a mapping's `write_back` belongs to Strapi. The forward
sync sets it on create, and again only while Strapi's value is empty (`is_empty`); the write-back carries a
non-empty Strapi value that differs from Medusa's to Medusa. When both sides changed the same field
between two runs, Strapi's value wins (Medusa's is overwritten); edits of different fields both survive.

A value Medusa refuses for what it is (`quarantines`: 400, 413, 422...) is quarantined like a forward row, and
the rest of the type's write-back goes on; a refusal that says nothing about the value fails the run.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Iterable, Mapping

from ..mapping import MappingSpec
from ..sync.write import is_permanent


@dataclass(frozen=True)
class WriteBack:
    """One Medusa row to update through the Admin API: its key and the columns' new values."""

    medusa_id: str
    key: str
    values: dict[str, Any]


def is_empty(value: Any) -> bool:
    """An owned value the forward sync may still fill: none, or an empty string."""
    return value is None or value == ""


def plan_write_backs(entries: Iterable[Mapping[str, Any]], medusa_rows: Mapping[str, Mapping[str, Any]],
                     spec: MappingSpec) -> list[WriteBack]:
    """The updates Medusa needs so its owned columns equal Strapi's non-empty values.

    `entries`: Strapi entries with medusa_id and the owned attributes; `medusa_rows`: the live Medusa rows
    by source key (as text), with the owned columns. Entries whose row is gone or not live write nothing.
    """
    writes = []
    for entry in entries:
        medusa_id = entry.get("medusa_id")
        row = medusa_rows.get(spec.source_key(medusa_id)) if medusa_id else None
        if row is None:
            continue
        values = {}
        for attribute in spec.write_back:
            column = spec.fields[attribute].column
            value = entry.get(attribute)
            if not is_empty(value) and value != row.get(column):
                values[column] = value
        if values:
            writes.append(WriteBack(medusa_id, spec.source_key(medusa_id), values))
    return writes


def quarantines(status: int | None) -> bool:
    """Whether Medusa's refusal of one write-back (its HTTP status; None: no answer) condemns the value itself,
    which is then quarantined while the run goes on: a 4xx about the data, such as 400, 413 or 422, as the
    forward sync decides for Strapi (`sync.write.is_permanent`). Not 401, 403 (the admin's credentials), 404
    (the row went), 408, 409, 423, 425, 429 (the moment), a 5xx or no answer: those fail the run, retried later."""
    return status is not None and is_permanent(status)


@dataclass(frozen=True)
class PairCheck:
    """Edited entries sorted by whether each still stands for the Medusa row it was first seen with."""

    trusted: list[Mapping[str, Any]]  # may be written back
    moved: list[tuple[str, str]]  # (medusa_id now, reason): not written, quarantined
    new_pairs: dict[str, str]  # documentId -> medusa_id seen for the first time: to record


def check_pairs(entries: Iterable[Mapping[str, Any]], known: Mapping[str, str]) -> PairCheck:
    """Which `entries` (with documentId and medusa_id) may write to Medusa: those whose documentId was first seen
    with the same medusa_id (`known`: documentId -> medusa_id), or never seen (recorded now). An entry whose
    medusa_id was changed in Strapi would write one Medusa row's fields onto another: it is held back."""
    trusted, moved, new_pairs = [], [], {}
    for entry in entries:
        document_id, medusa_id = entry.get("documentId"), entry.get("medusa_id")
        first = known.get(document_id)
        if first is None:
            new_pairs[document_id] = medusa_id
            trusted.append(entry)
        elif first == medusa_id:
            trusted.append(entry)
        else:
            moved.append((medusa_id, f"the entry {document_id} stood for {first!r} and its medusa_id was changed in Strapi "
                                     f"to {medusa_id!r}: nothing written to Medusa (set it back to {first!r})"))
    return PairCheck(trusted, moved, new_pairs)
