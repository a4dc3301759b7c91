"""Generate the Strapi app's content types from the mappings and the reflected Medusa column types.

The mappings are the single source of truth: `medusa-strapi strapi-schema` writes
`src/api/<type>/content-types/<type>/schema.json` (+ route, controller and service files) for every
mapping, with both sides of every relation and a database-level unique index on `medusa_id`.
"""

from __future__ import annotations

import json
import shutil
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import sqlalchemy as sa
from sqlalchemy.dialects import postgresql

from ..medusa.source import MedusaSource
from ..mapping import KEY_COLUMN, VALUE_COLUMN, Field, MappingSet, MappingSpec
from ..mapping.aggregates import AGGREGATES
from ..mapping.converters import CONVERTERS, WIDE_DECIMAL, decimal_attribute
from ..medusa.query import Tables
from .system_types import SYSTEM_TYPES

GENERATED_MARKER = ".generated-by-medusa-strapi"
STRING_MAX = 255  # Strapi `string` columns are varchar(255)

MEDUSA_ID_ATTRIBUTE = {"type": "string", "required": True, "unique": True, "column": {"unique": True}}

JS_FILES = {
    "controllers": "createCoreController",
    "routes": "createCoreRouter",
    "services": "createCoreService",
}


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
        return dict(CONVERTERS[f.convert].attribute)
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


MEDIA_ATTRIBUTE = {"type": "media", "multiple": False, "required": False, "allowedTypes": ["images"]}


def _display_name(content_type: str) -> str:
    return " ".join(word.capitalize() for word in content_type.split("-"))


def content_type_schema(spec: MappingSpec, mappings: MappingSet, source: MedusaSource) -> dict[str, Any]:
    """The schema.json of one content type."""
    attributes: dict[str, Any] = {"medusa_id": dict(MEDUSA_ID_ATTRIBUTE)}
    for name, f in spec.fields.items():
        attributes[name] = field_attribute(spec, f, source.table)
    for rel in spec.relations:
        target = mappings.get(rel.target)
        if rel.is_to_many:
            attribute = {"type": "relation", "relation": "manyToMany" if rel.inverse else "manyWay", "target": target.uid}
        else:
            attribute = {"type": "relation", "relation": "manyToOne" if rel.inverse else "oneWay", "target": target.uid}
        if rel.inverse:
            attribute["inversedBy"] = rel.inverse
        attributes[rel.attribute] = attribute
    for owner, rel in mappings.inverse_relations(spec.content_type):
        attributes[rel.inverse] = {
            "type": "relation",
            "relation": "manyToMany" if rel.is_to_many else "oneToMany",
            "target": owner.uid,
            "mappedBy": rel.attribute,
        }
    for name, kind in spec.cms_only.items():
        attributes[name] = {"type": kind}
    for name in spec.media:
        attributes[name] = dict(MEDIA_ATTRIBUTE)
    info = {"singularName": spec.content_type, "pluralName": spec.plural, "displayName": _display_name(spec.content_type)}
    if spec.description:
        info["description"] = spec.description
    return {
        "kind": "collectionType",
        "collectionName": spec.plural.replace("-", "_"),
        "info": info,
        "options": {"draftAndPublish": False},
        "pluginOptions": {},
        "attributes": attributes,
    }


def _js(kind: str, uid: str) -> str:
    return (
        "'use strict';\n\n"
        "// Generated by `medusa-strapi strapi-schema` from the mappings; do not edit.\n"
        "const { factories } = require('@strapi/strapi');\n\n"
        f"module.exports = factories.{JS_FILES[kind]}('{uid}');\n"
    )


@dataclass(frozen=True)
class GeneratedApp:
    """Every file the mappings generate, relative to the Strapi app folder."""

    files: dict[str, str]

    def diff(self, app_dir: Path) -> list[str]:
        """Relative paths that are missing, different, or stale (generated earlier, no longer mapped)."""
        changed = [p for p, text in self.files.items() if not (app_dir / p).is_file() or (app_dir / p).read_text() != text]
        return sorted(changed + [str(d.relative_to(app_dir)) for d in self._stale(app_dir)])

    def write(self, app_dir: Path) -> list[str]:
        """Write the files that differ and remove stale generated content types; returns what changed."""
        changed = self.diff(app_dir)
        for stale in self._stale(app_dir):
            shutil.rmtree(stale)
        for path in changed:
            if path in self.files:
                target = app_dir / path
                target.parent.mkdir(parents=True, exist_ok=True)
                target.write_text(self.files[path])
        return changed

    def _stale(self, app_dir: Path) -> list[Path]:
        api = app_dir / "src" / "api"
        wanted = {Path(p).parts[2] for p in self.files}
        return sorted(d for d in api.glob("*") if (d / GENERATED_MARKER).exists() and d.name not in wanted) if api.is_dir() else []


def generate_app(mappings: MappingSet, source: MedusaSource) -> GeneratedApp:
    """All generated files for `mappings`, with column types reflected from Medusa's database, and the
    sync's own content types (state and quarantine)."""
    files: dict[str, str] = {}
    schemas = {spec.content_type: (content_type_schema(spec, mappings, source), f"mappings/{spec.content_type}.yaml")
               for spec in mappings}
    schemas.update({name: (schema, "the sync's own state (pipelines/strapi/system_types.py)") for name, schema in SYSTEM_TYPES.items()})
    for name, (schema, origin) in schemas.items():
        base = f"src/api/{name}"
        files[f"{base}/content-types/{name}/schema.json"] = json.dumps(schema, indent=2, ensure_ascii=False) + "\n"
        for kind in JS_FILES:
            files[f"{base}/{kind}/{name}.js"] = _js(kind, f"api::{name}.{name}")
        files[f"{base}/{GENERATED_MARKER}"] = f"Generated from {origin}; regenerate with `medusa-strapi strapi-schema`.\n"
    return GeneratedApp(files)


def read_app_schemas(app_dir: Path) -> dict[str, dict[str, Any]]:
    """Content-type UID -> {"pluralName", "attributes"}, from the schema.json files of a Strapi app folder."""
    schemas = {}
    for path in sorted((app_dir / "src" / "api").glob("*/content-types/*/schema.json")):
        schema = json.loads(path.read_text())
        schemas[f"api::{path.parts[-4]}.{path.parent.name}"] = {
            "pluralName": schema.get("info", {}).get("pluralName"), "attributes": schema.get("attributes", {}),
        }
    return schemas
