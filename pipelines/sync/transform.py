"""Turn extracted Medusa rows into Strapi-ready records, as declared by a mapping."""

from __future__ import annotations

import datetime as dt
import math
import uuid
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any, Mapping, NamedTuple, Sequence

from ..mapping.converters import CONVERTERS, ConversionError
from ..medusa.source import DELETED, MAX_JSON_DEPTH, Rows, UnreadableJson, too_deep
from ..mapping import KEY_COLUMN, VALUE_COLUMN, Field, MappingSpec
from ..mapping.spec import MEDIA_PREFIX
from ..secrets import describe_error

Link = str | list[str] | None


@dataclass(slots=True)
class Record:
    """One Strapi entry to be: its key, its scalar attributes, and its relation targets by Medusa key."""

    medusa_id: str
    attributes: dict[str, Any] = field(default_factory=dict)
    links: dict[str, Link] = field(default_factory=dict)
    key: Any = None  # the source row's primary key value, as the database holds it
    error: str | None = None  # set when a value could not be converted
    deleted: bool = False  # the row is soft-deleted in Medusa: its entry is to be removed
    media: Mapping[str, Any] | None = None  # media attribute -> its URL(s) read from Medusa (`MediaAttribute.from_medusa`)


PLAIN = frozenset({str, int, bool, type(None)})  # JSON-safe as they are
# Taken as they are too: the driver's JSON loader (`load_json`) gives the only dicts a row holds, already
# JSON-safe (finite, at most MAX_JSON_DEPTH deep). Lists are copied: Postgres arrays hold Decimals, dates.
AS_READ = PLAIN | {dict}


def _scalar(value: Any) -> Any:
    """A JSON-safe copy of a database scalar: Decimal/datetime/UUID converted, NaN and infinities as None."""
    if value is None or isinstance(value, (str, bool, int)):
        return value
    if isinstance(value, float):
        return None if math.isnan(value) or math.isinf(value) else value
    if isinstance(value, Decimal):
        if not value.is_finite():
            return None
        return int(value) if value == value.to_integral_value() else float(value)
    if isinstance(value, dt.datetime):
        if value.tzinfo is None:
            value = value.replace(tzinfo=dt.timezone.utc)
        return value.astimezone(dt.timezone.utc).isoformat().replace("+00:00", "Z")
    if isinstance(value, dt.date):
        return value.isoformat()
    if isinstance(value, uuid.UUID):
        return str(value)
    if isinstance(value, UnreadableJson):
        raise ConversionError(value.reason)
    return str(value)


def jsonable(value: Any, max_depth: int = MAX_JSON_DEPTH) -> Any:
    """A JSON-safe copy of a database value (see `_scalar`), dicts and lists copied.

    Raises ConversionError for a value nested deeper than `max_depth`, or one the driver could not read.
    """
    if not isinstance(value, (dict, list, tuple)):
        return _scalar(value)
    return _copy(value, 1, max_depth)


def _copy(value: Any, depth: int, max_depth: int) -> Any:
    # Recursion is bounded by max_depth (100), far below Python's limit.
    if depth > max_depth:
        raise ConversionError(f"JSON value nests deeper than {max_depth} levels")
    if isinstance(value, dict):
        return {k if type(k) is str else str(k): _child(v, depth, max_depth) for k, v in value.items()}
    return [_child(v, depth, max_depth) for v in value]


def _child(value: Any, depth: int, max_depth: int) -> Any:
    if type(value) in PLAIN:
        return value
    if isinstance(value, (dict, list, tuple)):
        return _copy(value, depth + 1, max_depth)
    return _scalar(value)


def explode_json_entries(rows: Rows, spec: MappingSpec) -> Rows:
    """One row per key of the `json_entries` object column, with `$key` / `$value` pseudo-columns."""
    at = rows.columns.index(spec.json_entries)
    return Rows((*rows.columns, KEY_COLUMN, VALUE_COLUMN),
                [(*row, key, value) for row in rows.values for key, value in _entries(row[at])])


def _entries(obj: Any) -> list[tuple[Any, Any]]:
    if isinstance(obj, dict):
        return list(obj.items())
    if isinstance(obj, UnreadableJson) and isinstance(obj.value, dict):  # too deep: only the deep keys fail
        return [(key, too_deep(value)) for key, value in obj.value.items()]
    if isinstance(obj, UnreadableJson):
        return [(UNREADABLE_KEY, obj)]  # one failing entry stands for the entries that cannot be read
    return []


UNREADABLE_KEY = "*"


def _value(f: Field, value: Any, currency: Any) -> Any:
    if f.json_key is not None:
        value = value.get(f.json_key) if isinstance(value, dict) else None
    if f.convert:
        converter = CONVERTERS[f.convert]
        value = converter.apply(value, currency) if converter.needs_currency else \
            converter.apply(value, f.values) if converter.needs_values else converter.apply(value)
    if type(value) in AS_READ:  # most values: nothing to convert
        return value
    return jsonable(value)


class _Layout(NamedTuple):
    """Where a chunk's rows hold what a record needs: positions, read once a chunk (not per row)."""

    key: int
    entry_key: int | None  # json_entries: the `$key` pseudo-column
    entry_value: int | None  # json_entries: the `$value` pseudo-column
    deleted: int | None  # the `__deleted` flag, in windows that include rows that are not live
    # (attribute, position, the field when it needs more than a plain copy, the currency's position)
    fields: list[tuple[str, int, Field | None, int | None]]
    links: list[tuple[str, int, bool]]  # (attribute, position, to-many)
    media: list[str]  # the labels of media URL fields among `fields` (carried apart: `Record.media`)


def _layout(rows: Rows, spec: MappingSpec) -> tuple[Rows, _Layout]:
    read = spec.read_fields
    needed = [spec.primary_key, *(f.row_key for f in read.values()), *(rel.row_key for rel in spec.relations),
              *(f.currency_column for f in read.values() if f.currency_column)]
    missing = [column for column in dict.fromkeys(needed) if column not in rows.columns]
    if missing:  # rows given by hand (tests, dicts) may leave columns out: they read as None
        rows = Rows((*rows.columns, *missing), [(*row, *[None] * len(missing)) for row in rows.values])
    at = {column: index for index, column in enumerate(rows.columns)}
    fields = [(name, at[f.row_key], f if f.convert or f.json_key is not None else None,
               at[f.currency_column] if f.currency_column else None) for name, f in read.items()]
    links = [(rel.attribute, at[rel.row_key], rel.is_to_many) for rel in spec.relations]
    media = [name for name in read if name.startswith(MEDIA_PREFIX)]
    return rows, _Layout(at[spec.primary_key], at.get(KEY_COLUMN), at.get(VALUE_COLUMN), at.get(DELETED), fields, links, media)


def transform(rows: Rows | Sequence[Mapping[str, Any]], spec: MappingSpec) -> list[Record]:
    """Apply `spec` to extracted rows (a chunk as the extractor reads it, or dicts): rename and convert fields,
    keep relation keys, drop the rest.

    A row whose value a converter refuses becomes a Record with `error` set (it is reported, not written).
    """
    if not isinstance(rows, Rows):
        rows = Rows.of_dicts(rows)
    if not rows.values:
        return []
    if spec.json_entries:
        rows = explode_json_entries(rows, spec)
    rows, layout = _layout(rows, spec)
    return [_record(row, spec, layout) for row in rows.values]


def _link(to_many: bool, value: Any) -> Link:
    """The extractor's live target key(s) as the planner wants them: a sorted list (to-many) or one key."""
    if to_many:
        return sorted(map(str, value)) if value else []
    return None if value is None else str(value)


def _record(row: Sequence[Any], spec: MappingSpec, layout: _Layout) -> Record:
    """One row as a Record; any exception fails this row only (its reason in `error`)."""
    key = row[layout.key]
    medusa_id = f"{key}:{row[layout.entry_key]}" if layout.entry_key is not None else str(key)
    deleted = layout.deleted is not None and bool(row[layout.deleted])
    try:
        if layout.entry_value is not None and isinstance(row[layout.entry_value], UnreadableJson):
            raise ConversionError(f"{spec.json_entries}: {row[layout.entry_value].reason}")
        attributes = {}
        for name, at, special, currency in layout.fields:
            value = row[at]
            # Most values are plain and need no conversion: no call for them (millions a full sync).
            if special is None and type(value) in AS_READ:
                attributes[name] = value
            else:
                attributes[name] = jsonable(value) if special is None else _value(special, value, None if currency is None else row[currency])
        media = {name[len(MEDIA_PREFIX):]: attributes.pop(name) for name in layout.media} if layout.media else None
        targets = {}
        for name, at, to_many in layout.links:
            targets[name] = _link(to_many, row[at])
    except ConversionError as exc:
        return Record(medusa_id, key=key, deleted=deleted, error=f"cannot convert: {exc}")
    except Exception as exc:  # noqa: BLE001 - one row's surprise must not stop the run
        return Record(medusa_id, key=key, deleted=deleted, error=f"cannot convert: {describe_error(exc)}")
    return Record(medusa_id, attributes, targets, key, None, deleted, media)
