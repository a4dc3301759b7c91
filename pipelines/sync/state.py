"""The sync's durable state, kept in Strapi (see `system_types`): recorded watermarks and the
quarantine of rows that cannot load. Shared by every entry point that can reach Strapi."""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from datetime import datetime, timezone
from typing import Iterable

from ..medusa.changes import Watermark
from ..strapi.client import StrapiClient
from ..system_types import QUARANTINE, SYNC_STATE, plural_of
from ..row_failure import RowFailure

STATE_PLURAL = plural_of(SYNC_STATE)
QUARANTINE_PLURAL = plural_of(QUARANTINE)
MAX_REASON = 2000  # characters of a failure reason kept in the quarantine


def _now() -> str:
    return datetime.now(timezone.utc).isoformat().replace("+00:00", "Z")


class SyncState:
    """Watermarks recorded after successful runs, one per (Medusa database, content type)."""

    def __init__(self, client: StrapiClient, source: str):
        self.client = client
        self.source = source  # the Medusa database's identity (host:port/name), never credentials

    def key(self, content_type: str) -> str:
        """The unique key of a content type's state entry."""
        return f"{content_type}@{self.source}"

    def get(self, content_type: str) -> Watermark | None:
        """The recorded watermark of `content_type`, or None (never synced from this database)."""
        return self.get_all([content_type]).get(content_type)

    def get_all(self, content_types: Iterable[str]) -> dict[str, Watermark]:
        """Recorded watermarks of `content_types` (one request per 100)."""
        names = list(content_types)
        found = self.client.find_by(STATE_PLURAL, "key", [self.key(n) for n in names], fields=["content_type", "watermark"])
        marks = {entry["content_type"]: Watermark.from_dict(entry.get("watermark")) for entry in found.values()}
        return {name: mark for name, mark in marks.items() if mark is not None}

    def record(self, content_type: str, watermark: Watermark, by: str) -> None:
        """Record the watermark a successful run confirmed (create or replace)."""
        data = {"content_type": content_type, "source": self.source, "watermark": watermark.to_dict(),
                "recorded_by": by[:255], "recorded_at": _now()}
        self.client.upsert_by(STATE_PLURAL, "key", self.key(content_type), data)


@dataclass(frozen=True)
class QuarantinedRow:
    """A row that cannot load: where it failed, why, since when, how often."""

    content_type: str
    medusa_id: str
    action: str
    reason: str
    first_seen: str
    last_seen: str
    attempts: int
    document_id: str = ""


class Quarantine:
    """Rows that failed with a permanent error, kept until they load (or their Medusa row is gone)."""

    FIELDS = ["content_type", "medusa_id", "action", "reason", "first_seen", "last_seen", "attempts"]

    def __init__(self, client: StrapiClient, source: str):
        self.client = client
        self.source = source

    def key(self, content_type: str, medusa_id: str) -> str:
        """A fixed-size unique key (medusa_ids of JSON entries can be long)."""
        return hashlib.sha256(f"{self.source}|{content_type}|{medusa_id}".encode()).hexdigest()

    def rows(self, content_type: str | None = None) -> list[QuarantinedRow]:
        """Quarantined rows of this Medusa database (of one content type, or all)."""
        filters = [("filters[source][$eq]", self.source)]
        if content_type:
            filters.append(("filters[content_type][$eq]", content_type))
        return [
            QuarantinedRow(**{f: entry.get(f) for f in self.FIELDS}, document_id=entry["documentId"])
            for entry in self.client.iter_entries(QUARANTINE_PLURAL, fields=self.FIELDS, filters=filters)
        ]

    def add(self, content_type: str, failures: Iterable[RowFailure]) -> int:
        """Quarantine each failure (or count one more attempt of a row already there); returns how many."""
        failures = list(failures)
        keys = {self.key(content_type, f.medusa_id): f for f in failures}
        existing = self.client.find_by(QUARANTINE_PLURAL, "key", list(keys), fields=["attempts"])
        now = _now()
        for key, failure in keys.items():
            attempts = int(existing[key].get("attempts") or 0) + 1 if key in existing else 1
            data = {"action": failure.action, "reason": failure.message[:MAX_REASON], "last_seen": now, "attempts": attempts}
            self.client.upsert_by(QUARANTINE_PLURAL, "key", key, data, create_only={
                "source": self.source, "content_type": content_type, "medusa_id": failure.medusa_id, "first_seen": now,
            })
        return len(keys)

    def clear(self, rows: Iterable[QuarantinedRow]) -> int:
        """Remove rows from the quarantine (they loaded, or their Medusa row is gone)."""
        count = 0
        for row in rows:
            self.client.delete(QUARANTINE_PLURAL, row.document_id)
            count += 1
        return count
