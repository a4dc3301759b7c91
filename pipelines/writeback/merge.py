"""The three-way merge of a field both teams edit (a mapping's `write_back` fields): pure decisions.

The sync keeps, per entry and field, the **base**: the last value both sides agreed on. Against it:

| Medusa | Strapi | result |
|---|---|---|
| changed | = base | Medusa's value goes to Strapi |
| = base | changed | Strapi's value goes to Medusa |
| changed | changed, to another value | the mapping's `on_conflict` decides (`strapi`, `medusa`, `newest`); a conflict is recorded |
| changed | changed, to the same value | nothing to write; the base moves |
| = base | = base | nothing |

An entry without a base yet (synced before the base was kept): equal values become the base without a write;
different values go by the rule and are recorded as a conflict whose base is unknown.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Iterable, Mapping

STRAPI, MEDUSA, NEWEST = "strapi", "medusa", "newest"
RULES = (STRAPI, MEDUSA, NEWEST)
DEFAULT_RULE = STRAPI


@dataclass(frozen=True)
class Conflict:
    """Both sides changed one field to different values: what each held, the base, and which won."""

    field: str
    base: Any
    medusa: Any
    strapi: Any
    winner: str  # STRAPI or MEDUSA
    rule: str
    had_base: bool = True


@dataclass
class EntryMerge:
    """What one entry's merge writes: Strapi's new values, Medusa's, the new base, the conflicts."""

    to_strapi: dict[str, Any] = field(default_factory=dict)
    to_medusa: dict[str, Any] = field(default_factory=dict)
    base: dict[str, Any] = field(default_factory=dict)
    conflicts: list[Conflict] = field(default_factory=list)

    @property
    def base_moved(self) -> bool:
        """Whether the base must be written (set by the caller against the stored one)."""
        return bool(self.to_strapi or self.to_medusa or self.conflicts)


def same(a: Any, b: Any) -> bool:
    """Equal for the merge: the same value, or both empty (None and "" are one to an editor)."""
    return a == b or (a in (None, "") and b in (None, ""))


def winner_of(rule: str, medusa_at: str | None, strapi_at: str | None) -> str:
    """Which side a conflict goes to: the rule's side, or with `newest` the later edit (ISO timestamps; Strapi's on
    a tie or when a time is unknown, as the default rule)."""
    if rule == MEDUSA:
        return MEDUSA
    if rule == NEWEST and medusa_at and strapi_at and medusa_at > strapi_at:
        return MEDUSA
    return STRAPI


def merge_entry(fields: Iterable[str], base: Mapping[str, Any] | None, medusa: Mapping[str, Any],
                strapi: Mapping[str, Any], rule: str = DEFAULT_RULE, *, medusa_at: str | None = None,
                strapi_at: str | None = None) -> EntryMerge:
    """Merge each of `fields` of one entry (`base` None: no base kept yet; timestamps for `newest`)."""
    merged = EntryMerge()
    for name in fields:
        m, s = medusa.get(name), strapi.get(name)
        if base is None or name not in base:
            _without_base(merged, name, m, s, rule, medusa_at, strapi_at)
            continue
        b = base[name]
        medusa_changed, strapi_changed = not same(m, b), not same(s, b)
        if same(m, s):
            merged.base[name] = m  # neither changed, or both to the same value
        elif medusa_changed and not strapi_changed:
            merged.to_strapi[name] = merged.base[name] = m
        elif strapi_changed and not medusa_changed:
            merged.to_medusa[name] = merged.base[name] = s
        else:
            _resolve(merged, Conflict(name, b, m, s, winner_of(rule, medusa_at, strapi_at), rule))
    return merged


def _without_base(merged: EntryMerge, name: str, m: Any, s: Any, rule: str, medusa_at: str | None,
                  strapi_at: str | None) -> None:
    if same(m, s):
        merged.base[name] = m
        return
    _resolve(merged, Conflict(name, None, m, s, winner_of(rule, medusa_at, strapi_at), rule, had_base=False))


def _resolve(merged: EntryMerge, conflict: Conflict) -> None:
    merged.conflicts.append(conflict)
    if conflict.winner == STRAPI:
        merged.to_medusa[conflict.field] = merged.base[conflict.field] = conflict.strapi
    else:
        merged.to_strapi[conflict.field] = merged.base[conflict.field] = conflict.medusa
