"""Pure decisions of the write-back: what each edited entry's two-way fields write to Medusa and to Strapi.

A mapping's `write_back` fields are edited on both sides; each is merged against its base, the value both sides
last agreed on (`sync.merge.merge_entry`): a side's change goes to the other side, both sides' different changes
go by the mapping's `on_conflict` rule and are recorded, and an empty Strapi value is filled from Medusa, never
carried to it. Entries synced before bases were kept take the values that agree as their base.

A value Medusa refuses for what it is (`quarantines`: 400, 413, 422...) is quarantined like a forward row, and
the rest of the type's write-back goes on; a refusal that says nothing about the value fails the run.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Iterable, Mapping

from ..mapping import DEFAULT_KEY, MappingSpec
from ..sync.merge import Base, Conflict, is_empty, merge_entry, next_base
from ..sync.write import is_permanent

__all__ = ["WriteBack", "EntryWrites", "is_empty", "plan_entry_writes", "quarantines", "check_pairs", "PairCheck"]


@dataclass(frozen=True)
class WriteBack:
    """One Medusa row to update through the Admin API: its key and the columns' new values."""

    medusa_id: str
    key: str
    values: dict[str, Any]


@dataclass(frozen=True)
class EntryWrites:
    """What one edited entry's merge writes: to Medusa (columns), to Strapi (attributes), and the base to record
    once they went through (None: the stored one stands), with the conflicts it records."""

    medusa_id: str
    document_id: str
    to_medusa: WriteBack | None
    to_strapi: dict[str, Any]
    base: Base | None
    conflicts: tuple[Conflict, ...] = ()

    @property
    def writes(self) -> bool:
        """Whether either side is written (else at most the base moves)."""
        return self.to_medusa is not None or bool(self.to_strapi)


def plan_entry_writes(entries: Iterable[Mapping[str, Any]], medusa_rows: Mapping[str, Mapping[str, Any]],
                      bases: Mapping[str, Base], spec: MappingSpec, *, at: str) -> list[EntryWrites]:
    """The merge of each entry's `write_back` fields (see module doc), for entries whose merge changes anything.

    `entries`: Strapi entries with documentId, the key (`spec.key`), updatedAt and the two-way attributes; `medusa_rows`:
    the live Medusa rows by source key (as text), with the two-way columns (and the cursor column, for the
    `newest` rule); `bases`: the stored bases by medusa_id. Entries whose row is gone or not live write nothing.
    """
    planned = []
    rule = spec.on_conflict
    for entry in entries:
        medusa_id = entry.get(spec.key)
        row = medusa_rows.get(spec.source_key(medusa_id)) if medusa_id else None
        if row is None:
            continue
        stored = bases.get(medusa_id)
        medusa = {a: row.get(spec.fields[a].column) for a in spec.write_back}
        merged = merge_entry(spec.write_back, stored.values if stored else None, medusa, entry, rule,
                             medusa_at=row.get(spec.cursor) if spec.cursor else None, strapi_at=entry.get("updatedAt"))
        base = next_base(stored, merged.base, merged.conflicts, at=at)
        columns = {spec.fields[a].column: v for a, v in merged.to_medusa.items()}
        to_medusa = WriteBack(medusa_id, spec.source_key(medusa_id), columns) if columns else None
        if to_medusa is not None or merged.to_strapi or base is not None:
            planned.append(EntryWrites(medusa_id, entry["documentId"], to_medusa, dict(merged.to_strapi), base,
                                       tuple(merged.conflicts)))
    return planned


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


def check_pairs(entries: Iterable[Mapping[str, Any]], known: Mapping[str, str], key: str = DEFAULT_KEY) -> PairCheck:
    """Which `entries` (with documentId and the medusa_id under `key`) may write to Medusa: those whose documentId was first seen
    with the same medusa_id (`known`: documentId -> medusa_id), or never seen (recorded now). An entry whose
    medusa_id was changed in Strapi would write one Medusa row's fields onto another: it is held back."""
    trusted, moved, new_pairs = [], [], {}
    for entry in entries:
        document_id, medusa_id = entry.get("documentId"), entry.get(key)
        first = known.get(document_id)
        if first is None:
            new_pairs[document_id] = medusa_id
            trusted.append(entry)
        elif first == medusa_id:
            trusted.append(entry)
        else:
            moved.append((medusa_id, f"the entry {document_id} stood for {first!r} and its {key} was changed in Strapi "
                                     f"to {medusa_id!r}: nothing written to Medusa (set it back to {first!r})"))
    return PairCheck(trusted, moved, new_pairs)
