"""The merge bases of a two-way content type (a mapping with `write_back`), kept in Strapi beside the sync's other
state (`merge-base`, see `system_types`): one entry per synced entry, keyed `<content type>:<medusa_id>`,
holding the values of its two-way fields both sides last agreed on and the conflicts recorded on them.

Read a chunk at a time (one request per few thousand entries through the bulk-upsert plugin, else REST pages),
written only where a base moved: an unchanged catalog writes none.
"""

from __future__ import annotations

from datetime import datetime, timezone
from typing import Any, Iterable, Iterator, Mapping

from ..strapi.client import StrapiClient
from ..strapi.keyed_records import KeyedRecords
from ..system_types import MERGE_BASE, plural_of
from .merge import Base

BASES = plural_of(MERGE_BASE)


def base_key(content_type: str, medusa_id: str) -> str:
    """The key of an entry's base: `<content type>:<medusa_id>`."""
    return f"{content_type}:{medusa_id}"


def now_iso() -> str:
    """The current time as Strapi writes it (UTC, milliseconds, `Z`)."""
    return datetime.now(timezone.utc).isoformat(timespec="milliseconds").replace("+00:00", "Z")


class MergeBases:
    """Reads and records the bases of one content type."""

    def __init__(self, client: StrapiClient, content_type: str):
        self.client = client
        self.content_type = content_type
        self.records = KeyedRecords(client, BASES)

    def read(self, medusa_ids: Iterable[str]) -> dict[str, Base]:
        """medusa_id -> its base, for those of `medusa_ids` that have one."""
        keys = {base_key(self.content_type, m): m for m in medusa_ids if m}
        found = self.records.find(keys, ["base", "conflicts"])
        return {keys[key]: Base(entry.get("base") or {}, entry.get("conflicts") or {}) for key, entry in found.items()}

    def record(self, bases: Mapping[str, Base]) -> None:
        """Write the bases of `bases` (medusa_id -> base), replacing what was kept for each."""
        at = now_iso()
        self.records.write([{"key": base_key(self.content_type, m), "content_type": self.content_type, "medusa_id": m,
                             "base": dict(b.values), "conflicts": dict(b.conflicts) or None,
                             "conflict_count": len(b.conflicts), "recorded_at": at} for m, b in bases.items()])

    def with_conflicts(self) -> Iterator[tuple[str, Base]]:
        """(medusa_id, base) of every entry of the type with a conflict recorded."""
        filters = [("filters[content_type][$eq]", self.content_type), ("filters[conflict_count][$gt]", 0)]
        for entry in self.client.iter_entries(BASES, fields=["medusa_id", "base", "conflicts"], filters=filters):
            yield entry["medusa_id"], Base(entry.get("base") or {}, entry.get("conflicts") or {})


def conflict_rows(bases: Iterable[tuple[str, Base]]) -> Iterator[dict[str, Any]]:
    """One row per recorded conflict: medusa_id, field, base, medusa, strapi, winner, rule, at."""
    for medusa_id, base in bases:
        for name, conflict in sorted(base.conflicts.items()):
            yield {"medusa_id": medusa_id, "field": name, **conflict}
