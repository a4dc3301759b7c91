"""Pure decisions of a sync: what to write for one Medusa record given Strapi's current entry.

No I/O here: the runner (`run.py`) fetches rows, entries and target documentIds, asks these functions
what to do, and sends the writes. Values are compared the way Strapi stores them.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from typing import Any, Iterable, Literal, Mapping

from ..mapping import DEFAULT_KEY
from .merge import Base, forward_owned
from .transform import Link, Record
from .values import values_equal

Action = Literal["create", "update", "unchanged", "fail"]


@dataclass(frozen=True)
class PlanContext:
    """What the planner knows about the content type and the targets resolved so far."""

    content_type: str
    relations: Mapping[str, str]  # relation attribute -> target content type
    key: str = DEFAULT_KEY  # the attribute holding an entry's medusa_id (the mapping's `key`)
    link_keys: Mapping[str, str] = field(default_factory=dict)  # relation attribute -> its target's key (default DEFAULT_KEY)
    json_attributes: frozenset[str] = frozenset()
    target_ids: Mapping[str, Mapping[str, str]] = field(default_factory=dict)  # target type -> medusa_id -> documentId
    assume_targets: bool = False  # a dry run: targets missing now would be created earlier in the same plan
    cms_owned: frozenset[str] = frozenset()  # the mapping's `write_back`: two-way fields, merged (see `merge`)
    bases: Mapping[str, Base] | None = None  # medusa_id -> its merge base, for the records about to be planned
    # relations to a localized type: Strapi links each locale to the same locale of the target (another locale's
    # link waits for that locale of the target, which its editors create)
    locale_bound: frozenset[str] = frozenset()

    def link_key(self, attribute: str) -> str:
        """The key attribute of the targets of relation `attribute`."""
        return self.link_keys.get(attribute, DEFAULT_KEY)


@dataclass(frozen=True)
class EntryPlan:
    """What to do with one record: the write's data, and self-relations left for a second pass."""

    action: Action
    data: dict[str, Any] = field(default_factory=dict)
    document_id: str | None = None
    deferred: tuple[str, ...] = ()
    reason: str | None = None  # why it fails
    missing: tuple[tuple[str, tuple[str, ...]], ...] = ()  # (target type, medusa_ids) not in Strapi
    agreed: Mapping[str, Any] = field(default_factory=dict)  # two-way fields' new agreed values, once written


def plan_entry(record: Record, current: dict[str, Any] | None, ctx: PlanContext) -> EntryPlan:
    """Create (no current entry), update (only what differs), unchanged, or fail (a target not in Strapi).

    Two-way attributes (`ctx.cms_owned`) are written on create, and then as `merge.forward_owned` decides
    against the entry's base (`ctx.bases`): while Strapi's value is empty or still the base, never over an
    editor's change; `agreed` holds the values to record as the new base once the write went through.

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
        data = {ctx.key: record.medusa_id, **entry_data(record.attributes, links, ctx)}
        agreed = {k: record.attributes.get(k) for k in ctx.cms_owned}
        return EntryPlan("create", data, deferred=tuple(deferred), agreed=agreed)
    owned = forward_owned(ctx.cms_owned, (ctx.bases or {}).get(record.medusa_id), record.attributes,
                          {k: current_value(k, current, ctx) for k in ctx.cms_owned})
    attributes = {k: v for k, v in record.attributes.items()
                  if k not in ctx.cms_owned
                  and not values_equal(v, current_value(k, current, ctx), json=k in ctx.json_attributes)}
    attributes.update(owned.to_strapi)
    links = {k: v for k, v in links.items() if links_differ(v, current.get(k), ctx.link_key(k))}
    if attributes or links:
        return EntryPlan("update", entry_data(attributes, links, ctx), current["documentId"], tuple(deferred),
                         agreed=owned.agreed)
    return EntryPlan("unchanged", deferred=tuple(deferred), agreed=owned.agreed)


def plan_other_locale(record: Record, plan: EntryPlan, current: dict[str, Any], other: dict[str, Any],
                      ctx: PlanContext) -> dict[str, Any]:
    """What another locale of an entry lacks of the values its locales share (a localized type's Medusa fields
    and relations; never its own, `cms_only`, content): the record's values, and for two-way fields the value
    the default locale holds once `plan` is written. Empty when that locale is up to date.

    Strapi carries a shared field written in one locale to the others only in the same status (not to their
    drafts), and relations not at all: the sync writes them itself (those to a localized type excepted,
    `PlanContext.locale_bound`).
    """
    if plan.action not in ("update", "unchanged"):
        return {}
    wanted = {k: (plan.data.get(k, current_value(k, current, ctx)) if k in ctx.cms_owned else v)
              for k, v in record.attributes.items()}
    attributes = {k: v for k, v in wanted.items()
                  if not values_equal(v, current_value(k, other, ctx), json=k in ctx.json_attributes)}
    links = {k: v for k, v in record.links.items()
             if k not in plan.deferred and k not in ctx.locale_bound and links_differ(v, other.get(k), ctx.link_key(k))}
    return entry_data(attributes, links, ctx) if attributes or links else {}


def plan_deferred_links(record: Record, attributes: Iterable[str], current: dict[str, Any], ctx: PlanContext) -> EntryPlan:
    """Second pass of self-relations, once the run has written the entries they point at."""
    attributes = list(attributes)
    known = ctx.target_ids.get(ctx.content_type, {})
    unresolved = [mid for attr in attributes for mid in link_ids(record.links[attr]) if mid not in known]
    if unresolved:
        return EntryPlan("fail", reason=not_in_strapi(attributes[0], ctx.content_type, unresolved))
    changed = {a: record.links[a] for a in attributes if links_differ(record.links[a], current.get(a), ctx.link_key(a))}
    if changed:
        return EntryPlan("update", entry_data({}, changed, ctx), current["documentId"])
    return EntryPlan("unchanged")


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


def links_differ(desired: Link, current: Any, key: str = DEFAULT_KEY) -> bool:
    """Whether Strapi's populated relation (dict, list of dicts or None, each with the target's `key`) differs
    from the desired targets."""
    if isinstance(desired, list):
        return sorted(desired) != sorted(e[key] for e in current or [])
    return desired != (current.get(key) if isinstance(current, dict) else None)
