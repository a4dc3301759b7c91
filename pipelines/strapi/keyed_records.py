"""Entries of one of the sync's own Strapi types, keyed by their unique `key` attribute: found and written a batch
at a time, through the bulk-upsert plugin where it takes the type, else over REST."""

from __future__ import annotations

from typing import Any, Iterable, Mapping

from .bulk import BulkClient
from .client import StrapiClient

BATCH = 1000  # entries per bulk write


class KeyedRecords:
    """Finds and upserts the entries of `plural` by `key` (the plugin's capability is asked once, on first use)."""

    def __init__(self, client: StrapiClient, plural: str):
        self.client = client
        self.plural = plural
        self._bulk: BulkClient | None | bool = False  # unknown until first needed; None: the plugin cannot take it

    def find(self, keys: Iterable[str], fields: list[str]) -> dict[str, dict[str, Any]]:
        """key -> entry (with `fields`), for those of `keys` that exist."""
        keys = list(keys)
        if not keys:
            return {}
        bulk = self._bulk_client()
        return bulk.find(self.plural, keys, fields=fields) if bulk is not None else self.client.find_by(
            self.plural, "key", keys, fields=fields)

    def write(self, entries: list[Mapping[str, Any]]) -> None:
        """Create or update each of `entries` (each with its `key`)."""
        bulk = self._bulk_client()
        for start in range(0, len(entries), BATCH):
            batch = [dict(e) for e in entries[start:start + BATCH]]
            if bulk is not None:
                bulk.write(self.plural, batch, [])
                continue
            for entry in batch:
                self.client.upsert_by(self.plural, "key", entry["key"], {k: v for k, v in entry.items() if k != "key"})

    def _bulk_client(self) -> BulkClient | None:
        if self._bulk is False:
            bulk = BulkClient(self.client, key="key")
            self._bulk = bulk if bulk.capability(self.plural).writable else None
        return self._bulk  # type: ignore[return-value]
