"""Pure decisions of a sync: what to write for one Medusa record given Strapi's current entry.

No I/O here: the runner (`run.py`) fetches rows, entries and target documentIds, asks these functions
what to do, and sends the writes. Values are compared the way Strapi stores them.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from datetime import datetime
from decimal import Decimal
from typing import Any, Iterable, Literal, Mapping

from ..writeback.plan import is_empty
from .transform import Link, Record

Action = Literal["create", "update", "unchanged", "fail"]


@dataclass(frozen=True)
class PlanContext:
    """What the planner knows about the content type and the targets resolved so far."""

    content_type: str
    relations: Mapping[str, str]  # relation attribute -> target content type
    json_attributes: frozenset[str] = frozenset()
    target_ids: Mapping[str, Mapping[str, str]] = field(default_factory=dict)  # target type -> medusa_id -> documentId
    assume_targets: bool = False  # a dry run: targets missing now would be created earlier in the same plan
    cms_owned: frozenset[str] = frozenset()  # the mapping's `write_back`: set on create and while empty, then Strapi's


@dataclass(frozen=True)
class EntryPlan:
    """What to do with one record: the write's data, and self-relations left for a second pass."""

    action: Action
    data: dict[str, Any] = field(default_factory=dict)
    document_id: str | None = None
    deferred: tuple[str, ...] = ()
    reason: str | None = None  # why it fails
    missing: tuple[tuple[str, tuple[str, ...]], ...] = ()  # (target type, medusa_ids) not in Strapi


def plan_entry(record: Record, current: dict[str, Any] | None, ctx: PlanContext) -> EntryPlan:
    """Create (no current entry), update (only what differs), unchanged, or fail (a target not in Strapi).

    Attributes the CMS owns (`ctx.cms_owned`) are written on create and while the entry's value is empty,
    never over an editor's value.

    Links to the content type itself whose targets are not in Strapi yet are deferred: they may be
    created later in the same run.
    """
    missing, reasons, deferred = [], [], []
    for attr, link in record.links.items():
        target = ctx.relations[attr]
        known = ctx.target_ids.get(target, {})
        unresolved = [mid for mid in link_ids(link) if mid not in known]
        if unresolved and target == ctx.content_type:
            deferred.append(attr)
        elif unresolved:
            missing.append((target, tuple(unresolved)))
            reasons.append(not_in_strapi(attr, target, unresolved))
    if missing and not ctx.assume_targets:
        return EntryPlan("fail", reason="; ".join(reasons), missing=tuple(missing))
    links = {k: v for k, v in record.links.items() if k not in deferred}
    if current is None:
        data = {"medusa_id": record.medusa_id, **entry_data(record.attributes, links, ctx)}
        return EntryPlan("create", data, deferred=tuple(deferred))
    attributes = {k: v for k, v in record.attributes.items()
                  if not (k in ctx.cms_owned and not is_empty(current.get(k)))  # an editor's value stays
                  and not values_equal(v, current_value(k, current, ctx), json=k in ctx.json_attributes)}
    links = {k: v for k, v in links.items() if links_differ(v, current.get(k))}
    if attributes or links:
        return EntryPlan("update", entry_data(attributes, links, ctx), current["documentId"], tuple(deferred))
    return EntryPlan("unchanged", deferred=tuple(deferred))


def plan_deferred_links(record: Record, attributes: Iterable[str], current: dict[str, Any], ctx: PlanContext) -> EntryPlan:
    """Second pass of self-relations, once the run has written the entries they point at."""
    attributes = list(attributes)
    known = ctx.target_ids.get(ctx.content_type, {})
    unresolved = [mid for attr in attributes for mid in link_ids(record.links[attr]) if mid not in known]
    if unresolved:
        return EntryPlan("fail", reason=not_in_strapi(attributes[0], ctx.content_type, unresolved))
    changed = {a: record.links[a] for a in attributes if links_differ(record.links[a], current.get(a))}
    if changed:
        return EntryPlan("update", entry_data({}, changed, ctx), current["documentId"])
    return EntryPlan("unchanged")


def deletable(entries: Iterable[dict[str, Any]], live: set[str], protected_keys: set[str], source_key) -> list[dict[str, Any]]:
    """Entries whose medusa_id is not live, except those of source rows that failed (never deleted for that)."""
    return [
        e for e in entries
        if e.get("medusa_id") and e["medusa_id"] not in live and source_key(e["medusa_id"]) not in protected_keys
    ]


MASS_DELETE_SHARE = 0.5  # a reconcile refuses to delete more than this share of a type's synced entries...
MASS_DELETE_MIN = 10  # ...when that is more than this many (deleting 1 of 1 is ordinary)


def mass_delete_refusal(orphans: int, synced: int, live_rows: int, table: str) -> str | None:
    """Why a reconcile must not delete `orphans` of `synced` entries without being told to, or None.

    An empty source, or most entries gone at once, is far more often a wrong database URL or a different
    Medusa (ids change between v1 and v2) than a catalog deleted on purpose.
    """
    if orphans and live_rows == 0:
        return (f"refusing to delete all {orphans} entries: Medusa's {table} has no live row (wrong database?); "
                "allow it with --allow-mass-delete")
    if orphans > MASS_DELETE_MIN and orphans > synced * MASS_DELETE_SHARE:
        return (f"refusing to delete {orphans} of {synced} entries: their medusa_ids are not live in Medusa's {table} "
                "(a wrong database, or a different Medusa: ids change between Medusa v1 and v2, see README); "
                "allow it with --allow-mass-delete")
    return None


def entry_data(attributes: dict[str, Any], links: dict[str, Link], ctx: PlanContext) -> dict[str, Any]:
    """Attributes plus relations as the target entries' documentIds (None disconnects)."""
    data = dict(attributes)
    for attr in ctx.json_attributes & data.keys():
        if isinstance(data[attr], str):
            # Strapi passes a string to a json column as already-encoded JSON text: encode it once.
            data[attr] = json.dumps(data[attr], ensure_ascii=False)
    for attr, link in links.items():
        known = ctx.target_ids.get(ctx.relations[attr], {})
        resolve = (lambda mid: known.get(mid, mid)) if ctx.assume_targets else known.__getitem__
        data[attr] = [resolve(mid) for mid in link] if isinstance(link, list) else None if link is None else resolve(link)
    return data


def current_value(attr: str, current: dict[str, Any], ctx: PlanContext) -> Any:
    """An entry's value as comparable to ours: Strapi reads a JSON string scalar back as its JSON text."""
    value = current.get(attr)
    if isinstance(value, str) and attr in ctx.json_attributes:
        try:
            return json.loads(value)
        except ValueError:
            return value
    return value


def link_ids(link: Link) -> list[str]:
    """The target medusa_ids of a link (none, one, or a list)."""
    return [] if link is None else [link] if isinstance(link, str) else link


def not_in_strapi(attribute: str, target: str, medusa_ids: list[str]) -> str:
    """The reason a row fails when a relation target is live in Medusa but absent from Strapi."""
    more = f" and {len(medusa_ids) - 5} more" if len(medusa_ids) > 5 else ""
    return f"{attribute} -> {target} {', '.join(map(repr, medusa_ids[:5]))}{more} is not in Strapi"


def links_differ(desired: Link, current: Any) -> bool:
    """Whether Strapi's populated relation (dict, list of dicts or None) differs from the desired targets."""
    if isinstance(desired, list):
        return sorted(desired) != sorted(e["medusa_id"] for e in current or [])
    return desired != (current.get("medusa_id") if isinstance(current, dict) else None)


def values_equal(desired: Any, current: Any, *, json: bool = False) -> bool:
    """Compare a value we would write with the value Strapi holds, the way Strapi stores it.

    Numbers compare by value (10 == 10.0, Decimal strings), exactly for typed attributes (a biginteger keeps
    every digit) and as doubles inside JSON (`json`: Strapi's JavaScript stores JSON numbers as doubles,
    so 2**60 + 1 comes back as 2**60 and must not look like a change on every run). JSON compares by
    parsed structure (key order ignored), datetimes at Strapi's millisecond precision. Nested values are
    walked without recursion.
    """
    pending = [(desired, current)]
    while pending:
        a, b = pending.pop()
        if isinstance(a, dict) and isinstance(b, dict):
            if a.keys() != b.keys():
                return False
            pending.extend((a[k], b[k]) for k in a)
        elif isinstance(a, list) and isinstance(b, list):
            if len(a) != len(b):
                return False
            pending.extend(zip(a, b))
        elif not _scalars_equal(a, b, json):
            return False
    return True


def _scalars_equal(desired: Any, current: Any, json: bool = False) -> bool:
    if desired is None or current is None:
        return desired is None and current is None
    if isinstance(desired, bool) or isinstance(current, bool):
        return desired is current or desired == current and type(desired) is type(current)
    if isinstance(desired, (int, float)) and isinstance(current, (int, float, str)):
        try:  # exactly, not through float: 2**60 + 1 is not 2**60 (Strapi returns bigintegers as text)
            if json and not isinstance(current, str):
                return float(desired) == float(current)
            return Decimal(str(desired)) == Decimal(str(current))
        except (ArithmeticError, ValueError, OverflowError):
            return False
    if isinstance(desired, str) and isinstance(current, str):
        return desired == current or _same_instant(desired, current)
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
