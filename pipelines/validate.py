"""Cross-checks of loaded mappings against Medusa's database and Strapi's content types.

File-level checks (schema, keys, cycles) happen when mappings load; these need the other systems.
Each returns MappingErrors located at the offending key. `medusa-strapi validate` runs them as far as
the reachable systems allow; `preflight` runs them before every run's first write, and does not skip.
"""

from __future__ import annotations

import difflib
from typing import Any, Iterable

import sqlalchemy as sa
from sqlalchemy.dialects import postgresql

from .medusa.source import MedusaSource, SourceError
from .mapping import MappingError, MappingErrors, MappingSet, MappingSpec
from .strapi.client import StrapiClient
from .strapi.content_types import SchemaError, field_attribute

# Strapi attribute types that hold the same kind of value: a mapping may write into any of its family.
TYPE_FAMILIES = {
    "string": "text", "text": "text", "richtext": "text", "email": "text", "uid": "text", "password": "text",
    "enumeration": "text",
    "integer": "integer", "biginteger": "integer",
    "decimal": "number", "float": "number",
    "boolean": "boolean", "json": "json",
    "datetime": "datetime", "timestamp": "datetime", "date": "date", "time": "time",
}
ACCEPTS = {"number": {"number", "integer"}}  # a decimal attribute also takes whole numbers

StrapiTypes = dict[str, dict[str, Any]]  # content-type UID -> {"pluralName": ..., "attributes": {...}}


def _selected(mappings: MappingSet, only: Iterable[str] | None) -> list[MappingSpec]:
    if only is None:
        return list(mappings)
    return [spec for spec in mappings if spec.content_type in set(only)]


def _suggest(name: str, options: list[str]) -> str:
    hint = difflib.get_close_matches(name, options, n=1)
    return f" (did you mean {hint[0]!r}?)" if hint else ""


def _table(source: MedusaSource, spec: MappingSpec, name: str, errors: list[MappingError], *path: str | int) -> sa.Table | None:
    try:
        return source.table(name, spec.schema)
    except SourceError as exc:
        if "does not exist" not in str(exc):
            raise
        tables = sa.inspect(source.engine).get_table_names(schema=spec.schema)
        errors.append(spec.error(f"table {name!r} does not exist in Medusa's database{_suggest(name, tables)}", *path))
        return None


def _column(table: sa.Table, name: str | None, spec: MappingSpec, errors: list[MappingError], *path: str | int) -> None:
    if name is not None and name not in table.c:
        errors.append(spec.error(
            f"table {table.name!r} has no column {name!r}{_suggest(name, list(table.c.keys()))}", *path
        ))


def _is_json(table: sa.Table, column: str) -> bool:
    return column in table.c and isinstance(table.c[column].type, (sa.JSON, postgresql.JSONB, postgresql.JSON))


def check_database(mappings: MappingSet, source: MedusaSource, only: Iterable[str] | None = None) -> list[MappingError]:
    """Every table and column a mapping (of `only` these content types) names exists in Medusa's database.

    Raises SourceError when the database cannot be reached.
    """
    errors: list[MappingError] = []
    for spec in _selected(mappings, only):
        table = _table(source, spec, spec.table, errors, "source", "table")
        if table is None:
            continue
        for key in ("primary_key", "cursor", "soft_delete", "json_entries"):
            _column(table, getattr(spec, key), spec, errors, "source", key)
        if spec.json_entries and spec.json_entries in table.c and not _is_json(table, spec.json_entries):
            errors.append(spec.error(f"column {spec.json_entries!r} is not json/jsonb", "source", "json_entries"))
        for name, f in spec.fields.items():
            if not f.is_pseudo:
                _column(table, f.column, spec, errors, "fields", name)
                if f.json_key is not None and f.column in table.c and not _is_json(table, f.column):
                    errors.append(spec.error(f"json_key needs a json/jsonb column; {f.column!r} is not", "fields", name, "json_key"))
            _column(table, f.currency_column, spec, errors, "fields", name, "currency_column")
        for rel in spec.relations:
            if rel.column:
                _column(table, rel.column, spec, errors, "relations", rel.attribute, "column")
            elif rel.through:
                join = _table(source, spec, rel.through.table, errors, "relations", rel.attribute, "through", "table")
                if join is not None:
                    for key in ("source", "target", "soft_delete"):
                        _column(join, getattr(rel.through, key), spec, errors, "relations", rel.attribute, "through", key)
        if spec.partition:
            _column(table, spec.partition.column, spec, errors, "partition", "column")
        for column in spec.drop:
            _column(table, column, spec, errors, "drop")
    return errors


def field_types(mappings: MappingSet, source: MedusaSource, only: Iterable[str] | None = None) -> dict[tuple[str, str], str]:
    """(content type, attribute) -> the Strapi type a mapped field writes (as the generator types it)."""
    types = {}
    for spec in _selected(mappings, only):
        table = source.table(spec.table, spec.schema)
        for name, f in spec.fields.items():
            try:
                types[(spec.content_type, name)] = field_attribute(spec, f, table)["type"]
            except (SchemaError, KeyError):
                continue  # reported by check_database / the generator
    return types


def _type_error(written: str, held: str) -> str | None:
    want, have = TYPE_FAMILIES.get(written, written), TYPE_FAMILIES.get(held, held)
    if have == want or want in ACCEPTS.get(have, ()):
        return None
    return f"Strapi's attribute is {held}, but the mapping writes {written} values (regenerate the content type, or convert the field)"


def check_strapi(
    mappings: MappingSet,
    content_types: StrapiTypes,
    where: str,
    *,
    types: dict[tuple[str, str], str] | None = None,
    only: Iterable[str] | None = None,
) -> list[MappingError]:
    """Every content type, plural and attribute a mapping writes exists in Strapi, with a compatible type.

    `content_types`: UID -> {"pluralName", "attributes"}; `types`: what each mapped field writes (see
    `field_types`; attribute types are not compared without it).
    """
    errors: list[MappingError] = []
    for spec in _selected(mappings, only):
        schema = content_types.get(spec.uid)
        if schema is None:
            known = [uid.split(".")[-1] for uid in content_types if uid.startswith("api::")]
            errors.append(spec.error(
                f"{where} has no content type {spec.uid}{_suggest(spec.content_type, known)}", "content_type"
            ))
            continue
        attributes = schema.get("attributes", {})
        plural = schema.get("pluralName")
        if plural and plural != spec.plural:
            errors.append(spec.error(f"{spec.uid} in {where} has the plural {plural!r}, not {spec.plural!r}", "plural"))
        for name in spec.fields:
            written, held = (types or {}).get((spec.content_type, name)), attributes.get(name, {}).get("type")
            problem = _type_error(written, held) if written and held else None
            if problem:
                errors.append(spec.error(problem, "fields", name))
        if "medusa_id" not in attributes:
            errors.append(spec.error(f"{spec.uid} in {where} has no medusa_id attribute", "content_type"))
        for section, names in (("fields", list(spec.fields)), ("cms_only", list(spec.cms_only))):
            for name in names:
                if name not in attributes:
                    errors.append(spec.error(
                        f"{spec.uid} in {where} has no attribute {name!r}{_suggest(name, list(attributes))}", section, name
                    ))
        for rel in spec.relations:
            attribute = attributes.get(rel.attribute)
            target_uid = mappings.get(rel.target).uid
            if attribute is None:
                errors.append(spec.error(
                    f"{spec.uid} in {where} has no attribute {rel.attribute!r}{_suggest(rel.attribute, list(attributes))}",
                    "relations", rel.attribute,
                ))
            elif attribute.get("type") != "relation" or attribute.get("target") != target_uid:
                errors.append(spec.error(
                    f"{spec.uid}.{rel.attribute} in {where} is not a relation to {target_uid}", "relations", rel.attribute, "target"
                ))
    return errors


def with_targets(mappings: MappingSet, only: Iterable[str] | None) -> list[str] | None:
    """`only` plus every content type their relations point at (None: all)."""
    if only is None:
        return None
    names = list(dict.fromkeys(only))
    for name in list(names):
        names += [t for t in mappings.dependencies(name) if t not in names]
    return names


def preflight(mappings: MappingSet, source: MedusaSource, client: StrapiClient, only: Iterable[str] | None = None) -> None:
    """Raise MappingErrors (file:line: key: message) unless the mappings of `only` (all when None), and
    the types they link to, match Medusa's database and Strapi's content types.

    SourceError / StrapiUnavailable / StrapiError when a system cannot be asked.
    """
    names = with_targets(mappings, only)
    errors = check_database(mappings, source, only=names)
    if not errors:
        errors = check_strapi(
            mappings, client.content_types(), f"Strapi at {client.base_url}",
            types=field_types(mappings, source, only=names), only=names,
        )
    if errors:
        raise MappingErrors(errors)
