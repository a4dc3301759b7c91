"""A `TypeGuess` as a mapping file: YAML in the shipped files' layout, with a comment on every guess and on every
attribute left for a person to decide."""

from __future__ import annotations

import json
from typing import Any

from .guess import TypeGuess

HEADER = "# yaml-language-server: $schema={schema}\n# Written by `medusa-strapi init`: check every comment, then edit freely (init never overwrites an edited file).\n"


def flow(value: Any) -> str:
    """A value in YAML flow style (JSON is valid YAML; plain names stay bare)."""
    if isinstance(value, str):
        return value if value.replace("_", "").replace("-", "").isalnum() and not value[:1].isdigit() else json.dumps(value)
    if isinstance(value, bool):
        return "true" if value else "false"
    if value is None:
        return "null"
    if isinstance(value, dict):
        return "{" + ", ".join(f"{k}: {flow(v)}" for k, v in value.items()) + "}"
    if isinstance(value, list):
        return "[" + ", ".join(flow(v) for v in value) + "]"
    return str(value)


def _line(text: str, comment: str | None) -> str:
    return f"{text}  # {comment}\n" if comment else f"{text}\n"


def render(guess: TypeGuess, schema_ref: str) -> str:
    """The mapping file of `guess`."""
    out = HEADER.format(schema=schema_ref)
    if guess.notes.get(""):
        out += f"# {guess.notes['']}\n"
    out += f"content_type: {guess.content_type}\nplural: {guess.plural}\n"
    out += _line(f"key: {guess.key}", guess.notes.get("key"))
    out += "source:\n"
    out += _line(f"  table: {flow(guess.table or 'TODO')}", guess.notes.get("source.table"))
    if guess.table is not None:
        if guess.primary_key != "id" or "source.primary_key" in guess.notes:
            out += _line(f"  primary_key: {flow(guess.primary_key)}", guess.notes.get("source.primary_key"))
        if guess.cursor != "updated_at":
            out += _line(f"  cursor: {flow(guess.cursor)}", "no updated_at column: changes are found by a full compare")
        if guess.soft_delete != "deleted_at":
            out += f"  soft_delete: {flow(guess.soft_delete)}\n"
    if guess.strapi:
        out += f"strapi: {flow(guess.strapi)}\n"
    for section, values in (("fields", guess.fields), ("relations", guess.relations), ("media", guess.media)):
        if values:
            out += f"{section}:\n"
            for name, value in values.items():
                out += _line(f"  {name}: {flow(value)}", guess.notes.get(f"{section}.{name}"))
    for where, text in guess.notes.items():
        if where.startswith(("attributes.", "relations.", "media.")) and where.split(".", 1)[1] not in (
                guess.relations if where.startswith("relations.") else guess.media if where.startswith("media.") else ()):
            out += f"# {where.split('.', 1)[1]}: {text}\n"
    if guess.drop:
        out += _line(f"drop: {flow(guess.drop)}", "Medusa's columns no attribute takes")
    return out
