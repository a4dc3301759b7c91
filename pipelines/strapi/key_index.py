"""A database migration for a Strapi app whose content types declare their key only `"unique": true` (a check of
Strapi's REST API, not a database index): `medusa-strapi strapi-schema --app DIR --index-only` writes it into the
app's `database/migrations/`, and Strapi runs it at its next boot. The indexes are those the bulk-upsert plugin
makes for its `uniqueKeys` option (the same names, so either way there is one): on the key for a type with one row
per entry, on (key, locale, draft or published) for a type with Draft & Publish or locales.
"""

from __future__ import annotations

import hashlib
import json
import re
from dataclasses import dataclass
from typing import Any, Iterable

from ..mapping import MappingSpec

MIGRATIONS_DIR = "database/migrations"


@dataclass(frozen=True)
class KeyIndex:
    """One unique index on a content type's key."""

    uid: str
    table: str
    column: str
    versioned: bool

    @property
    def name(self) -> str:
        """The index's name, as the plugin's `indexName` makes it (63 characters at most)."""
        name = f"{self.table}_{self.column}_{'per_version_uq' if self.versioned else 'key_uq'}"
        if len(name) <= 63:
            return name
        return f"{name[:54]}_{hashlib.sha256(name.encode()).hexdigest()[:8]}"


def column_name(attribute: str) -> str:
    """The column Strapi 5 stores an attribute in (snake case: medusaId -> medusa_id)."""
    return re.sub(r"(?<=[a-z0-9])([A-Z])", r"_\1", attribute).lower()


def missing_key_indexes(specs: Iterable[MappingSpec], schemas: dict[str, dict[str, Any]]) -> list[KeyIndex]:
    """The key indexes the app's schemas (uid -> schema.json) lack: keys declared without `column.unique` and not
    named in the plugin's `pluginOptions['bulk-upsert'].uniqueKey`."""
    wanted = []
    for spec in specs:
        schema = schemas.get(spec.uid)
        if schema is None:
            continue
        attribute = (schema.get("attributes") or {}).get(spec.key)
        if not attribute:
            continue  # no such attribute: `validate` says so, and an index on it would stop Strapi's boot
        plugin = ((schema.get("pluginOptions") or {}).get("bulk-upsert") or {}).get("uniqueKey")
        if (attribute.get("column") or {}).get("unique") or plugin == spec.key:
            continue
        localized = ((schema.get("pluginOptions") or {}).get("i18n") or {}).get("localized")
        versioned = bool((schema.get("options") or {}).get("draftAndPublish") or localized)
        table = schema.get("collectionName") or spec.plural.replace("-", "_")
        wanted.append(KeyIndex(spec.uid, table, column_name(spec.key), versioned))
    return wanted


def migration(indexes: list[KeyIndex]) -> tuple[str, str]:
    """The migration's file name (by its content: a new set of indexes is a new migration) and its text."""
    rows = [{"uid": i.uid, "table": i.table, "column": i.column, "versioned": i.versioned, "name": i.name} for i in indexes]
    body = json.dumps(rows, indent=2)
    digest = hashlib.sha256(body.encode()).hexdigest()[:8]
    text = f"""'use strict';

// Written by `medusa-strapi strapi-schema --index-only`: a unique index on the key of each content type below, so
// that two writers creating one entry at the same moment cannot make two. Strapi runs it once, at its next boot.
// A table that does not exist yet is left out (a new database: use the bulk-upsert plugin's `uniqueKeys` option).
// A table that already holds a key twice keeps it, and the boot stops with Postgres' reason.
const KEYS = {body};

module.exports = {{
  async up(knex) {{
    for (const key of KEYS) {{
      if (!(await knex.schema.hasTable(key.table))) continue;
      const perVersion = key.versioned ? ", coalesce(locale, ''), (published_at is null)" : '';
      await knex.raw(`create unique index if not exists ?? on ?? (??${{perVersion}})`, [key.name, key.table, key.column]);
    }}
  }},
}};
"""
    return f"{MIGRATIONS_DIR}/medusa-sync-unique-keys-{digest}.js", text
