"""Turn extracted Medusa rows into Strapi-ready records, as declared by a mapping."""

from __future__ import annotations

import datetime as dt
import math
import uuid
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

import pandas as pd

from .convert import CONVERTERS, ConversionError
from .extract import DELETED
from .mapping import KEY_COLUMN, VALUE_COLUMN, Field, MappingSpec

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


def jsonable(value: Any) -> Any:
    """A JSON-safe copy of a database value: Decimal/datetime/UUID converted, NaN refused as None.

    Strings, nested dicts and lists pass through unchanged (unicode included).
    """
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
    if isinstance(value, dict):
        return {str(k): jsonable(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [jsonable(v) for v in value]
    if value is pd.NA or value is pd.NaT:
        return None
    return str(value)


def to_frame(rows: list[dict[str, Any]], spec: MappingSpec) -> pd.DataFrame:
    """Rows as an object-dtype DataFrame (no float coercion of nullable ints, no NaN)."""
    # dtype=object at construction: inferring first would turn a nullable integer column into floats with NaN.
    return pd.DataFrame(rows, columns=list(rows[0]) if rows else spec.source_columns, dtype=object)


def explode_json_entries(frame: pd.DataFrame, spec: MappingSpec) -> pd.DataFrame:
    """One row per key of the `json_entries` object column, with `$key` / `$value` pseudo-columns."""
    items = frame[spec.json_entries].map(lambda obj: list(obj.items()) if isinstance(obj, dict) else [])
    exploded = frame.assign(_item=items).explode("_item").dropna(subset=["_item"])
    exploded[KEY_COLUMN] = exploded["_item"].map(lambda kv: kv[0])
    exploded[VALUE_COLUMN] = exploded["_item"].map(lambda kv: kv[1])
    return exploded.drop(columns="_item").reset_index(drop=True).astype(object)


def _value(f: Field, row: dict[str, Any]) -> Any:
    value = row[f.column]
    if f.json_key is not None:
        value = value.get(f.json_key) if isinstance(value, dict) else None
    if f.convert == "minor_units":
        value = CONVERTERS["minor_units"](value, row[f.currency_column] if f.currency_column else None)
    elif f.convert:
        value = CONVERTERS[f.convert](value)
    return jsonable(value)


def transform(rows: list[dict[str, Any]], spec: MappingSpec) -> list[Record]:
    """Apply `spec` to extracted rows: rename and convert fields, keep relation keys, drop the rest.

    A row whose value a converter refuses becomes a Record with `error` set (it is reported, not written).
    """
    if not rows:
        return []
    frame = to_frame(rows, spec)
    if spec.json_entries:
        frame = explode_json_entries(frame, spec)
    records = []
    for row in frame.to_dict("records"):
        key = row[spec.primary_key]
        medusa_id = f"{key}:{row[KEY_COLUMN]}" if spec.json_entries else str(key)
        record = Record(medusa_id=medusa_id, key=key, deleted=bool(row.get(DELETED)))
        try:
            record.attributes = {name: _value(f, row) for name, f in spec.fields.items()}
        except (ConversionError, ArithmeticError, TypeError, ValueError) as exc:
            record.error = f"cannot convert: {exc}"
        record.links = {
            rel.attribute: None if row[rel.column] is None else str(row[rel.column])
            for rel in spec.relations if rel.column
        }
        records.append(record)
    return records
