"""The synced entries of a two-way type: the medusa_id each entry (by documentId) was first seen with, kept in
Strapi (`synced-entry`, see `system_types`), so that the write-back writes a Medusa row only through the
entry that stands for it, even where Strapi itself would let an editor change an entry's medusa_id."""

from __future__ import annotations

from typing import Iterable, Mapping

from ..strapi.client import StrapiClient
from ..strapi.keyed_records import KeyedRecords
from ..system_types import SYNCED_ENTRY, plural_of

LEDGER = plural_of(SYNCED_ENTRY)


def ledger_key(content_type: str, document_id: str) -> str:
    """The key of an entry's record: `<content type>:<documentId>`."""
    return f"{content_type}:{document_id}"


class EntryLedger:
    """Reads and records the (documentId, medusa_id) pairs of one content type."""

    def __init__(self, client: StrapiClient, content_type: str):
        self.content_type = content_type
        self.records = KeyedRecords(client, LEDGER)

    def known(self, document_ids: Iterable[str]) -> dict[str, str]:
        """documentId -> the medusa_id it was first seen with, for those of `document_ids` that were seen."""
        keys = {ledger_key(self.content_type, d): d for d in document_ids if d}
        return {keys[key]: entry["medusa_id"] for key, entry in self.records.find(keys, ["medusa_id"]).items()}

    def record(self, pairs: Mapping[str, str]) -> None:
        """Record first sightings (documentId -> medusa_id)."""
        self.records.write([{"key": ledger_key(self.content_type, d), "content_type": self.content_type,
                             "entry_document": d, "medusa_id": m} for d, m in pairs.items()])
