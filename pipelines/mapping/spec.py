"""What a mapping file declares, as typed values: the spec of one content type, and the set of them.

Built by `loader` from the YAML files; everything downstream (extract, transform, sync, checks,
Strapi schema generation) reads these and never the raw YAML.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Iterable

KeyPath = tuple[str | int, ...]
KEY_COLUMN, VALUE_COLUMN = "$key", "$value"  # pseudo-columns of a `json_entries` source


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
class Field:
    """A Strapi attribute filled from a Medusa column, optionally converted."""

    attribute: str
    column: str
    convert: str | None = None
    json_key: str | None = None
    currency_column: str | None = None
    strapi_type: str | None = None

    @property
    def is_pseudo(self) -> bool:
        """True for `$key` / `$value` of a json_entries source."""
        return self.column in (KEY_COLUMN, VALUE_COLUMN)


@dataclass(frozen=True)
class Through:
    """A join table: `source` holds this table's key, `target` the target table's key."""

    table: str
    source: str
    target: str
    soft_delete: str | None = None


@dataclass(frozen=True)
class Relation:
    """A relation linked by the target's medusa_id: by a foreign-key `column`, or `through` a join table."""

    attribute: str
    target: str
    column: str | None = None
    through: Through | None = None
    inverse: str | None = None
    to_one: bool = False

    @property
    def is_to_many(self) -> bool:
        """True when the attribute holds a list of targets (many-to-many)."""
        return self.through is not None and not self.to_one


@dataclass(frozen=True)
class Partitioning:
    """Time partitions of a content type's history, for backfills."""

    start: str  # YYYY-MM-DD
    column: str = "created_at"
    granularity: str = "monthly"


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
    json_entries: str | None = None
    fields: dict[str, Field] = field(default_factory=dict)
    relations: tuple[Relation, ...] = ()
    cms_only: dict[str, str] = field(default_factory=dict)
    drop: tuple[str, ...] = ()
    description: str | None = None
    partition: Partitioning | None = None
    path: Path | None = None
    lines: dict[KeyPath, int] = field(default_factory=dict, compare=False, repr=False)

    @property
    def uid(self) -> str:
        """Strapi UID, e.g. api::product.product."""
        return f"api::{self.content_type}.{self.content_type}"

    @property
    def source_columns(self) -> list[str]:
        """Columns the extractor reads: key, mapped fields, relation keys, cursor (no duplicates)."""
        wanted = [self.primary_key]
        for f in self.fields.values():
            if not f.is_pseudo:
                wanted.append(f.column)
            if f.currency_column:
                wanted.append(f.currency_column)
        wanted += [r.column for r in self.relations if r.column]
        if self.json_entries:
            wanted.append(self.json_entries)
        if self.cursor:
            wanted.append(self.cursor)
        return list(dict.fromkeys(wanted))

    def source_key(self, medusa_id: str) -> str:
        """The primary key (as text) of the source row an entry's medusa_id comes from."""
        return medusa_id.split(":", 1)[0] if self.json_entries else medusa_id

    def relation(self, attribute: str) -> Relation:
        """The relation declared under `attribute`."""
        return next(r for r in self.relations if r.attribute == attribute)

    def line_of(self, *path: str | int) -> int | None:
        """Line of the deepest known key along `path` in the mapping file."""
        return line_at(self.lines, tuple(path))

    def error(self, message: str, *path: str | int) -> MappingError:
        """A MappingError located at `path` in this spec's file."""
        return MappingError(self.path or self.content_type, self.line_of(*path), dotted(path), message)


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

    def inverse_relations(self, content_type: str) -> list[tuple[MappingSpec, Relation]]:
        """(owner spec, relation) pairs of relations pointing at `content_type` that name an `inverse`."""
        return [(s, r) for s in self.specs for r in s.relations if r.target == content_type and r.inverse]


def line_at(lines: dict[KeyPath, int], path: KeyPath) -> int | None:
    for end in range(len(path), -1, -1):
        if path[:end] in lines:
            return lines[path[:end]]
    return None


def dotted(path: Iterable[str | int]) -> str:
    return ".".join(str(p) for p in path)


