"""What a mapping file declares, as typed values: the spec of one content type, and the set of them.

Built by `loader` from the YAML files; everything downstream (extract, transform, sync, checks,
Strapi schema generation) reads these and never the raw YAML.
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from functools import cached_property
from pathlib import Path
from typing import Any, Iterable

from ..entry_versions import PLAIN, EntryVersions

KeyPath = tuple[str | int, ...]
KEY_COLUMN, VALUE_COLUMN = "$key", "$value"  # pseudo-columns of a `json_entries` source
LOOKUP_PREFIX, LINK_PREFIX = "@lookup:", "@link:"  # labels of the values the extractor computes per row
MEDIA_PREFIX = "@media:"  # the read-only fields that carry a media attribute's URL(s) from Medusa (never written as such)
DEFAULT_KEY = "medusa_id"  # the Strapi attribute an entry is found by, unless a mapping names its own (`key`)

Condition = tuple[str, Any]  # (column, value): equals; None: IS NULL; a list: IN


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


class UnknownContentType(LookupError):
    """A content type no mapping of the set maps (e.g. a typo in `--only`)."""

    def __str__(self) -> str:
        return str(self.args[0]) if self.args else "unknown content type"


class MappingErrors(Exception):
    """All problems found in a set of mapping files (raised together, so one run shows them all)."""

    def __init__(self, errors: list[MappingError]):
        self.errors = errors
        super().__init__("\n".join(str(e) for e in errors))


@dataclass(frozen=True)
class Hop:
    """One step of a path from a source row to the rows related to it.

    It reaches the rows of `table` whose `source` column equals the previous step's `from_column`
    (on the first hop a column of the source row, by default its primary key; on later hops a column of
    the previous hop's table, by default that hop's `target`), that match `where` and, when
    `soft_delete` is set, are not soft-deleted. `target` is the column that carries the path on (on a
    relation's last hop: the target's primary key).
    """

    table: str
    source: str
    target: str | None = None
    from_column: str | None = None
    where: tuple[Condition, ...] = ()
    soft_delete: str | None = None


HopPath = tuple[Hop, ...]


@dataclass(frozen=True)
class Lookup:
    """A scalar read over a path: `aggregate` of `column` of the last hop's rows (None when there are none)."""

    path: HopPath
    column: str
    aggregate: str = "first"
    order: str | None = None  # a column of the last hop's table the values are ordered by (before its key)


@dataclass(frozen=True)
class Field:
    """A Strapi attribute filled from a Medusa column (or a lookup over a path), optionally converted."""

    attribute: str
    column: str | None = None
    convert: str | None = None
    json_key: str | None = None
    currency_column: str | None = None
    strapi_type: str | None = None
    lookup: Lookup | None = None
    precision: int | None = None
    scale: int | None = None
    values: tuple[str, ...] = ()  # the allowed values of `convert: enumeration`

    @property
    def is_pseudo(self) -> bool:
        """True for `$key` / `$value` of a json_entries source."""
        return self.column in (KEY_COLUMN, VALUE_COLUMN)

    @property
    def row_key(self) -> str:
        """Where the extracted row holds this field's raw value: its column, or the lookup's label."""
        return f"{LOOKUP_PREFIX}{self.attribute}" if self.lookup else self.column


@dataclass(frozen=True)
class TargetTable:
    """Where a relation's target rows live, and which of them are live (resolved when the set loads)."""

    table: str
    schema: str
    primary_key: str
    soft_delete: str | None
    where: tuple[Condition, ...] = ()


@dataclass(frozen=True)
class Relation:
    """A relation linked by the target's key attribute: by a foreign-key `column`, or `through` a path of hops."""

    attribute: str
    target: str
    column: str | None = None
    through: HopPath | None = None
    inverse: str | None = None
    to_one: bool = False
    required: bool = False  # rows without a live target here are not synced (their entries are deleted)
    target_table: TargetTable | None = None  # filled in by the MappingSet from the target's mapping
    target_key: str = DEFAULT_KEY  # the target type's key attribute (its mapping's `key`), filled in likewise

    @property
    def is_to_many(self) -> bool:
        """True when the attribute holds a list of targets (many-to-many)."""
        return self.through is not None and not self.to_one

    @property
    def row_key(self) -> str:
        """Where the extracted row holds the live target key(s) of this relation."""
        return f"{LINK_PREFIX}{self.attribute}"


@dataclass(frozen=True)
class MediaAttribute:
    """A Strapi media attribute the sync fills by fetching files and uploading them to Strapi's media library
    (pipelines.media), from one of: a mapped field holding a URL (`from`; `alt` and `caption` name mapped fields
    too), a URL column of the source row (`column`), or the URLs a path reaches (`lookup`, in its `order`; with
    `multiple`, the attribute holds all of them, else the first)."""

    attribute: str
    source: str | None = None  # the mapped field holding the file's URL (`from` in YAML)
    alt: str | None = None
    caption: str | None = None
    column: str | None = None  # a URL column of the source table, read without a Strapi attribute of its own
    lookup: Lookup | None = None  # URL rows over a path, as a lookup reads them
    multiple: bool = False  # the attribute holds several files (Strapi's `multiple: true`)

    def fields(self) -> tuple[str, ...]:
        """The mapped fields this attribute reads (none when its URLs come from Medusa directly)."""
        return tuple(name for name in (self.source, self.alt, self.caption) if name)

    @property
    def from_medusa(self) -> bool:
        """True when the URLs come from Medusa's rows (`column` or `lookup`), not from a mapped field in Strapi."""
        return self.source is None

    @property
    def label(self) -> str:
        """Where a record carries this attribute's URL(s) from Medusa (`Record.media`)."""
        return f"{MEDIA_PREFIX}{self.attribute}"

    def read_field(self) -> "Field | None":
        """The read-only field the extractor reads this attribute's URL(s) by, or None (a mapped field has them)."""
        if self.lookup is not None:
            return Field(self.label, lookup=replace(self.lookup, aggregate="list" if self.multiple else self.lookup.aggregate))
        return Field(self.label, self.column) if self.column is not None else None


DEFAULT_CURSOR = "updated_at"  # the column whose moves a run reads changes by (mapping key `cursor`)
DEFAULT_PARTITION_COLUMN = "created_at"  # the column a type's history is partitioned and backfilled by


@dataclass(frozen=True)
class Partitioning:
    """Time partitions of a content type's history, for backfills."""

    start: str  # YYYY-MM-DD
    column: str = DEFAULT_PARTITION_COLUMN
    granularity: str = "monthly"


@dataclass(frozen=True)
class MappingSpec:
    """One content type's mapping, with defaults applied."""

    content_type: str
    plural: str
    table: str
    key: str = DEFAULT_KEY  # the Strapi attribute holding the Medusa id an entry is found by (mapping key `key`)
    schema: str = "public"
    primary_key: str = "id"
    cursor: str | None = DEFAULT_CURSOR
    soft_delete: str | None = "deleted_at"
    json_entries: str | None = None
    where: tuple[Condition, ...] = ()  # only rows matching every condition are synced (others count as deleted)
    fields: dict[str, Field] = field(default_factory=dict)
    relations: tuple[Relation, ...] = ()
    cms_only: dict[str, str] = field(default_factory=dict)
    write_back: tuple[str, ...] = ()  # two-way fields, merged on both sides (see sync.merge, writeback.plan)
    on_conflict: str = "strapi"  # which side wins when both changed a write_back field: strapi, medusa or newest
    strapi: EntryVersions = PLAIN  # Draft & Publish and locales of the type in Strapi (mapping key `strapi`)
    media: dict[str, MediaAttribute] = field(default_factory=dict)  # media attributes filled from URL fields
    drop: tuple[str, ...] = ()
    description: str | None = None
    partition: Partitioning | None = None
    path: Path | None = None
    lines: dict[KeyPath, int] = field(default_factory=dict, compare=False, repr=False)

    @property
    def uid(self) -> str:
        """Strapi UID, e.g. api::product.product."""
        return f"api::{self.content_type}.{self.content_type}"

    @cached_property
    def read_fields(self) -> dict[str, Field]:
        """What the extractor reads and `transform` converts: the mapped fields, and the media attributes' URL
        sources read from Medusa (labelled `MediaAttribute.label`, never written as attributes)."""
        hidden = {m.label: f for m in self.media.values() for f in [m.read_field()] if f is not None}
        return {**self.fields, **hidden} if hidden else self.fields

    @property
    def source_columns(self) -> list[str]:
        """Columns of the source table the extractor reads: key, mapped fields, cursor (no duplicates).

        Relation keys and lookups are computed by the extractor per row (see `Relation.row_key`,
        `Field.row_key`), not read as plain columns.
        """
        wanted = [self.primary_key]
        for f in self.read_fields.values():
            if f.column is not None and not f.is_pseudo:
                wanted.append(f.column)
            if f.currency_column:
                wanted.append(f.currency_column)
        if self.json_entries:
            wanted.append(self.json_entries)
        if self.cursor:
            wanted.append(self.cursor)
        return list(dict.fromkeys(wanted))

    def paths(self) -> list[tuple[tuple[str | int, ...], HopPath]]:
        """Every path this mapping follows, with its key path in the file (relations, then lookups)."""
        found = [(("relations", r.attribute, "through"), r.through) for r in self.relations if r.through]
        found += [(("fields", f.attribute, "lookup", "through"), f.lookup.path) for f in self.fields.values() if f.lookup]
        found += [(("media", m.attribute, "lookup", "through"), m.lookup.path) for m in self.media.values() if m.lookup]
        return found

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
        """The spec of `content_type`; UnknownContentType naming the known types otherwise."""
        for spec in self.specs:
            if spec.content_type == content_type:
                return spec
        raise UnknownContentType(f"unknown content type {content_type!r}; known: {', '.join(s.content_type for s in self.specs)}")

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


