"""Mapping files: load YAML, validate against the JSON Schema, and build typed specs.

Every error names the file, the line and the key, so a data team can fix a bad edit
before anything is read from Medusa or written to Strapi.
"""

from __future__ import annotations

import difflib
import graphlib
import json
from dataclasses import dataclass, field
from functools import cache
from pathlib import Path
from typing import Any, Iterable

import jsonschema
import yaml

SCHEMA_PATH = Path(__file__).with_name("mapping.schema.json")

KeyPath = tuple[str | int, ...]


class MappingError(Exception):
    """A problem in a mapping file, located by file, line and key path."""

    def __init__(self, file: Path | str, line: int | None, key: str, message: str):
        self.file = str(file)
        self.line = line
        self.key = key
        self.message = message
        super().__init__(str(self))

    def __str__(self) -> str:
        where = f"{self.file}:{self.line}" if self.line else self.file
        return f"{where}: {self.key}: {self.message}" if self.key else f"{where}: {self.message}"


class MappingErrors(Exception):
    """All problems found in a set of mapping files (raised together, so one run shows them all)."""

    def __init__(self, errors: list[MappingError]):
        self.errors = errors
        super().__init__("\n".join(str(e) for e in errors))


@dataclass(frozen=True)
class Relation:
    """A many-to-one relation: `column` of the source table holds the target's Medusa key."""

    attribute: str
    target: str
    column: str
    inverse: str | None = None


@dataclass(frozen=True)
class MappingSpec:
    """One content type's mapping, with defaults applied."""

    content_type: str
    plural: str
    table: str
    schema: str = "public"
    primary_key: str = "id"
    cursor: str | None = "updated_at"
    soft_delete: str | None = "deleted_at"
    fields: dict[str, str] = field(default_factory=dict)
    relations: tuple[Relation, ...] = ()
    cms_only: dict[str, str] = field(default_factory=dict)
    drop: tuple[str, ...] = ()
    path: Path | None = None
    lines: dict[KeyPath, int] = field(default_factory=dict, compare=False, repr=False)

    @property
    def source_columns(self) -> list[str]:
        """Columns the extractor reads: key, mapped fields, relation keys, cursor (no duplicates)."""
        wanted = [self.primary_key, *self.fields.values(), *(r.column for r in self.relations)]
        if self.cursor:
            wanted.append(self.cursor)
        return list(dict.fromkeys(wanted))

    @property
    def written_attributes(self) -> list[str]:
        """Strapi attributes the sync writes and compares (besides `medusa_id`)."""
        return [*self.fields, *(r.attribute for r in self.relations)]

    def line_of(self, *path: str | int) -> int | None:
        """Line of the deepest known key along `path` in the mapping file."""
        for end in range(len(path), -1, -1):
            if path[:end] in self.lines:
                return self.lines[path[:end]]
        return None

    def error(self, message: str, *path: str | int) -> MappingError:
        """A MappingError located at `path` in this spec's file."""
        return MappingError(self.path or self.content_type, self.line_of(*path), _dotted(path), message)


@cache
def mapping_json_schema() -> dict[str, Any]:
    """The JSON Schema every mapping file must satisfy."""
    return json.loads(SCHEMA_PATH.read_text())


def _dotted(path: Iterable[str | int]) -> str:
    return ".".join(str(p) for p in path)


class _LineLoader(yaml.SafeLoader):
    """SafeLoader that records the line of every key and refuses duplicate keys."""


def _read_yaml(path: Path) -> tuple[Any, dict[KeyPath, int]]:
    text = path.read_text(encoding="utf-8")
    loader = _LineLoader(text)
    try:
        node = loader.get_single_node()
        if node is None:
            raise MappingError(path, 1, "", "file is empty")
        data = loader.construct_document(node)
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        line = mark.line + 1 if mark else None
        raise MappingError(path, line, "", f"not valid YAML: {exc.problem or exc}") from None
    finally:
        loader.dispose()
    lines: dict[KeyPath, int] = {}
    _collect_lines(node, (), lines, path)
    return data, lines


def _collect_lines(node: yaml.Node, path: KeyPath, lines: dict[KeyPath, int], file: Path) -> None:
    lines.setdefault(path, node.start_mark.line + 1)
    if isinstance(node, yaml.MappingNode):
        seen: set[Any] = set()
        for key_node, value_node in node.value:
            key = key_node.value
            if key in seen:
                raise MappingError(file, key_node.start_mark.line + 1, _dotted((*path, key)), "duplicate key")
            seen.add(key)
            lines[(*path, key)] = key_node.start_mark.line + 1
            _collect_lines(value_node, (*path, key), lines, file)
    elif isinstance(node, yaml.SequenceNode):
        for index, item in enumerate(node.value):
            _collect_lines(item, (*path, index), lines, file)


def _schema_errors(data: Any, lines: dict[KeyPath, int], file: Path) -> list[MappingError]:
    validator = jsonschema.Draft202012Validator(mapping_json_schema())
    found: list[MappingError] = []
    for err in sorted(validator.iter_errors(data), key=lambda e: [str(p) for p in e.absolute_path]):
        path: KeyPath = tuple(err.absolute_path)
        if err.validator == "additionalProperties" and isinstance(err.instance, dict):
            allowed = sorted(err.schema.get("properties", {}))
            for extra in sorted(set(err.instance) - set(allowed)):
                hint = difflib.get_close_matches(str(extra), allowed, n=1)
                message = f"unknown key {extra!r}" + (f" (did you mean {hint[0]!r}?)" if hint else f"; allowed: {', '.join(allowed)}")
                found.append(MappingError(file, _line(lines, (*path, extra)), _dotted((*path, extra)), message))
            continue
        if err.validator == "required":
            missing = err.message.split("'")[1] if "'" in err.message else err.message
            found.append(MappingError(file, _line(lines, path), _dotted((*path, missing)), "required key is missing"))
            continue
        if "propertyNames" in err.absolute_schema_path:
            path = (*path, err.instance)  # the error is about the key itself
        found.append(MappingError(file, _line(lines, path), _dotted(path), _message(err)))
    return found


def _line(lines: dict[KeyPath, int], path: KeyPath) -> int | None:
    for end in range(len(path), -1, -1):
        if path[:end] in lines:
            return lines[path[:end]]
    return None


def _message(err: jsonschema.ValidationError) -> str:
    if err.validator == "pattern":
        return f"{err.instance!r} is not a valid name (must match {err.validator_value})"
    if err.validator == "type":
        return f"expected {err.validator_value}, got {type(err.instance).__name__} {err.instance!r}"
    if err.validator == "enum":
        return f"{err.instance!r} is not one of {', '.join(map(str, err.validator_value))}"
    if err.validator == "not" and err.instance in ("id", "documentId", "medusa_id", "createdAt", "updatedAt", "publishedAt", "locale"):
        return f"{err.instance!r} is managed by Strapi or the sync and cannot be mapped"
    if err.validator == "oneOf":
        return f"{err.instance!r} must be a column name or null"
    return err.message


def _build_spec(data: dict[str, Any], lines: dict[KeyPath, int], path: Path) -> MappingSpec:
    source = data["source"]
    relations = tuple(
        Relation(attribute=name, target=r["target"], column=r["column"], inverse=r.get("inverse"))
        for name, r in (data.get("relations") or {}).items()
    )
    return MappingSpec(
        content_type=data["content_type"],
        plural=data["plural"],
        table=source["table"],
        schema=source.get("schema", "public"),
        primary_key=source.get("primary_key", "id"),
        cursor=source.get("cursor", "updated_at"),
        soft_delete=source.get("soft_delete", "deleted_at"),
        fields=dict(data.get("fields") or {}),
        relations=relations,
        cms_only=dict(data.get("cms_only") or {}),
        drop=tuple(data.get("drop") or ()),
        path=path,
        lines=lines,
    )


def _spec_errors(spec: MappingSpec) -> list[MappingError]:
    """Checks inside one file that the JSON Schema cannot express."""
    errors = []
    written: dict[str, KeyPath] = {}
    for section, names in (("fields", spec.fields), ("relations", [r.attribute for r in spec.relations]), ("cms_only", spec.cms_only)):
        for name in names:
            if name in written:
                errors.append(spec.error(f"attribute is also declared under {written[name][0]}", section, name))
            written.setdefault(name, (section, name))
    if spec.path is not None and spec.path.stem != spec.content_type:
        errors.append(spec.error(f"file must be named {spec.content_type}.yaml", "content_type"))
    if spec.primary_key in spec.fields.values():
        key = next(a for a, c in spec.fields.items() if c == spec.primary_key)
        errors.append(spec.error("the primary key is written as medusa_id; map it only under source.primary_key", "fields", key))
    return errors


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


@dataclass(frozen=True)
class MappingSet:
    """All mappings of a directory, in dependency order (relation targets first)."""

    specs: tuple[MappingSpec, ...]

    def __iter__(self):
        return iter(self.specs)

    def __len__(self) -> int:
        return len(self.specs)

    def get(self, content_type: str) -> MappingSpec:
        """The spec of `content_type`; KeyError naming the known types otherwise."""
        for spec in self.specs:
            if spec.content_type == content_type:
                return spec
        raise KeyError(f"unknown content type {content_type!r}; known: {', '.join(s.content_type for s in self.specs)}")

    @property
    def content_types(self) -> list[str]:
        """Content type names in dependency order."""
        return [s.content_type for s in self.specs]

    def dependencies(self, content_type: str) -> list[str]:
        """Content types that `content_type`'s relations point at (other than itself)."""
        spec = self.get(content_type)
        return list(dict.fromkeys(r.target for r in spec.relations if r.target != content_type))


def _order(specs: list[MappingSpec]) -> tuple[list[MappingSpec], list[MappingError]]:
    by_type: dict[str, MappingSpec] = {}
    errors: list[MappingError] = []
    for spec in specs:
        if spec.content_type in by_type:
            other = by_type[spec.content_type].path
            errors.append(spec.error(f"content type is already mapped in {other}", "content_type"))
        by_type.setdefault(spec.content_type, spec)
    sorter: graphlib.TopologicalSorter[str] = graphlib.TopologicalSorter()
    for spec in by_type.values():
        sorter.add(spec.content_type)
        for rel in spec.relations:
            if rel.target not in by_type:
                hint = difflib.get_close_matches(rel.target, list(by_type), n=1)
                errors.append(spec.error(
                    f"unknown content type {rel.target!r}" + (f" (did you mean {hint[0]!r}?)" if hint else ""),
                    "relations", rel.attribute, "target",
                ))
            elif rel.target != spec.content_type:
                sorter.add(spec.content_type, rel.target)
    if errors:
        return [], errors
    try:
        order = list(sorter.static_order())
    except graphlib.CycleError as exc:
        cycle = exc.args[1]
        first = by_type[cycle[0]]
        rel = next(r for r in first.relations if r.target == cycle[1]) if len(cycle) > 1 else first.relations[0]
        return [], [first.error(
            "relation cycle cannot be ordered: " + " -> ".join(cycle), "relations", rel.attribute, "target"
        )]
    return [by_type[name] for name in order], []


def load_mappings(directory: Path | str) -> MappingSet:
    """Load every `*.yaml` mapping in `directory`; raises MappingErrors listing all problems."""
    directory = Path(directory)
    if not directory.is_dir():
        raise MappingErrors([MappingError(directory, None, "", "mappings directory does not exist")])
    files = sorted(directory.glob("*.yaml")) + sorted(directory.glob("*.yml"))
    if not files:
        raise MappingErrors([MappingError(directory, None, "", "no *.yaml mapping files found")])
    specs, errors = [], []
    for file in files:
        try:
            specs.append(load_mapping(file))
        except MappingErrors as exc:
            errors.extend(exc.errors)
    if errors:
        raise MappingErrors(errors)
    ordered, errors = _order(specs)
    if errors:
        raise MappingErrors(errors)
    return MappingSet(tuple(ordered))
