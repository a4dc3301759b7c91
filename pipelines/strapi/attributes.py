"""The Strapi attribute a mapped field becomes: its explicit type, its converter's or aggregate's, or the type of
its Medusa column. Read by the schema generator, the validator and the sync (which compares JSON values apart)."""

from __future__ import annotations

from typing import Any

import sqlalchemy as sa
from sqlalchemy.dialects import postgresql

from ..mapping import KEY_COLUMN, VALUE_COLUMN, Field, MappingSpec
from ..mapping.aggregates import AGGREGATES
from ..mapping.converters import CONVERTERS, WIDE_DECIMAL, decimal_attribute
from ..medusa.query import Tables

STRING_MAX = 255  # Strapi `string` columns are varchar(255)


class SchemaError(Exception):
    """A column type the generator cannot express in Strapi."""


def strapi_type(column_type: sa.types.TypeEngine) -> dict[str, Any]:
    """Strapi attribute for a reflected Postgres column type.

    `varchar` without a length (all of Medusa's) becomes `text`, not `string`: Strapi's `string` is
    varchar(255) and refuses longer values, while Medusa accepts them.
    """
    if isinstance(column_type, sa.Enum):
        return {"type": "enumeration", "enum": list(column_type.enums)}
    if isinstance(column_type, sa.Boolean):
        return {"type": "boolean"}
    if isinstance(column_type, sa.BigInteger):
        return {"type": "biginteger"}
    if isinstance(column_type, sa.Integer):
        return {"type": "integer"}
    if isinstance(column_type, sa.Float):
        return {"type": "float"}
    if isinstance(column_type, sa.Numeric):
        return decimal_attribute(column_type.precision or WIDE_DECIMAL[0], column_type.scale if column_type.precision else WIDE_DECIMAL[1])
    if isinstance(column_type, (sa.JSON, postgresql.JSONB, postgresql.JSON, sa.ARRAY)):
        return {"type": "json"}
    if isinstance(column_type, sa.DateTime):
        return {"type": "datetime"}
    if isinstance(column_type, sa.Date):
        return {"type": "date"}
    if isinstance(column_type, sa.Time):
        return {"type": "time"}
    if isinstance(column_type, sa.Uuid):
        return {"type": "string"}
    if isinstance(column_type, sa.String):
        if isinstance(column_type, sa.Text) or column_type.length is None or column_type.length > STRING_MAX:
            return {"type": "text"}
        return {"type": "string"}
    raise SchemaError(f"no Strapi type for column type {column_type!r}")


def field_attribute(spec: MappingSpec, f: Field, tables: Tables) -> dict[str, Any]:
    """The Strapi attribute of a mapped field: explicit type, converter type, aggregate type, or the type
    of its column (a lookup's: the last hop's column); `precision`/`scale` size a decimal.

    `tables(name, schema)` gives the reflected tables.
    """
    attribute = _field_type(spec, f, tables)
    if f.precision is not None and attribute["type"] == "decimal":
        attribute = decimal_attribute(f.precision, f.scale)
    return attribute


def _field_type(spec: MappingSpec, f: Field, tables: Tables) -> dict[str, Any]:
    if f.strapi_type:
        return {"type": f.strapi_type}
    if f.convert:
        attribute = dict(CONVERTERS[f.convert].attribute)
        return {**attribute, "enum": list(f.values)} if CONVERTERS[f.convert].needs_values else attribute
    if f.json_key is not None or f.column == VALUE_COLUMN:
        return {"type": "json"}
    if f.column == KEY_COLUMN:
        return {"type": "text"}
    if f.lookup and AGGREGATES[f.lookup.aggregate].attribute:
        return dict(AGGREGATES[f.lookup.aggregate].attribute)
    table, column = (tables(f.lookup.path[-1].table, spec.schema), f.lookup.column) if f.lookup else \
        (tables(spec.table, spec.schema), f.column)
    try:
        return strapi_type(table.c[column].type)
    except SchemaError as exc:
        raise SchemaError(f"{spec.content_type}.{f.attribute}: {exc}") from None
