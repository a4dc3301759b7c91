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

Two callers: the write-back merges the entries edited in Strapi (`merge_entry`, every case); the forward sync
takes the one case it can finish alone, Medusa changed and Strapi still at the base (`forward_owned`), and
leaves the rest to the write-back. Both record the new base (`next_base`) once their writes went through.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from datetime import datetime, timezone
from typing import Any, Iterable, Mapping

from .values import values_equal

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

    def as_record(self, at: str) -> dict[str, Any]:
        """The conflict as kept with the base: its values, which side won, by which rule, and when (`at`)."""
        record = {k: v for k, v in asdict(self).items() if k != "field"}
        return {**record, "at": at}


@dataclass
class EntryMerge:
    """What one entry's merge writes: Strapi's new values, Medusa's, the new base, the conflicts."""

    to_strapi: dict[str, Any] = field(default_factory=dict)
    to_medusa: dict[str, Any] = field(default_factory=dict)
    base: dict[str, Any] = field(default_factory=dict)
    conflicts: list[Conflict] = field(default_factory=list)


def is_empty(value: Any) -> bool:
    """A value Strapi may hold before anyone set it: none, or an empty string. The forward sync always fills it."""
    return value is None or value == ""


def same(a: Any, b: Any) -> bool:
    """Equal for the merge: equal as Strapi stores values (`values_equal`), or both empty (None and "" are one to
    an editor)."""
    return (is_empty(a) and is_empty(b)) or values_equal(a, b)


@dataclass(frozen=True)
class Base:
    """What the sync keeps per entry of a two-way type: each field's agreed value, and the conflicts recorded on
    its fields (field -> `Conflict.as_record`), kept until the field next changes."""

    values: Mapping[str, Any] = field(default_factory=dict)
    conflicts: Mapping[str, Mapping[str, Any]] = field(default_factory=dict)


def winner_of(rule: str, medusa_at: str | datetime | None, strapi_at: str | datetime | None) -> str:
    """Which side a conflict goes to: the rule's side, or with `newest` the later edit (datetimes or ISO 8601
    texts; Strapi's on a tie or when a time is unknown, as the default rule)."""
    if rule == MEDUSA:
        return MEDUSA
    medusa_moment, strapi_moment = _moment(medusa_at), _moment(strapi_at)
    if rule == NEWEST and medusa_moment and strapi_moment and medusa_moment > strapi_moment:
        return MEDUSA
    return STRAPI


def _moment(value: str | datetime | None) -> datetime | None:
    if isinstance(value, str):
        try:
            value = datetime.fromisoformat(value.replace("Z", "+00:00"))
        except ValueError:
            return None
    if value is not None and value.tzinfo is None:
        value = value.replace(tzinfo=timezone.utc)  # Medusa's timestamps without a zone are UTC
    return value


def merge_entry(fields: Iterable[str], base: Mapping[str, Any] | None, medusa: Mapping[str, Any],
                strapi: Mapping[str, Any], rule: str = DEFAULT_RULE, *, medusa_at: str | datetime | None = None,
                strapi_at: str | datetime | None = None) -> EntryMerge:
    """Merge each of `fields` of one entry (`base` None: no base kept yet; timestamps for `newest`)."""
    merged = EntryMerge()
    for name in fields:
        m, s = medusa.get(name), strapi.get(name)
        if is_empty(s) and not is_empty(m):
            merged.to_strapi[name] = merged.base[name] = m  # an empty Strapi value is filled, never carried to Medusa
            continue
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


def _without_base(merged: EntryMerge, name: str, m: Any, s: Any, rule: str, medusa_at: Any, strapi_at: Any) -> None:
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


@dataclass(frozen=True)
class ForwardOwned:
    """What the forward sync does with an existing entry's owned fields: the values it writes to Strapi, and the
    fields whose agreed value moves (or is taken for the first time), to record once the write went through."""

    to_strapi: dict[str, Any]
    agreed: dict[str, Any]


def forward_owned(fields: Iterable[str], base: Base | None, medusa: Mapping[str, Any],
                  strapi: Mapping[str, Any]) -> ForwardOwned:
    """The forward sync's part of the merge, for an entry that exists: Medusa's value goes to Strapi where Strapi's
    is empty or still the base (Medusa changed it); equal values become the base. Strapi's own changes, conflicts
    and different values without a base are the write-back's to merge (`merge_entry`): nothing is written for them."""
    to_strapi: dict[str, Any] = {}
    agreed: dict[str, Any] = {}
    known = base.values if base is not None else {}
    for name in fields:
        m, s = medusa.get(name), strapi.get(name)
        if same(m, s):
            if name not in known or not same(known[name], m):
                agreed[name] = m
        elif is_empty(s) or (name in known and same(s, known[name])):
            to_strapi[name] = agreed[name] = m
    return ForwardOwned(to_strapi, agreed)


def next_base(stored: Base | None, agreed: Mapping[str, Any], conflicts: Iterable[Conflict] = (), *,
              at: str) -> Base | None:
    """The base to record after a merge: `stored` with the `agreed` values and the new `conflicts` (recorded `at`);
    a field's earlier conflict is dropped when its value moved. None when nothing would change."""
    values = dict(stored.values) if stored else {}
    kept = dict(stored.conflicts) if stored else {}
    new = {c.field: c.as_record(at) for c in conflicts}
    for name, value in agreed.items():
        if name in values and not same(values[name], value):
            kept.pop(name, None)
        values[name] = value
    kept.update(new)
    if stored is not None and not new and values == dict(stored.values) and kept == dict(stored.conflicts):
        return None
    return Base(values, kept)
