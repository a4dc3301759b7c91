"""Cross-checks of loaded mappings against Medusa's database and Strapi's content types.

File-level checks (schema, keys, cycles) happen when mappings load; these need the other systems (and
`check_write_back`, which needs none, runs beside them: see its docstring).
Each returns MappingErrors located at the offending key. `medusa-strapi validate` runs them as far as
the reachable systems allow; `preflight` runs them before every run's first write, and does not skip.
"""

from __future__ import annotations

import difflib
from pathlib import Path
from typing import Any, Iterable

import sqlalchemy as sa
from sqlalchemy.dialects import postgresql

from .medusa.admin_routes import ADMIN_ROUTES
from .medusa.source import MedusaSource, SourceError
from .mapping import MappingError, MappingErrors, MappingSet, MappingSpec, load_mapping_set
from .strapi.client import StrapiClient
from .strapi.attributes import SchemaError, field_attribute
from .system_types import MEDIA_FILE, MERGE_BASE, SYNCED_ENTRY, SYSTEM_TYPES, uid_of


# Strapi attribute types that hold the same kind of value: a mapping may write into any of its family.
TYPE_FAMILIES = {
    "string": "text", "text": "text", "richtext": "text", "email": "text", "uid": "text", "password": "text",
    "enumeration": "text",
    "integer": "integer", "biginteger": "integer",
    "decimal": "number", "float": "number",
    "boolean": "boolean", "json": "json", "blocks": "blocks",
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


def _column(table: sa.Table, name: str | None, spec: MappingSpec, errors: list[MappingError], *path: str | int) -> bool:
    """Whether `table` has column `name` (None counts as present); an error at `path` when it has not."""
    if name is not None and name not in table.c:
        errors.append(spec.error(
            f"table {table.name!r} has no column {name!r}{_suggest(name, list(table.c.keys()))}", *path
        ))
        return False
    return True


def _is_json(table: sa.Table, column: str) -> bool:
    return column in table.c and isinstance(table.c[column].type, (sa.JSON, postgresql.JSONB, postgresql.JSON))


def _kind(column: sa.Column) -> str:
    """What Postgres can compare a column with: numbers with numbers, text with text, and so on."""
    kind = column.type
    if isinstance(kind, sa.Numeric | sa.Integer | sa.Float):
        return "number"
    if isinstance(kind, sa.String | sa.Enum):
        return "text"
    return type(kind).__name__.lower()


def _joinable(a: sa.Column, b: sa.Column, spec: MappingSpec, errors: list[MappingError], *path: str | int) -> None:
    if _kind(a) != _kind(b):
        errors.append(spec.error(
            f"cannot join {a.table.name}.{a.name} ({_kind(a)}) with {b.table.name}.{b.name} ({_kind(b)})", *path
        ))


def _conditions(table: sa.Table, where, spec: MappingSpec, errors: list[MappingError], *path: str | int) -> None:
    for column, _ in where:
        _column(table, column, spec, errors, *path, column)


def _hop_path(spec: MappingSpec, base: tuple[str | int, ...], index: int) -> tuple[str | int, ...]:
    """Key path of hop `index` in the file: `through` is a single hop or a list of them."""
    return (*base, index) if (*base, 0) in spec.lines else base


def _check_path(source: MedusaSource, spec: MappingSpec, start: sa.Table, path, base: tuple[str | int, ...],
                errors: list[MappingError]) -> sa.Table | None:
    """Check every hop of `path` (tables, columns, join types); the last hop's table, or None if broken."""
    previous, previous_column = start, spec.primary_key
    for index, hop in enumerate(path):
        where = _hop_path(spec, base, index)
        table = _table(source, spec, hop.table, errors, *where, "table")
        if table is None:
            return None
        from_column = hop.from_column or previous_column
        ok = _column(previous, from_column, spec, errors, *where, "from") if hop.from_column else from_column in previous.c
        for key in ("source", "target", "soft_delete"):
            ok = _column(table, getattr(hop, key), spec, errors, *where, key) and ok
        _conditions(table, hop.where, spec, errors, *where, "where")
        if ok:
            _joinable(previous.c[from_column], table.c[hop.source], spec, errors, *where, "source")
        previous, previous_column = table, hop.target
    return previous


def check_database(mappings: MappingSet, source: MedusaSource, only: Iterable[str] | None = None) -> list[MappingError]:
    """Every table and column a mapping (of `only` these content types) names exists in Medusa's database,
    paths join columns Postgres can compare, lookups aggregate what their aggregate can.

    Raises SourceError when the database cannot be reached.
    """
    errors: list[MappingError] = []
    for spec in _selected(mappings, only):
        table = _table(source, spec, spec.table, errors, "source", "table")
        if table is None:
            continue
        for key in ("primary_key", "cursor", "soft_delete", "json_entries"):
            _column(table, getattr(spec, key), spec, errors, "source", key)
        _conditions(table, spec.where, spec, errors, "source", "where")
        if spec.json_entries and spec.json_entries in table.c and not _is_json(table, spec.json_entries):
            errors.append(spec.error(f"column {spec.json_entries!r} is not json/jsonb", "source", "json_entries"))
        for name, f in spec.fields.items():
            _check_field(source, spec, table, f, errors)
        for media in spec.media.values():
            _check_media_source(source, spec, table, media, errors)
        for rel in spec.relations:
            _check_relation(source, mappings, spec, table, rel, errors)
        if spec.partition:
            _column(table, spec.partition.column, spec, errors, "partition", "column")
        for column in spec.drop:
            _column(table, column, spec, errors, "drop")
    return errors


def _check_media_source(source: MedusaSource, spec: MappingSpec, table: sa.Table, media, errors: list[MappingError]) -> None:
    """The column or path a media attribute reads its URL(s) from exists."""
    if media.column is not None:
        _column(table, media.column, spec, errors, "media", media.attribute, "column")
    if media.lookup is not None:
        last = _check_path(source, spec, table, media.lookup.path, ("media", media.attribute, "lookup", "through"), errors)
        if last is not None:
            _column(last, media.lookup.column, spec, errors, "media", media.attribute, "lookup", "column")
            if media.lookup.order:
                _column(last, media.lookup.order, spec, errors, "media", media.attribute, "lookup", "order")


def _check_field(source: MedusaSource, spec: MappingSpec, table: sa.Table, f, errors: list[MappingError]) -> None:
    name = f.attribute
    if f.lookup:
        base = ("fields", name, "lookup", "through")
        last = _check_path(source, spec, table, f.lookup.path, base, errors)
        if last is not None and f.lookup.order:
            _column(last, f.lookup.order, spec, errors, "fields", name, "lookup", "order")
        if last is not None and _column(last, f.lookup.column, spec, errors, "fields", name, "lookup", "column"):
            value = last.c[f.lookup.column]
            if f.lookup.aggregate == "sum" and _kind(value) != "number":
                errors.append(spec.error(f"sum needs a numeric column; {last.name}.{value.name} is {_kind(value)}",
                                         "fields", name, "lookup", "aggregate"))
            if f.lookup.aggregate in ("min", "max") and _kind(value) in ("jsonb", "json", "boolean"):
                errors.append(spec.error(f"{f.lookup.aggregate} cannot compare {_kind(value)} values; use first",
                                         "fields", name, "lookup", "aggregate"))
            if f.json_key is not None and not _is_json(last, f.lookup.column):
                errors.append(spec.error(f"json_key needs a json/jsonb column; {f.lookup.column!r} is not", "fields", name, "json_key"))
    elif not f.is_pseudo:
        _column(table, f.column, spec, errors, "fields", name)
        if f.json_key is not None and f.column in table.c and not _is_json(table, f.column):
            errors.append(spec.error(f"json_key needs a json/jsonb column; {f.column!r} is not", "fields", name, "json_key"))
    _column(table, f.currency_column, spec, errors, "fields", name, "currency_column")
    if f.precision is not None:
        try:
            kind = field_attribute(spec, f, source.table)["type"]
        except (SchemaError, KeyError, SourceError):
            return
        if kind != "decimal":
            errors.append(spec.error(f"precision and scale size decimal attributes; this one is {kind}", "fields", name, "precision"))
        elif f.scale > f.precision:
            errors.append(spec.error(f"scale {f.scale} is larger than precision {f.precision}", "fields", name, "scale"))


def _check_relation(source: MedusaSource, mappings: MappingSet, spec: MappingSpec, table: sa.Table, rel, errors) -> None:
    target = mappings.get(rel.target)
    try:
        target_table = source.table(target.table, target.schema)
    except SourceError:
        return  # reported with the target's own mapping
    if target.primary_key not in target_table.c:
        return
    key = target_table.c[target.primary_key]
    if rel.column:
        if _column(table, rel.column, spec, errors, "relations", rel.attribute, "column"):
            _joinable(table.c[rel.column], key, spec, errors, "relations", rel.attribute, "column")
        return
    base = ("relations", rel.attribute, "through")
    last = _check_path(source, spec, table, rel.through, base, errors)
    hop = rel.through[-1]
    if last is not None and hop.target in last.c:
        _joinable(last.c[hop.target], key, spec, errors, *_hop_path(spec, base, len(rel.through) - 1), "target")


def field_types(mappings: MappingSet, source: MedusaSource, only: Iterable[str] | None = None) -> dict[tuple[str, str], str]:
    """(content type, attribute) -> the Strapi type a mapped field writes (as the generator types it)."""
    types = {}
    for spec in _selected(mappings, only):
        for name, f in spec.fields.items():
            try:
                types[(spec.content_type, name)] = field_attribute(spec, f, source.table)["type"]
            except (SchemaError, KeyError, SourceError):
                continue  # reported by check_database / the generator
    return types


def _key_problem(key: str, attribute: dict[str, Any] | None) -> str | None:
    """Why `attribute` cannot hold the mapping's key `key` (a unique string the sync finds entries by), or None."""
    if attribute is None:
        return f"has no {key} attribute (the mapping's key)"
    if "type" not in attribute:
        return None  # nothing known of it but its name
    if attribute["type"] not in ("string", "uid", "text"):
        return f"the key attribute {key} is a {attribute.get('type')} attribute, and must be a string"
    if not attribute.get("unique"):
        return f"the key attribute {key} is not unique (set \"unique\": true in its schema.json)"
    return None


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
        for key, held_key, feature in (("draft_and_publish", "draftAndPublish", "Draft & Publish"), ("localized", "localized", "i18n")):
            wanted, held = getattr(spec.strapi, key), schema.get(held_key)
            if held is not None and bool(held) != wanted:
                errors.append(spec.error(f"{spec.uid} in {where} has {feature} {'on' if held else 'off'}, and the mapping says "
                                         f"strapi.{key}: {str(wanted).lower()} (`medusa-strapi strapi-schema` generates it)",
                                         "strapi", key))
        key_problem = _key_problem(spec.key, attributes.get(spec.key))
        if key_problem:
            errors.append(spec.error(f"{spec.uid} in {where}: {key_problem}", *(("key",) if ("key",) in spec.lines else ("content_type",))))
        for name, media in spec.media.items():
            held = attributes.get(name, {})
            kind = "several files (multiple: true)" if media.multiple else "a single file"
            if held.get("type") != "media":
                found = f"is a {held['type']} attribute" if held.get("type") else "is missing"
                errors.append(spec.error(f"{spec.uid} in {where}: media attribute {name!r} {found} (it must be a media "
                                         f"attribute holding {kind}: `medusa-strapi strapi-schema` generates it)", "media", name))
            elif bool(held.get("multiple", False)) != media.multiple:
                errors.append(spec.error(f"{spec.uid} in {where}: media attribute {name!r} holds "
                                         f"{'several files' if held.get('multiple') else 'a single file'}, and the mapping "
                                         f"says {'multiple: true' if media.multiple else 'one file (no multiple)'}", "media", name))
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
    two_way = any(spec.write_back for spec in mappings)
    optional = {MEDIA_FILE: any(spec.media for spec in mappings), SYNCED_ENTRY: two_way, MERGE_BASE: two_way}
    needed = [name for name in SYSTEM_TYPES if optional.get(name, True)]
    return errors + check_system_types(content_types, where, needed)


def check_system_types(content_types: StrapiTypes, where: str, names: Iterable[str] = tuple(SYSTEM_TYPES)) -> list[MappingError]:
    """The sync's own content types (state, quarantine, the media records where a mapping has `media`, the
    synced entries and merge bases where one has `write_back`)
    exist in Strapi with every attribute it writes."""
    errors = []
    for name in names:
        schema = SYSTEM_TYPES[name]
        found = content_types.get(uid_of(name))
        missing = sorted(set(schema["attributes"]) - set((found or {}).get("attributes", {})))
        if found is None or missing:
            what = "is missing" if found is None else f"lacks {', '.join(missing)}"
            errors.append(MappingError(where, None, uid_of(name),
                                       f"the sync's own content type ({schema['info']['displayName']}: "
                                       f"{schema['info']['description']}) {what}; generate it with "
                                       "`medusa-strapi strapi-schema --app <your Strapi app>` (`--system-only` where "
                                       "someone else designed its other content types) and restart Strapi"))
    return errors


def check_write_back(specs: Iterable[MappingSpec]) -> list[MappingError]:
    """`write_back` names mapped scalar fields of a plain column, on a table Medusa's Admin API updates.

    Checked beside the database and Strapi checks rather than when the file loads, so that a field renamed
    or broken elsewhere in the file is reported for what it is, with the write-back it breaks.
    """
    errors = []
    for spec in specs:
        if spec.write_back and spec.table not in ADMIN_ROUTES:
            errors.append(spec.error(f"Medusa's Admin API has no route this sync knows for table {spec.table!r} "
                                     f"(write-back supports: {', '.join(sorted(ADMIN_ROUTES))})", "write_back"))
        for index, name in enumerate(spec.write_back):
            f = spec.fields.get(name)
            if f is None:
                where = "a relation" if any(r.attribute == name for r in spec.relations) else \
                    "a CMS-only field" if name in spec.cms_only else "not a mapped field"
                errors.append(spec.error(f"{name!r} is {where}: only mapped scalar fields can be written back", "write_back", index))
            elif f.lookup or f.convert or f.json_key or f.is_pseudo or f.column is None:
                errors.append(spec.error(f"{name!r} is computed (a lookup, conversion, JSON key or entry): only a field "
                                         "copied from a plain column can be written back", "write_back", index))
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
    client.first_contact()
    names = with_targets(mappings, only)
    errors = check_database(mappings, source, only=names)
    if not errors:
        errors = check_strapi(
            mappings, client.content_types(), f"Strapi at {client.base_url}",
            types=field_types(mappings, source, only=names), only=names,
        )
    errors += check_write_back(_selected(mappings, names))
    if errors:
        raise MappingErrors(errors)


def problems_by_type(mappings: MappingSet, source: MedusaSource, client: StrapiClient) -> dict[str, str]:
    """Content type -> what is wrong with its mapping against Medusa and Strapi (file:line: key: message
    lines), for the types that cannot run; types whose relations point at a broken one wait for it.

    Unlike `preflight`, this reports per type instead of refusing as a whole (the change sensor and the
    `mapping_is_valid` checks use it). SourceError / StrapiUnavailable when a system cannot be asked.
    """
    client.first_contact()
    by_file = {str(spec.path): spec.content_type for spec in mappings if spec.path}
    errors = check_database(mappings, source)
    bad_db = {by_file.get(e.file) for e in errors}
    fine = [s.content_type for s in mappings if s.content_type not in bad_db]
    errors += check_strapi(mappings, client.content_types(), f"Strapi at {client.base_url}",
                           types=field_types(mappings, source, only=fine), only=fine)
    errors += check_write_back(mappings)
    problems: dict[str, list[str]] = {}
    for error in errors:
        owner = by_file.get(error.file)
        for name in [owner] if owner else mappings.content_types:  # a missing system type stops every type
            problems.setdefault(name, []).append(str(error))
    for spec in mappings:  # in dependency order: a target's verdict is known before its dependents'
        waits = [t for t in mappings.dependencies(spec.content_type) if t in problems and spec.content_type not in problems]
        if waits:
            problems[spec.content_type] = [f"waits for {t}, whose mapping does not match: {problems[t][0]}" for t in waits]
    return {name: "\n".join(lines) for name, lines in problems.items()}


def problems_on_disk(directory: Path | str, source: MedusaSource, client: StrapiClient) -> dict[str, str]:
    """`problems_by_type` of the mapping files as they are now in `directory`, broken files included (their
    file:line: key: message lines): what a run started now would find. The change sensor reads the files again
    whenever they change, so a typo and its fix show on its next tick, whatever the code location loaded.

    A folder that cannot be loaded at all (gone, or with no mapping) is reported under the name "*".
    """
    try:
        loaded = load_mapping_set(directory)
    except MappingErrors as exc:
        return {"*": "\n".join(map(str, exc.errors))}
    problems = {name: "\n".join(map(str, errors)) for name, errors in loaded.broken.items()}
    problems.update(problems_by_type(loaded.mappings, source, client))
    return problems
