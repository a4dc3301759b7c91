"""A reconcile's deletes: the entries whose medusa_id is no live Medusa row (hard deletes, soft deletes missed).

During the run it notes the live rows read (8 bytes each) and the rows that failed to convert (their entries
stay); at the end it streams the synced entries, keeps the candidates, and checks them against Medusa again
(a row created or revived meanwhile, and synced by another run, is live and stays).
"""

from __future__ import annotations

from typing import Any, Iterable

from ..medusa.source import IN_BATCH, MedusaSource, Window
from ..mapping import DEFAULT_KEY, MappingSpec
from ..row_failure import RowFailure
from .keyset import KeySet
from .extract import extracted_records
from .transform import Record


def deletable(entries: Iterable[dict[str, Any]], live: set[str], protected_keys: set[str], source_key,
              key: str = DEFAULT_KEY) -> list[dict[str, Any]]:
    """Entries whose medusa_id (under `key`) is not live, except those of source rows that failed (never deleted
    for that)."""
    return [
        e for e in entries
        if e.get(key) and e[key] not in live and source_key(e[key]) not in protected_keys
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
                "(a wrong database, or a different Medusa: ids change between Medusa v1 and v2, see docs/mappings.md#medusa-v2); "
                "allow it with --allow-mass-delete")
    return None


class Reconciler:
    """The deletes of one reconcile of `spec`; refuses a mass delete unless `allow_mass_delete`."""

    def __init__(self, spec: MappingSpec, source: MedusaSource, *, allow_mass_delete: bool = False,
                 chunk_size: int = 1000):
        self.spec = spec
        self.source = source
        self.allow_mass_delete = allow_mass_delete
        self.chunk_size = chunk_size
        self.live = KeySet()  # medusa_ids of live Medusa rows seen in this run
        self.failed_keys: set[str] = set()  # source keys of rows that failed to convert: their entries stay

    def note_read(self, records: Iterable[Record]) -> None:
        """Remember the live rows among `records` and the keys of those that failed to convert."""
        live = [r for r in records if not r.deleted]
        self.live.update(r.medusa_id for r in live)
        self.failed_keys.update(str(r.key) for r in live if r.error)

    def orphans(self, synced_entries: Iterable[dict[str, Any]]) -> list[dict[str, Any]] | RowFailure:
        """The entries (documentId and the key) to delete, or the refusal of a mass delete (a RowFailure)."""
        synced = 0

        def counted(entries: Iterable[dict[str, Any]]) -> Iterable[dict[str, Any]]:
            nonlocal synced
            for entry in entries:
                synced += 1
                yield entry

        # Streamed: only the candidates are kept, however many entries the type has.
        candidates = deletable(counted(synced_entries), self.live, self.failed_keys, self.spec.source_key, self.spec.key)
        live_now, failing_now = self._live_now([e[self.spec.key] for e in candidates])
        orphans = deletable(candidates, live_now, failing_now, self.spec.source_key, self.spec.key)
        if orphans and not self.allow_mass_delete:
            live_rows = len(self.live) or self.source.count(self.spec)
            refusal = mass_delete_refusal(len(orphans), synced, live_rows, self.spec.table)
            if refusal:
                return RowFailure("*", "delete", refusal)
        return orphans

    def _live_now(self, medusa_ids: list[str]) -> tuple[set[str], set[str]]:
        """Which of `medusa_ids` are live in Medusa at this moment, and the source keys whose rows fail."""
        keys = sorted({self.spec.source_key(mid) for mid in medusa_ids})
        live: set[str] = set()
        failing: set[str] = set()
        for start in range(0, len(keys), IN_BATCH):
            for records in extracted_records(self.source, self.spec, Window.of_keys(keys[start:start + IN_BATCH]), self.chunk_size):
                live.update(record.medusa_id for record in records)
                failing.update(str(record.key) for record in records if record.error)
        return live, failing
