"""Turn extracted Medusa rows into Strapi-ready records, as declared by a mapping."""

from __future__ import annotations

import datetime as dt
import math
import uuid
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

import pandas as pd

from ..mapping.converters import CONVERTERS, ConversionError
from ..medusa.source import DELETED, UnreadableJson
from ..mapping import KEY_COLUMN, VALUE_COLUMN, Field, MappingSpec, Relation
from ..secrets import describe_error

Link = str | list[str] | None


@dataclass
class Record:
    """One Strapi entry to be: its key, its scalar attributes, and its relation targets by Medusa key."""

    medusa_id: str
    attributes: dict[str, Any] = field(default_factory=dict)
    links: dict[str, Link] = field(default_factory=dict)
    key: Any = None  # the source row's primary key value, as the database holds it
    error: str | None = None  # set when a value could not be converted
    deleted: bool = False  # the row is soft-deleted in Medusa: its entry is to be removed


PLAIN = frozenset({str, int, bool, type(None)})  # JSON-safe as they are
MAX_JSON_DEPTH = 100  # deeper values fail their row: Python's JSON encoder and Strapi's reader are recursive


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
    if value is pd.NA or value is pd.NaT:
        return None
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


def to_frame(rows: list[dict[str, Any]], spec: MappingSpec) -> pd.DataFrame:
    """Rows as an object-dtype DataFrame (no float coercion of nullable ints, no NaN)."""
    # dtype=object at construction: inferring first would turn a nullable integer column into floats with NaN.
    return pd.DataFrame(rows, columns=list(rows[0]) if rows else spec.source_columns, dtype=object)


def explode_json_entries(frame: pd.DataFrame, spec: MappingSpec) -> pd.DataFrame:
    """One row per key of the `json_entries` object column, with `$key` / `$value` pseudo-columns."""
    items = frame[spec.json_entries].map(_entries)
    exploded = frame.assign(_item=items).explode("_item").dropna(subset=["_item"])
    exploded[KEY_COLUMN] = exploded["_item"].map(lambda kv: kv[0])
    exploded[VALUE_COLUMN] = exploded["_item"].map(lambda kv: kv[1])
    return exploded.drop(columns="_item").reset_index(drop=True).astype(object)


def _entries(obj: Any) -> list[tuple[Any, Any]]:
    if isinstance(obj, dict):
        return list(obj.items())
    if isinstance(obj, UnreadableJson):
        return [(UNREADABLE_KEY, obj)]  # one failing entry stands for the entries that cannot be read
    return []


UNREADABLE_KEY = "*"


def _value(f: Field, row: dict[str, Any]) -> Any:
    value = row[f.row_key]
    if f.json_key is not None:
        value = value.get(f.json_key) if isinstance(value, dict) else None
    if f.convert:
        converter = CONVERTERS[f.convert]
        if converter.needs_currency:
            value = converter.apply(value, row[f.currency_column] if f.currency_column else None)
        else:
            value = converter.apply(value)
    if type(value) in PLAIN:  # most values: nothing to convert
        return value
    return jsonable(value)


def transform(rows: list[dict[str, Any]], spec: MappingSpec) -> list[Record]:
    """Apply `spec` to extracted rows: rename and convert fields, keep relation keys, drop the rest.

    A row whose value a converter refuses becomes a Record with `error` set (it is reported, not written).
    """
    if not rows:
        return []
    if spec.json_entries:
        rows = explode_json_entries(to_frame(rows, spec), spec).to_dict("records")
    # (attribute, where the row holds it, the field when it needs more than a plain copy): read once a chunk
    fields = [(name, f.row_key, f if f.convert or f.json_key is not None else None) for name, f in spec.fields.items()]
    return [_record(row, spec, fields) for row in rows]


def _link(rel: Relation, value: Any) -> Link:
    """The extractor's live target key(s) as the planner wants them: a sorted list (to-many) or one key."""
    if rel.is_to_many:
        return sorted(str(v) for v in value or [])
    return None if value is None else str(value)


def _record(row: dict[str, Any], spec: MappingSpec, fields: list[tuple[str, str, Field | None]]) -> Record:
    """One row as a Record; any exception fails this row only (its reason in `error`)."""
    key = row[spec.primary_key]
    medusa_id = f"{key}:{row[KEY_COLUMN]}" if spec.json_entries else str(key)
    record = Record(medusa_id=medusa_id, key=key, deleted=bool(row.get(DELETED)))
    try:
        if spec.json_entries and isinstance(row[VALUE_COLUMN], UnreadableJson):
            raise ConversionError(f"{spec.json_entries}: {row[VALUE_COLUMN].reason}")
        attributes = {}
        for name, row_key, special in fields:
            value = row[row_key]
            # Most values are plain and need no conversion: no call for them (millions a full sync).
            attributes[name] = value if special is None and type(value) in PLAIN else _value(special or spec.fields[name], row)
        record.attributes = attributes
        record.links = {rel.attribute: _link(rel, row[rel.row_key]) for rel in spec.relations}
    except ConversionError as exc:
        record.error = f"cannot convert: {exc}"
    except Exception as exc:  # noqa: BLE001 - one row's surprise must not stop the run
        record.error = f"cannot convert: {describe_error(exc)}"
    return record
