"""The documentIds of a content type's relation targets, for the records about to be planned.

A run keeps the targets it found between chunks (the regions, collections and tags chunks share) in a bounded
cache, and looks up the rest. Only the lookup stage of a run calls it, so the cache needs no lock.
"""

from __future__ import annotations

from typing import Any, Callable, Iterable, Mapping

from .plan import link_ids
from .transform import Record

Find = Callable[[str, Iterable[str]], "dict[str, dict[str, Any]]"]  # (target type, medusa_ids) -> entries by medusa_id

# Relation targets' documentIds a run keeps between chunks, all target types together: enough for the targets
# chunks share (regions, collections, tags); a product's own images or variants are read with its chunk anyway.
# Entries kept for long pin the allocator's memory among short-lived chunks', so a large cache grows the peak.
TARGET_CACHE_SIZE = 10_000


class TargetResolver:
    """Target documentIds per target type and medusa_id, through `find` (the plugin's or REST's lookup).

    `relations`: relation attribute -> target content type."""

    def __init__(self, relations: Mapping[str, str], find: Find, cache_size: int = TARGET_CACHE_SIZE):
        self.relations = dict(relations)
        self.find = find
        self.cache_size = cache_size
        self._known: dict[str, dict[str, str]] = {}  # target type -> medusa_id -> documentId

    def targets_of(self, records: Iterable[Record]) -> dict[str, dict[str, str]]:
        """The documentIds of the entries `records` link to, per target type (those in Strapi): from the cache,
        the rest looked up. The cache is emptied when it outgrows `cache_size` (memory stays flat)."""
        records = list(records)
        if sum(len(known) for known in self._known.values()) > self.cache_size:
            self._known.clear()
        targets: dict[str, dict[str, str]] = {}
        for attribute, target in self.relations.items():
            known = self._known.setdefault(target, {})
            wanted = {mid for r in records for mid in link_ids(r.links.get(attribute))}
            missing = [mid for mid in wanted if mid not in known]
            if missing:
                found = self.find(target, missing)
                known.update({mid: entry["documentId"] for mid, entry in found.items()})
            chunk_targets = targets.setdefault(target, {})
            chunk_targets.update({mid: known[mid] for mid in wanted if mid in known})
        return targets
