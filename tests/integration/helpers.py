"""Read both sides and compare them, for integration tests."""

from __future__ import annotations

import json
from collections import Counter

import sqlalchemy as sa

from pipelines.medusa.source import MedusaSource
from pipelines.mapping import MappingSet, MappingSpec, Relation
from pipelines.strapi.client import StrapiClient
from pipelines.sync.plan import values_equal
from pipelines.sync.transform import transform


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


def expected_links(source: MedusaSource, mappings: MappingSet, spec: MappingSpec, rel: Relation) -> dict[str, set[str]]:
    """Source key -> live target keys, straight from SQL (independent of the sync's own lookups)."""
    target = mappings.get(rel.target)
    t_live = f"and t.{target.soft_delete} is null" if target.soft_delete else ""
    if rel.column:
        s_live = f"where s.{spec.soft_delete} is null" if spec.soft_delete else ""
        sql = (f"select s.{spec.primary_key}, t.{target.primary_key} from {spec.table} s "
               f"left join {target.table} t on t.{target.primary_key} = s.{rel.column} {t_live} {s_live}")
    else:
        assert len(rel.through) == 1, "multi-hop paths are checked by explicit SQL in their own tests"
        th = rel.through[0]
        j_live = f"and j.{th.soft_delete} is null" if th.soft_delete else ""
        sql = (f"select j.{th.source}, t.{target.primary_key} from {th.table} j "
               f"join {target.table} t on t.{target.primary_key} = j.{th.target} {t_live} {j_live}")
    links: dict[str, set[str]] = {}
    with source.engine.connect() as conn:
        for key, target_key in conn.execute(sa.text(sql)):
            links.setdefault(str(key), set())
            if target_key is not None:
                links[str(key)].add(str(target_key))
    return links


def assert_in_sync(source: MedusaSource, strapi: StrapiClient, mappings: MappingSet, only: list[str] | None = None) -> dict[str, int]:
    """Every live Medusa row is in Strapi exactly once, with equal values and relations; returns counts."""
    counts = {}
    for spec in mappings:
        if only and spec.content_type not in only:
            continue
        entries = strapi_entries(strapi, spec)
        ids = Counter(e["medusa_id"] for e in entries)
        duplicates = [mid for mid, n in ids.items() if n > 1]
        assert not duplicates, f"{spec.content_type}: duplicated medusa_id {duplicates[:5]}"
        records = {r.medusa_id: r for r in transform(medusa_rows(source, spec), spec)}
        assert set(ids) == set(records), (
            f"{spec.content_type}: missing {sorted(set(records) - set(ids))[:5]}, extra {sorted(set(ids) - set(records))[:5]}"
        )
        by_id = {e["medusa_id"]: e for e in entries}
        for mid, record in records.items():
            entry = by_id[mid]
            for attr, value in record.attributes.items():
                got = entry.get(attr)
                if isinstance(value, str) and got == json.dumps(value, ensure_ascii=False):
                    got = value  # Strapi reads a JSON string scalar back as its JSON text
                assert values_equal(value, got), (
                    f"{spec.content_type} {mid}.{attr}: medusa {value!r} != strapi {got!r}"
                )
        for rel in spec.relations:
            want = expected_links(source, mappings, spec, rel)
            for mid, record in records.items():
                related = by_id[mid].get(rel.attribute)
                got = {e["medusa_id"] for e in related} if isinstance(related, list) else {related["medusa_id"]} if related else set()
                key = str(record.key)
                expected = want.get(key, set())
                if rel.to_one and len(expected) > 1:
                    expected = {min(expected)}
                assert got == expected, f"{spec.content_type} {mid}.{rel.attribute}: strapi {got} != medusa {expected}"
        counts[spec.content_type] = len(records)
    return counts


def clone_row(medusa_sql, table: str, key: str, **changes) -> None:
    """Insert a copy of row `key` of `table` with `changes` applied (a new row, in every column alike)."""
    medusa_sql(
        f"insert into {table} select (jsonb_populate_record(null::{table}, to_jsonb(t) || cast(:changes as jsonb))).* "
        f"from {table} t where id = :key",
        key=key, changes=json.dumps(changes),
    )
