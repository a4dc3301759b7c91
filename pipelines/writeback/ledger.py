"""The synced entries of a two-way type: the medusa_id each entry (by documentId) was first seen with, kept in
Strapi (`synced-entry`, see `strapi.system_types`), so that the write-back writes a Medusa row only through the
entry that stands for it, even where Strapi itself would let an editor change an entry's medusa_id."""

from __future__ import annotations

from typing import Iterable, Mapping

from ..strapi.bulk import BulkClient
from ..strapi.client import StrapiClient
from ..strapi.system_types import SYNCED_ENTRY, plural_of

LEDGER = plural_of(SYNCED_ENTRY)
BATCH = 2000


def ledger_key(content_type: str, document_id: str) -> str:
    """The key of an entry's record: `<content type>:<documentId>`."""
    return f"{content_type}:{document_id}"


class EntryLedger:
    """Reads and records the (documentId, medusa_id) pairs of one content type."""

    def __init__(self, client: StrapiClient, content_type: str):
        self.client = client
        self.content_type = content_type
        self._bulk: BulkClient | None | bool = False  # unknown until first needed; None: the plugin cannot write it

    def known(self, document_ids: Iterable[str]) -> dict[str, str]:
        """documentId -> the medusa_id it was first seen with, for those of `document_ids` that were seen."""
        keys = {ledger_key(self.content_type, d): d for d in document_ids if d}
        found = self.client.find_by(LEDGER, "key", list(keys), fields=["medusa_id"]) if keys else {}
        return {keys[key]: entry["medusa_id"] for key, entry in found.items()}

    def record(self, pairs: Mapping[str, str]) -> None:
        """Record first sightings (documentId -> medusa_id); an existing record is left as it is."""
        entries = [{"key": ledger_key(self.content_type, d), "content_type": self.content_type, "entry_document": d,
                    "medusa_id": m} for d, m in pairs.items()]
        bulk = self._bulk_client()
        for start in range(0, len(entries), BATCH):
            batch = entries[start:start + BATCH]
            if bulk is not None:
                bulk.write(LEDGER, batch, [])
                continue
            for entry in batch:
                self.client.upsert_by(LEDGER, "key", entry["key"], {k: v for k, v in entry.items() if k != "key"})

    def _bulk_client(self) -> BulkClient | None:
        if self._bulk is False:
            bulk = BulkClient(self.client, key="key")
            self._bulk = bulk if bulk.capability(LEDGER).writable else None
        return self._bulk  # type: ignore[return-value]
