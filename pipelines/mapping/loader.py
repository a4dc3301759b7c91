"""Mapping files: load YAML, validate against the JSON Schema, and build typed specs.

Every error names the file, the line and the key, so a data team can fix a bad edit
before anything is read from Medusa or written to Strapi.
"""

from __future__ import annotations

import difflib
import hashlib
import graphlib
import json
import re
from dataclasses import dataclass, replace
from datetime import date
from functools import cache
from pathlib import Path
from typing import Any, Iterable

import jsonschema
import yaml

from .aggregates import AGGREGATES
from ..entry_versions import EntryVersions
from ..system_types import SYSTEM_TYPES
from .spec import (
    Condition,
    Field,
    Hop,
    HopPath,
    KeyPath,
    Lookup,
    MappingError,
    MappingErrors,
    MappingSet,
    MappingSpec,
    MediaAttribute,
    Partitioning,
    Relation,
    TargetTable,
    dotted,
    line_at,
)

SCHEMA_PATH = Path(__file__).with_name("schema.json")
RESERVED_CONTENT_TYPES = tuple(SYSTEM_TYPES)  # the sync's own (pipelines/system_types.py)
SOURCE_KEYS = ("schema", "primary_key", "cursor", "soft_delete", "json_entries")  # optional keys of `source`
# Attributes Strapi or the sync manage on every entry; the JSON Schema refuses them as names (a test checks).
MANAGED_ATTRIBUTES = ("id", "documentId", "medusa_id", "createdAt", "updatedAt", "publishedAt", "locale")

@cache
def mapping_json_schema() -> dict[str, Any]:
    """The JSON Schema every mapping file must satisfy."""
    return json.loads(SCHEMA_PATH.read_text())


class _LineLoader(yaml.SafeLoader):
    """SafeLoader that records the line of every key and refuses duplicate keys."""


MAX_FILE_BYTES = 1_000_000  # a mapping is a few KB; a bigger file is a mistake (or an attack)
MAX_VALUES = 100_000  # values a file may expand to through YAML aliases (a "billion laughs" file expands to 10^9)


def _read_yaml(path: Path) -> tuple[Any, dict[KeyPath, int]]:
    try:
        raw = path.read_bytes()
    except OSError as exc:
        raise MappingError(path, None, "", f"cannot be read: {exc.strerror or exc}") from None
    if len(raw) > MAX_FILE_BYTES:
        raise MappingError(path, None, "", f"file is {len(raw):,} bytes; a mapping file is at most {MAX_FILE_BYTES:,}")
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError as exc:
        line = raw[:exc.start].count(b"\n") + 1
        raise MappingError(path, line, "", f"not UTF-8 text (byte 0x{raw[exc.start]:02x}); save the file as UTF-8") from None
    loader = _LineLoader(text)
    try:
        node = loader.get_single_node()
        if node is None:
            raise MappingError(path, 1, "", "file is empty")
        _check_expansion(node, path)
        data = loader.construct_document(node)
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        line = mark.line + 1 if mark else None
        raise MappingError(path, line, "", f"not valid YAML: {exc.problem or exc}") from None
    except yaml.YAMLError as exc:
        raise MappingError(path, None, "", f"not valid YAML: {exc}") from None
    except RecursionError:
        raise MappingError(path, None, "", "nested too deeply to be a mapping file") from None
    finally:
        loader.dispose()
    lines: dict[KeyPath, int] = {}
    _collect_lines(node, (), lines, path)
    return data, lines


def _check_expansion(root: yaml.Node, file: Path) -> None:
    """Refuse an alias that contains itself, and aliases that expand to more than MAX_VALUES values,
    before anything walks the expanded document (both without recursion)."""
    sizes: dict[int, int] = {}
    open_nodes: set[int] = set()
    stack: list[tuple[yaml.Node, bool]] = [(root, False)]
    while stack:
        node, children_done = stack.pop()
        key = id(node)
        if children_done:
            open_nodes.discard(key)
            sizes[key] = 1 + sum(sizes[id(c)] for c in _children(node))
            if sizes[key] > MAX_VALUES:
                raise MappingError(file, node.start_mark.line + 1, "",
                                   f"YAML aliases expand to more than {MAX_VALUES:,} values; a mapping file needs far fewer")
            continue
        if key in sizes:
            continue
        if key in open_nodes:
            raise MappingError(file, node.start_mark.line + 1, "", "a YAML alias refers to a value that contains it")
        open_nodes.add(key)
        stack.append((node, True))
        stack.extend((child, False) for child in _children(node))


def _children(node: yaml.Node) -> list[yaml.Node]:
    if isinstance(node, yaml.MappingNode):
        return [n for pair in node.value for n in pair]
    if isinstance(node, yaml.SequenceNode):
        return list(node.value)
    return []


def _collect_lines(node: yaml.Node, path: KeyPath, lines: dict[KeyPath, int], file: Path) -> None:
    lines.setdefault(path, node.start_mark.line + 1)
    if isinstance(node, yaml.MappingNode):
        seen: set[Any] = set()
        for key_node, value_node in node.value:
            key = key_node.value
            if key in seen:
                raise MappingError(file, key_node.start_mark.line + 1, dotted((*path, key)), "duplicate key")
            seen.add(key)
            lines[(*path, key)] = key_node.start_mark.line + 1
            _collect_lines(value_node, (*path, key), lines, file)
    elif isinstance(node, yaml.SequenceNode):
        for index, item in enumerate(node.value):
            _collect_lines(item, (*path, index), lines, file)


def _schema_errors(data: Any, lines: dict[KeyPath, int], file: Path) -> list[MappingError]:
    validator = jsonschema.Draft202012Validator(mapping_json_schema())
    errors = sorted(validator.iter_errors(data), key=lambda e: [str(p) for p in e.absolute_path])
    return [found for err in errors for found in _convert(err, lines, file)]


def _convert(err: jsonschema.ValidationError, lines: dict[KeyPath, int], file: Path) -> list[MappingError]:
    """One schema violation as MappingErrors located at the offending key."""
    path: KeyPath = tuple(err.absolute_path)
    if err.validator in ("anyOf", "oneOf") and err.context:
        # Report the branch the value was meant for (an object, or a name), not every alternative.
        relevant = [e for e in err.context if e.validator != "type"]
        if relevant:
            return [found for sub in relevant for found in _convert(sub, lines, file)]
        kinds = " or ".join(dict.fromkeys(str(e.validator_value) for e in err.context))
        return [MappingError(file, line_at(lines, path), dotted(path), f"expected {kinds}, got {type(err.instance).__name__} {err.instance!r}")]
    if err.validator == "additionalProperties" and isinstance(err.instance, dict):
        allowed = sorted(err.schema.get("properties", {}))
        found = []
        for extra in sorted(set(err.instance) - set(allowed)):
            hint = difflib.get_close_matches(str(extra), allowed, n=1)
            message = f"unknown key {extra!r}" + (f" (did you mean {hint[0]!r}?)" if hint else f"; allowed: {', '.join(allowed)}")
            found.append(MappingError(file, line_at(lines, (*path, extra)), dotted((*path, extra)), message))
        return found
    if err.validator == "required":
        missing = err.message.split("'")[1] if "'" in err.message else err.message
        return [MappingError(file, line_at(lines, path), dotted((*path, missing)), "required key is missing")]
    if "propertyNames" in err.absolute_schema_path:
        path = (*path, err.instance)  # the error is about the key itself
    return [MappingError(file, line_at(lines, path), dotted(path), _message(err))]


def _message(err: jsonschema.ValidationError) -> str:
    if err.validator == "pattern":
        return f"{err.instance!r} is not a valid name (must match {err.validator_value})"
    if err.validator == "type":
        return f"expected {err.validator_value}, got {type(err.instance).__name__} {err.instance!r}"
    if err.validator == "enum":
        return f"{err.instance!r} is not one of {', '.join(map(str, err.validator_value))}"
    if err.validator == "not" and err.instance in MANAGED_ATTRIBUTES:
        return f"{err.instance!r} is managed by Strapi or the sync and cannot be mapped"
    return err.message


def _conditions(value: dict[str, Any] | None) -> tuple[Condition, ...]:
    return tuple((column, tuple(v) if isinstance(v, list) else v) for column, v in (value or {}).items())


def _path(value: dict[str, Any] | list[dict[str, Any]]) -> HopPath:
    """A `through` value (one hop, or a list of hops) as a tuple of Hops."""
    hops = value if isinstance(value, list) else [value]
    return tuple(
        Hop(h["table"], h["source"], h.get("target"), h.get("from"), _conditions(h.get("where")), h.get("soft_delete"))
        for h in hops
    )


def _lookup(value: dict[str, Any] | None) -> Lookup | None:
    if not value:
        return None
    return Lookup(_path(value["through"]), value["column"], value.get("aggregate", "first"), value.get("order"))


def _media(attribute: str, value: dict[str, Any]) -> MediaAttribute:
    return MediaAttribute(attribute, value.get("from"), value.get("alt"), value.get("caption"), value.get("column"),
                          _lookup(value.get("lookup")), bool(value.get("multiple", False)))


def _field(attribute: str, value: str | dict[str, Any]) -> Field:
    if isinstance(value, str):
        return Field(attribute, value)
    return Field(
        attribute, value.get("column"), value.get("convert"), value.get("json_key"), value.get("currency_column"),
        value.get("strapi_type"), _lookup(value.get("lookup")),
        value.get("precision"), value.get("scale"), tuple(value.get("values") or ()),
    )


def _relation(attribute: str, value: dict[str, Any]) -> Relation:
    through = value.get("through")
    return Relation(
        attribute=attribute,
        target=value["target"],
        column=value.get("column"),
        through=_path(through) if through else None,
        inverse=value.get("inverse"),
        to_one=bool(value.get("to_one", False)),
        required=bool(value.get("required", False)),
    )


def _build_spec(data: dict[str, Any], lines: dict[KeyPath, int], path: Path) -> MappingSpec:
    source = data["source"]
    given = {key: source[key] for key in SOURCE_KEYS if key in source}  # the rest: MappingSpec's defaults
    return MappingSpec(
        content_type=data["content_type"],
        plural=data["plural"],
        table=source["table"],
        **({"key": data["key"]} if "key" in data else {}),
        **given,
        where=_conditions(source.get("where")),
        fields={name: _field(name, value) for name, value in (data.get("fields") or {}).items()},
        relations=tuple(_relation(name, r) for name, r in (data.get("relations") or {}).items()),
        cms_only=dict(data.get("cms_only") or {}),
        write_back=tuple(data.get("write_back") or ()),
        **({"on_conflict": data["on_conflict"]} if "on_conflict" in data else {}),
        strapi=EntryVersions(**(data.get("strapi") or {})),
        media={name: _media(name, m) for name, m in (data.get("media") or {}).items()},
        drop=tuple(data.get("drop") or ()),
        description=data.get("description"),
        partition=Partitioning(**data["partition"]) if data.get("partition") else None,
        path=path,
        lines=lines,
    )


def _spec_errors(spec: MappingSpec) -> list[MappingError]:
    """Checks inside one file that the JSON Schema cannot express."""
    errors = []
    written: dict[str, KeyPath] = {}
    for section, names in (("fields", spec.fields), ("relations", [r.attribute for r in spec.relations]), ("cms_only", spec.cms_only),
                           ("media", spec.media)):
        for name in names:
            if name in written:
                errors.append(spec.error(f"attribute is also declared under {written[name][0]}", section, name))
            written.setdefault(name, (section, name))
    if _reserved(spec.key):
        errors.append(spec.error(f"{spec.key!r} is a name Strapi reserves for itself", "key"))
    if spec.content_type in RESERVED_CONTENT_TYPES:
        errors.append(spec.error(f"{spec.content_type!r} is a content type the sync keeps for itself", "content_type"))
    if spec.path is not None and spec.path.stem != spec.content_type:
        errors.append(spec.error(f"file must be named {spec.content_type}.yaml", "content_type"))
    for section, names in (("fields", spec.fields), ("relations", [r.attribute for r in spec.relations]),
                           ("cms_only", spec.cms_only), ("relations", [r.inverse for r in spec.relations if r.inverse]),
                           ("media", spec.media)):
        for name in names:
            if _reserved(name):
                errors.append(spec.error(f"{name!r} is a name Strapi reserves for itself", section, name))
            elif name == spec.key:
                errors.append(spec.error(f"{name!r} is this type's key, which the sync writes itself", section, name))
    for f in spec.fields.values():
        if f.is_pseudo and not spec.json_entries:
            errors.append(spec.error(f"{f.column} exists only with source.json_entries", "fields", f.attribute))
        if (f.convert == "enumeration") != bool(f.values):
            errors.append(spec.error("`values` (the allowed values) and convert: enumeration go together", "fields", f.attribute,
                                     *(("values",) if f.values else ("convert",))))
        if f.currency_column and f.convert != "minor_units":
            errors.append(spec.error("currency_column only applies to convert: minor_units", "fields", f.attribute, "currency_column"))
    for media in spec.media.values():
        given = [key for key in ("from", "column", "lookup") if ("media", media.attribute, key) in spec.lines]
        if len(given) != 1:
            errors.append(spec.error("a media attribute takes its URL from exactly one of `from` (a mapped field), `column` "
                                     "(a column of the source row) or `lookup` (the rows a path reaches)", "media", media.attribute))
        if media.multiple and media.lookup is None:
            errors.append(spec.error("several files come from a `lookup` (the rows a path reaches)", "media", media.attribute, "multiple"))
        if media.from_medusa and (media.alt or media.caption):
            errors.append(spec.error("`alt` and `caption` name mapped fields, which a media attribute read with `from` has",
                                     "media", media.attribute, "alt" if media.alt else "caption"))
        if media.lookup and media.lookup.aggregate not in AGGREGATES:
            errors.append(spec.error(f"unknown aggregate {media.lookup.aggregate!r}", "media", media.attribute, "lookup", "aggregate"))
        if media.from_medusa and spec.json_entries:
            errors.append(spec.error("media from Medusa's rows is not available with source.json_entries", "media", media.attribute))
        for key in ("from", "alt", "caption"):
            name = getattr(media, "source" if key == "from" else key)
            if name and name not in spec.fields:
                errors.append(spec.error(f"{name!r} is not a field of this mapping (media reads mapped fields)", "media", media.attribute, key))
    for key in ("publish", "on_delete"):
        if ("strapi", key) in spec.lines and not spec.strapi.draft_and_publish:
            errors.append(spec.error("applies to a type with Draft & Publish (strapi.draft_and_publish: true)", "strapi", key))
    if ("on_conflict",) in spec.lines and not spec.write_back:
        errors.append(spec.error("on_conflict applies to write_back fields, and this mapping has none", "on_conflict"))
    if spec.partition:
        try:
            date.fromisoformat(spec.partition.start)
        except ValueError:
            errors.append(spec.error(f"{spec.partition.start!r} is not a date", "partition", "start"))
    for rel in spec.relations:
        if (rel.column is None) == (rel.through is None):
            errors.append(spec.error("a relation needs exactly one of `column` (many-to-one) or `through` (join table)", "relations", rel.attribute))
        elif rel.to_one and rel.through is None:
            errors.append(spec.error("to_one only applies to relations `through` a join table", "relations", rel.attribute, "to_one"))
        elif rel.through and rel.through[-1].target is None:
            last = ("relations", rel.attribute, "through") + ((len(rel.through) - 1,) if _is_list(spec, rel) else ())
            errors.append(spec.error("required key is missing: the last hop's `target` holds the target's primary key", *last, "target"))
        if rel.through and spec.json_entries:
            errors.append(spec.error("`through` is not available with source.json_entries (entries are not rows)", "relations", rel.attribute, "through"))
        if rel.inverse and rel.inverse == rel.attribute and rel.target == spec.content_type:
            errors.append(spec.error("a self-relation's inverse needs a name of its own", "relations", rel.attribute, "inverse"))
    for f in spec.fields.values():
        if f.lookup and f.column is not None:
            errors.append(spec.error("a field has either `column` or `lookup`, not both", "fields", f.attribute))
        if f.lookup and f.lookup.aggregate not in AGGREGATES:
            errors.append(spec.error(f"unknown aggregate {f.lookup.aggregate!r}", "fields", f.attribute, "lookup", "aggregate"))
        if f.lookup and spec.json_entries:
            errors.append(spec.error("`lookup` is not available with source.json_entries", "fields", f.attribute, "lookup"))
    return errors


def _is_list(spec: MappingSpec, rel: Relation) -> bool:
    return ("relations", rel.attribute, "through", 0) in spec.lines


# Strapi 5 refuses these attribute names (compared in snake_case; `strapi` is a reserved prefix).
STRAPI_RESERVED = {"id", "document_id", "created_at", "updated_at", "published_at", "created_by_id", "updated_by_id",
                   "created_by", "updated_by", "entry_id", "localizations", "meta", "locale", "__component", "__content_type"}


def _reserved(name: str) -> bool:
    snake = re.sub(r"(?<=[a-z0-9])([A-Z])", r"_\1", name).lower()
    return snake in STRAPI_RESERVED or snake.lstrip("_").startswith("strapi")


def load_mapping(path: Path | str) -> MappingSpec:
    """Load and validate one mapping file; raises MappingErrors listing every problem found."""
    path = Path(path)
    try:
        data, lines = _read_yaml(path)
    except MappingError as exc:
        raise MappingErrors([exc]) from None
    if not isinstance(data, dict):
        raise MappingErrors([MappingError(path, 1, "", "a mapping file must be a YAML mapping (key: value)")])
    errors = _schema_errors(data, lines, path)
    if errors:
        raise MappingErrors(errors)
    spec = _build_spec(data, lines, path)
    errors = _spec_errors(spec)
    if errors:
        raise MappingErrors(errors)
    return spec


def _order(specs: list[MappingSpec], broken: dict[str, list[MappingError]]) -> list[MappingSpec]:
    """`specs` in dependency order; specs that cannot be ordered (duplicates, unknown or broken targets,
    cycles) move to `broken` (content type -> errors), with the reason."""
    by_type: dict[str, MappingSpec] = {}
    for spec in specs:
        if spec.content_type in by_type or spec.content_type in broken:
            other = by_type[spec.content_type].path if spec.content_type in by_type else "another file"
            broken.setdefault(spec.content_type, []).append(
                spec.error(f"content type is already mapped in {other}", "content_type"))
            by_type.pop(spec.content_type, None)
            continue
        by_type[spec.content_type] = spec
    changed = True
    while changed:  # a spec whose target is broken waits for it: it is broken too, saying why
        changed = False
        for spec in list(by_type.values()):
            errors = []
            for rel in spec.relations:
                if rel.target in broken:
                    first = broken[rel.target][0]
                    errors.append(spec.error(f"waits for {rel.target!r}, whose mapping has errors ({first})",
                                             "relations", rel.attribute, "target"))
                elif rel.target not in by_type:
                    hint = difflib.get_close_matches(rel.target, list(by_type), n=1)
                    errors.append(spec.error(
                        f"unknown content type {rel.target!r}" + (f" (did you mean {hint[0]!r}?)" if hint else ""),
                        "relations", rel.attribute, "target",
                    ))
            if errors:
                broken[spec.content_type] = errors
                del by_type[spec.content_type]
                changed = True
    sorter: graphlib.TopologicalSorter[str] = graphlib.TopologicalSorter()
    for spec in by_type.values():
        sorter.add(spec.content_type, *(r.target for r in spec.relations if r.target != spec.content_type))
    try:
        order = list(sorter.static_order())
    except graphlib.CycleError as exc:
        cycle = exc.args[1]
        for name in dict.fromkeys(cycle):
            spec = by_type.pop(name)
            following = cycle[cycle.index(name) + 1] if cycle.index(name) + 1 < len(cycle) else cycle[0]
            rel = next((r for r in spec.relations if r.target == following), spec.relations[0])
            broken[name] = [spec.error("relation cycle cannot be ordered: " + " -> ".join(cycle), "relations", rel.attribute, "target")]
        return _order(list(by_type.values()), broken)
    return [_with_targets(by_type[name], by_type) for name in order]


def _with_targets(spec: MappingSpec, by_type: dict[str, MappingSpec]) -> MappingSpec:
    """`spec` with each relation knowing its target's table, so queries need nothing but the spec."""
    relations = tuple(
        replace(rel, target_table=TargetTable(t.table, t.schema, t.primary_key, t.soft_delete, t.where), target_key=t.key)
        for rel in spec.relations for t in [by_type[rel.target]]
    )
    return replace(spec, relations=relations)


@dataclass(frozen=True)
class LoadedMappings:
    """The mappings of a folder that load, and those that do not (content type -> errors).

    A broken file disables only its own content type and the types whose relations point at it.
    """

    mappings: MappingSet
    broken: dict[str, list[MappingError]]

    @property
    def errors(self) -> list[MappingError]:
        """Every error, in file order."""
        return [e for errors in self.broken.values() for e in errors]


def _mapping_files(directory: Path) -> list[Path]:
    return sorted(directory.glob("*.yaml")) + sorted(directory.glob("*.yml"))


def mappings_digest(directory: Path | str) -> str:
    """A digest of the mapping files of `directory` (names and contents): it changes when any file is edited,
    added or removed. Cheap enough to take on every sensor tick."""
    digest = hashlib.sha256()
    for file in _mapping_files(Path(directory)):
        try:
            content = file.read_bytes()
        except OSError as exc:
            content = f"unreadable: {exc.strerror}".encode()
        digest.update(f"{file.name}\0{len(content)}\0".encode() + content)
    return digest.hexdigest()


def load_mapping_set(directory: Path | str) -> LoadedMappings:
    """Load every `*.yaml` mapping in `directory`, keeping the good ones when some are broken."""
    directory = Path(directory)
    if not directory.is_dir():
        raise MappingErrors([MappingError(directory, None, "", "mappings directory does not exist")])
    files = _mapping_files(directory)
    if not files:
        raise MappingErrors([MappingError(directory, None, "", "no *.yaml mapping files found")])
    specs: list[MappingSpec] = []
    broken: dict[str, list[MappingError]] = {}
    for file in files:
        try:
            specs.append(load_mapping(file))
        except MappingErrors as exc:
            broken[_declared_type(file)] = exc.errors
    ordered = _order(specs, broken)
    return LoadedMappings(MappingSet(tuple(ordered)), broken)


def _declared_type(file: Path) -> str:
    """The content type a broken file means to map: its `content_type:` line if it has one, else its name.

    Read as text, not parsed: the file is broken, and may be hostile (an alias bomb).
    """
    try:
        found = re.search(r"^content_type:\s*['\"]?([a-z][a-z0-9]*(?:-[a-z0-9]+)*)['\"]?\s*(?:#.*)?$",
                          file.read_bytes()[:100_000].decode("utf-8", "replace"), re.MULTILINE)
    except OSError:
        found = None
    return found.group(1) if found else (re.sub(r"[^a-z0-9-]+", "-", file.stem.lower()).strip("-") or "unnamed")


def load_mappings(directory: Path | str, only: Iterable[str] | None = None) -> MappingSet:
    """Load the `*.yaml` mappings in `directory`; raises MappingErrors listing the problems of those a run of
    `only` uses (all of them when None): the named types and the types they link to, as a Dagster run does.

    A broken file that the named types do not need is left out without stopping them; a name no file maps
    raises UnknownContentType (naming the known types) unless its file is broken, whose errors say why.
    """
    loaded = load_mapping_set(directory)
    names = list(dict.fromkeys(only)) if only else list(loaded.broken)
    errors = [error for name in names for error in loaded.broken.get(name, [])]
    if errors:
        raise MappingErrors(errors)
    for name in names:
        loaded.mappings.get(name)
    return loaded.mappings
