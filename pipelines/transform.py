"""Turn extracted Medusa rows into Strapi-ready records, as declared by a mapping."""

from __future__ import annotations

import datetime as dt
import math
import uuid
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

import pandas as pd

from .mapping import MappingSpec


@dataclass
class Record:
    """One Strapi entry to be: its key, its scalar attributes, and its relation targets by Medusa key."""

    medusa_id: str
    attributes: dict[str, Any] = field(default_factory=dict)
    links: dict[str, str | None] = field(default_factory=dict)


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
    return pd.DataFrame(rows, columns=spec.source_columns, dtype=object)


def transform(rows: list[dict[str, Any]], spec: MappingSpec) -> list[Record]:
    """Apply `spec` to extracted rows: rename fields, keep relation keys, drop everything else."""
    if not rows:
        return []
    frame = to_frame(rows, spec)
    out = pd.DataFrame(
        {
            "medusa_id": frame[spec.primary_key].map(str),
            **{attr: frame[column] for attr, column in spec.fields.items()},
        },
        dtype=object,
    )
    links = pd.DataFrame(
        {rel.attribute: frame[rel.column] for rel in spec.relations}, index=frame.index, dtype=object
    )
    records = []
    for attributes, link_row in zip(out.to_dict("records"), links.to_dict("records")):
        medusa_id = attributes.pop("medusa_id")
        records.append(
            Record(
                medusa_id=medusa_id,
                attributes={k: jsonable(v) for k, v in attributes.items()},
                links={k: None if v is None else str(v) for k, v in link_row.items()},
            )
        )
    return records
