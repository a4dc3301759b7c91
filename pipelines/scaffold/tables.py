"""What `medusa-strapi init` knows of Medusa's database: its tables as plain values (columns and their kinds, the
primary key, foreign keys), reflected once, and which Medusa major version they are."""

from __future__ import annotations

from dataclasses import dataclass, field

import sqlalchemy as sa

from ..medusa.source import MedusaSource


@dataclass(frozen=True)
class TableInfo:
    """One table: column -> kind ("text", "number", "boolean", "json", "time", "other"), its single-column primary
    key (None otherwise), and its foreign keys (column -> referenced table)."""

    name: str
    columns: dict[str, str]
    primary_key: str | None = None
    foreign_keys: dict[str, str] = field(default_factory=dict)

    def references(self, column: str) -> str | None:
        """The table `column` refers to: by its foreign key."""
        return self.foreign_keys.get(column)


def column_kind(column_type: sa.types.TypeEngine) -> str:
    """A column's kind, as the guesses compare them."""
    if isinstance(column_type, sa.Boolean):
        return "boolean"
    if isinstance(column_type, (sa.Integer, sa.Numeric, sa.Float)):
        return "number"
    if isinstance(column_type, (sa.JSON,)) or type(column_type).__name__ in ("JSONB", "JSON"):
        return "json"
    if isinstance(column_type, (sa.DateTime, sa.Date, sa.Time)):
        return "time"
    if isinstance(column_type, (sa.String, sa.Enum)):
        return "text"
    return "other"


def read_tables(source: MedusaSource, schema: str = "public") -> dict[str, TableInfo]:
    """Every table of `schema` in Medusa's database (Medusa's and its migrations' bookkeeping tables left out)."""
    inspector = sa.inspect(source.engine)
    tables: dict[str, TableInfo] = {}
    for name in inspector.get_table_names(schema=schema):
        if "migrations" in name or name.startswith("typeorm"):
            continue
        columns = {c["name"]: column_kind(c["type"]) for c in inspector.get_columns(name, schema=schema)}
        pk = inspector.get_pk_constraint(name, schema=schema).get("constrained_columns") or []
        fks = {fk["constrained_columns"][0]: fk["referred_table"]
               for fk in inspector.get_foreign_keys(name, schema=schema) if len(fk["constrained_columns"]) == 1}
        tables[name] = TableInfo(name, columns, pk[0] if len(pk) == 1 else None, fks)
    return tables


def medusa_version(tables: dict[str, TableInfo]) -> int:
    """2 for Medusa v2's schema (prices in price sets), else 1."""
    return 2 if "price_set" in tables and "money_amount" not in tables else 1
