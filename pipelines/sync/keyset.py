"""A set of medusa_ids in 8 bytes each, for the run-long sets a reconcile needs (which rows are live).

A Python set of 1,000,000 ids costs ~150 MB; this costs 8 MB, so a sync's memory stays flat as the catalog
grows. Ids are kept as their 64-bit hashes: two ids with the same hash (about 1 in 10^7 for a million
ids) make one look live when it is not, which only ever spares an entry a reconcile would have deleted.
"""

from __future__ import annotations

from typing import Iterable

import numpy as np


class KeySet:
    """Add ids in batches, then ask membership; sorted lazily on the first question after an addition."""

    def __init__(self) -> None:
        self._parts: list[np.ndarray] = []
        self._sorted = np.empty(0, dtype=np.int64)

    def update(self, ids: Iterable[str]) -> None:
        """Add ids."""
        part = np.fromiter((hash(i) for i in ids), dtype=np.int64)
        if part.size:
            self._parts.append(part)

    def _frozen(self) -> np.ndarray:
        if self._parts:
            self._sorted = np.unique(np.concatenate([self._sorted, *self._parts]))
            self._parts = []
        return self._sorted

    def __contains__(self, medusa_id: object) -> bool:
        keys = self._frozen()
        h = hash(medusa_id)
        at = int(np.searchsorted(keys, h))
        return at < keys.size and int(keys[at]) == h

    def __len__(self) -> int:
        return int(self._frozen().size)
