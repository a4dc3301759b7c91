"""Read both sides and compare them, for integration tests."""

from __future__ import annotations

from collections import Counter

from pipelines.extract import MedusaSource
from pipelines.mapping import MappingSet, MappingSpec
from pipelines.strapi import StrapiClient
from pipelines.sync import values_equal
from pipelines.transform import jsonable


def strapi_entries(strapi: StrapiClient, spec: MappingSpec) -> list[dict]:
    """Every entry of the content type with its mapped fields and relation targets' medusa_id."""
    return list(strapi.iter_entries(
        spec.plural,
        fields=["medusa_id", *spec.fields],
        populate={rel.attribute: ["medusa_id"] for rel in spec.relations},
    ))


def medusa_rows(source: MedusaSource, spec: MappingSpec) -> list[dict]:
    """Live (not soft-deleted) rows of the spec's table."""
    with source.engine.connect() as conn:
        return [dict(r) for r in conn.execute(source.select(spec)).mappings()]


def assert_in_sync(source: MedusaSource, strapi: StrapiClient, mappings: MappingSet) -> dict[str, int]:
    """Every live Medusa row is in Strapi exactly once, with equal values and relations; returns counts."""
    counts = {}
    for spec in mappings:
        entries = strapi_entries(strapi, spec)
        ids = Counter(e["medusa_id"] for e in entries)
        duplicates = [mid for mid, n in ids.items() if n > 1]
        assert not duplicates, f"{spec.content_type}: duplicated medusa_id {duplicates[:5]}"
        rows = {str(r[spec.primary_key]): r for r in medusa_rows(source, spec)}
        assert set(ids) == set(rows), (
            f"{spec.content_type}: missing {sorted(set(rows) - set(ids))[:5]}, extra {sorted(set(ids) - set(rows))[:5]}"
        )
        by_id = {e["medusa_id"]: e for e in entries}
        for mid, row in rows.items():
            entry = by_id[mid]
            for attr, column in spec.fields.items():
                assert values_equal(jsonable(row[column]), entry.get(attr)), (
                    f"{spec.content_type} {mid}.{attr}: medusa {row[column]!r} != strapi {entry.get(attr)!r}"
                )
            for rel in spec.relations:
                related = entry.get(rel.attribute)
                got = related["medusa_id"] if related else None
                want = None if row[rel.column] is None else str(row[rel.column])
                assert got == want, f"{spec.content_type} {mid}.{rel.attribute}: {got!r} != {want!r}"
        counts[spec.content_type] = len(rows)
    return counts
