"""Compare the keys of a content type on both sides: what is missing in Strapi, what is orphaned there."""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass

from ..medusa.source import FULL, MedusaSource
from ..mapping import MappingSpec
from ..strapi.client import StrapiClient
from .transform import transform

MAX_LISTED = 20


@dataclass(frozen=True)
class KeyComparison:
    """Live Medusa rows vs Strapi entries of one content type, by medusa_id."""

    medusa_count: int
    strapi_count: int
    missing: list[str]  # live in Medusa, absent from Strapi (first few)
    orphaned: list[str]  # in Strapi with a medusa_id no live Medusa row has (first few)
    missing_count: int
    orphaned_count: int
    without_medusa_id: int  # entries the sync does not own (never touched)
    duplicated: list[str] = ()  # medusa_ids held by more than one entry (first few)

    @property
    def counts_match(self) -> bool:
        """Strapi holds as many synced entries as Medusa has live rows."""
        return self.medusa_count == self.strapi_count

    @property
    def keys_match(self) -> bool:
        """No medusa_id is missing from, orphaned in or duplicated in Strapi."""
        return self.missing_count == 0 and self.orphaned_count == 0 and not self.duplicated


def compare_keys(spec: MappingSpec, source: MedusaSource, client: StrapiClient) -> KeyComparison:
    """Read every live key in Medusa and every medusa_id in Strapi (paged), and compare the sets."""
    medusa_ids: set[str] = set()
    for rows in source.iter_chunks(spec, FULL):
        medusa_ids.update(r.medusa_id for r in transform(rows, spec))
    entries = list(client.iter_entries(spec.plural, fields=[spec.key], query=spec.strapi.read))
    held = Counter(e[spec.key] for e in entries if e.get(spec.key))
    strapi_ids = set(held)
    missing = sorted(medusa_ids - strapi_ids)
    orphaned = sorted(strapi_ids - medusa_ids)
    return KeyComparison(
        medusa_count=len(medusa_ids),
        strapi_count=sum(held.values()),  # entries, not ids: a duplicate entry makes the counts differ
        missing=missing[:MAX_LISTED],
        orphaned=orphaned[:MAX_LISTED],
        missing_count=len(missing),
        orphaned_count=len(orphaned),
        without_medusa_id=len(entries) - sum(held.values()),
        duplicated=sorted(mid for mid, n in held.items() if n > 1)[:MAX_LISTED],
    )
