"""The guesses of `medusa-strapi init`, pure: which Medusa table a Strapi content type comes from, which column
fills each attribute, which path links each relation, where media files come from, with a note on every guess and
on everything left for a person to decide.

Names are matched in their snake, camel and plural forms (`medusaId` ~ `medusa_id`, `variants` ~
`product_variant`); relations are found from foreign keys first, then from column names (`option_id` refers to
`product_option`), and many-to-many ones from join tables holding a key of each side.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any, Iterable

from .tables import TableInfo

KEY_NAMES = ("medusaid", "medusa_id")  # normalized: an attribute whose name reads "medusa id"
SCALAR_KINDS = {  # Strapi attribute type -> the column kinds that can fill it
    "string": {"text"}, "text": {"text"}, "richtext": {"text"}, "blocks": {"text"}, "email": {"text"}, "uid": {"text"},
    "enumeration": {"text"}, "password": set(),
    "integer": {"number"}, "biginteger": {"number"}, "decimal": {"number"}, "float": {"number"},
    "boolean": {"boolean"}, "json": {"json", "text", "number", "boolean"},
    "datetime": {"time"}, "date": {"time"}, "time": {"time"}, "timestamp": {"time"},
}
CONVERTERS = {"uid": "uid", "richtext": "richtext", "blocks": "blocks", "email": "email", "enumeration": "enumeration"}
URL_COLUMNS = ("url", "src", "href")
ORDER_COLUMNS = ("rank", "position", "sort_order", "order")


def norm(name: str) -> str:
    """A name compared across conventions: lower case, no separators (`medusaId`, `medusa_id` -> medusaid)."""
    return re.sub(r"[^a-z0-9]", "", name.lower())


def snake(name: str) -> str:
    """camelCase or kebab-case as snake_case."""
    return re.sub(r"(?<=[a-z0-9])([A-Z])", r"_\1", name).replace("-", "_").lower()


def singular(name: str) -> str:
    """A plural's singular, in English's regular forms (categories -> category, variants -> variant)."""
    if name.endswith("ies"):
        return name[:-3] + "y"
    if name.endswith(("sses", "shes", "ches", "xes")):
        return name[:-2]
    if name.endswith("s") and not name.endswith(("ss", "us", "is")):
        return name[:-1]
    return name


@dataclass
class TypeGuess:
    """What `init` writes for one content type, and what it noted."""

    content_type: str
    plural: str
    table: str | None
    key: str = "medusa_id"
    primary_key: str = "id"
    cursor: str | None = None
    soft_delete: str | None = None
    strapi: dict[str, Any] = field(default_factory=dict)
    fields: dict[str, Any] = field(default_factory=dict)  # attribute -> column, or {column, convert, values}
    relations: dict[str, dict[str, Any]] = field(default_factory=dict)
    media: dict[str, dict[str, Any]] = field(default_factory=dict)
    drop: list[str] = field(default_factory=list)
    notes: dict[str, str] = field(default_factory=dict)  # "fields.title" / "relations.x" / "" -> a comment
    undecided: list[str] = field(default_factory=list)  # what a person has to decide, as sentences

    def note(self, where: str, text: str) -> None:
        """A comment on the line of `where` (dotted), or on the file when empty."""
        self.notes[where] = f"{self.notes[where]}; {text}" if where in self.notes else text

    def leave(self, where: str, text: str) -> None:
        """Something not decided: a comment, and a line of `init`'s summary."""
        self.note(where, text)
        self.undecided.append(f"{self.content_type}: {where + ': ' if where else ''}{text}")


def match_table(content_type: str, plural: str, tables: dict[str, TableInfo]) -> tuple[str | None, str | None]:
    """The table a content type comes from, and a note when it is a guess by another form of the name."""
    wanted = snake(content_type)
    if wanted in tables:
        return wanted, None
    by_norm = {norm(t): t for t in tables}
    for form in (wanted, snake(plural), singular(snake(plural))):
        if norm(form) in by_norm:
            return by_norm[norm(form)], f"table {by_norm[norm(form)]} guessed from the name {form}"
    return None, None


def column_for(attribute: str, table: TableInfo) -> str | None:
    """The column an attribute's name reads as (`subTitle` -> sub_title, `sku` -> sku)."""
    for form in (attribute, snake(attribute)):
        if form in table.columns:
            return form
    by_norm = {norm(c): c for c in table.columns}
    return by_norm.get(norm(attribute))


def refers_to(column: str, table: TableInfo, target: str) -> bool:
    """Whether `column` of `table` holds keys of `target`: its foreign key, or its name (`option_id` -> product_option)."""
    referenced = table.references(column)
    if referenced is not None:
        return referenced == target
    if not column.endswith("_id"):
        return False
    stem = column[:-3]
    return target == stem or target.endswith("_" + stem)


def _columns_to(table: TableInfo, target: str) -> list[str]:
    return [c for c in table.columns if c != table.primary_key and refers_to(c, table, target)]


def guess_relation(attribute: str, schema: dict[str, Any], source: TableInfo, target: TableInfo,
                   tables: dict[str, TableInfo]) -> tuple[dict[str, Any] | None, str]:
    """The relation's mapping (column or through), and a note saying how it was found (or why not)."""
    kind = schema.get("relation", "")
    to_one = kind in ("manyToOne", "oneToOne", "oneWay")
    if to_one:
        columns = _columns_to(source, target.name)
        named = [c for c in columns if norm(c[:-3]) == norm(attribute)]
        if columns:
            column = (named or columns)[0]
            how = "foreign key" if source.references(column) else "column name"
            return {"target": None, "column": column}, f"{source.name}.{column} refers to {target.name} ({how})"
        own = f"{snake(attribute)}_id"
        if own in source.columns and not source.references(own):
            return {"target": None, "column": own}, f"{source.name}.{own}, guessed from the attribute's name"
    # to many (or to one through a join table): a join table with a key of each side, or the target's rows holding this one's key
    joins = []
    for join in tables.values():
        if join.name in (source.name, target.name):
            continue
        mine, theirs = _columns_to(join, source.name), _columns_to(join, target.name)
        if mine and theirs and mine[0] != theirs[0]:
            joins.append((join, mine[0], theirs[0]))
    if joins:
        join, mine, theirs = sorted(joins, key=lambda j: (not j[0].foreign_keys, len(j[0].columns)))[0]
        hop: dict[str, Any] = {"table": join.name, "source": mine, "target": theirs}
        if "deleted_at" in join.columns:
            hop["soft_delete"] = "deleted_at"
        others = f" (also possible: {', '.join(j[0].name for j in joins[1:])})" if len(joins) > 1 else ""
        relation = {"target": None, "through": hop, **({"to_one": True} if to_one else {})}
        return relation, f"join table {join.name}{others}"
    back = _columns_to(target, source.name)
    if back and target.primary_key and not to_one:
        hop = {"table": target.name, "source": back[0], "target": target.primary_key}
        if "deleted_at" in target.columns:
            hop["soft_delete"] = "deleted_at"
        return {"target": None, "through": hop}, f"{target.name}.{back[0]} refers to {source.name}"
    return None, f"no join table nor column links {source.name} to {target.name}"


def guess_media(attribute: str, schema: dict[str, Any], source: TableInfo, tables: dict[str, TableInfo],
                fields: dict[str, Any] | None = None) -> tuple[dict[str, Any] | None, str]:
    """Where a media attribute's URL(s) come from: a URL column of the row (one file: read through the mapped field
    holding it, when there is one, else straight from the column), or the rows of a table of files that refer to
    this one, directly or through a join table (several, in their rank)."""
    if not schema.get("multiple"):
        column = column_for(attribute, source)
        if column is None or source.columns[column] != "text":
            column = next((c for c in URL_COLUMNS if source.columns.get(c) == "text"), None)
        if column is not None:
            mapped = next((name for name, value in (fields or {}).items() if value == column), None)
            if mapped is not None:
                return {"from": mapped}, f"the file at the URL of the field {mapped}"
            return {"column": column}, f"the URL in {source.name}.{column}"
    files = [t for t in tables.values() if any(c in t.columns for c in URL_COLUMNS)
             and norm(singular(snake(attribute))) in norm(t.name)]
    for table in files:
        url = next(c for c in URL_COLUMNS if c in table.columns)
        order = next((c for c in ORDER_COLUMNS if c in table.columns), None)
        lookup: dict[str, Any] = {"column": url, **({"order": order} if order else {})}
        direct = _columns_to(table, source.name)
        if direct:
            hop = {"table": table.name, "source": direct[0], **({"soft_delete": "deleted_at"} if "deleted_at" in table.columns else {})}
            lookup = {"through": hop, **lookup}
        else:
            joins = [(j, _columns_to(j, source.name), _columns_to(j, table.name)) for j in tables.values()
                     if j.name not in (source.name, table.name)]
            joins = [(j, m[0], t[0]) for j, m, t in joins if m and t]
            if not joins or not table.primary_key:
                continue
            join, mine, theirs = joins[0]
            first = {"table": join.name, "source": mine, "target": theirs,
                     **({"soft_delete": "deleted_at"} if "deleted_at" in join.columns else {})}
            second = {"table": table.name, "source": table.primary_key,
                      **({"soft_delete": "deleted_at"} if "deleted_at" in table.columns else {})}
            lookup = {"through": [first, second], **lookup}
        media = {"lookup": lookup}
        if schema.get("multiple"):
            media = {"multiple": True, **media}
        return media, f"the {url} of the {table.name} rows of each {source.name}" + (f", by {order}" if order else "")
    return None, f"no URL column nor table of files found for {attribute}"


def guess_type(uid: str, schema: dict[str, Any], tables: dict[str, TableInfo], type_tables: dict[str, str | None]
               ) -> TypeGuess:
    """The mapping of one Strapi content type (`schema`: its schema.json) from Medusa's `tables`;
    `type_tables`: every content type's table (uid -> table), for relations."""
    info = schema.get("info", {})
    content_type = info.get("singularName") or uid.split(".")[-1]
    plural = info.get("pluralName") or content_type + "s"
    table_name = type_tables.get(uid)
    guess = TypeGuess(content_type, plural, table_name)
    attributes: dict[str, Any] = schema.get("attributes", {})
    options, plugins = schema.get("options") or {}, schema.get("pluginOptions") or {}
    if options.get("draftAndPublish"):
        guess.strapi["draft_and_publish"] = True
    if (plugins.get("i18n") or {}).get("localized"):
        guess.strapi["localized"] = True
    keys = [name for name, a in attributes.items() if norm(name) in KEY_NAMES and a.get("type") in ("string", "uid", "text")]
    if keys:
        guess.key = keys[0]
    else:
        guess.leave("key", "no attribute holds the Medusa id (medusa_id or medusaId): add one, a unique string, and name it here")
    if table_name is None:
        guess.leave("source.table", f"no Medusa table is named like {content_type}: name the table it comes from")
        return guess
    table = tables[table_name]
    guess.primary_key = table.primary_key or "id"
    if table.primary_key is None:
        guess.leave("source.primary_key", f"{table_name} has no single-column primary key: name the column that identifies a row")
    guess.cursor = "updated_at" if "updated_at" in table.columns else None
    guess.soft_delete = "deleted_at" if "deleted_at" in table.columns else None
    used = {guess.primary_key}
    for name, attribute in attributes.items():
        kind = attribute.get("type")
        if name == guess.key or kind in ("component", "dynamiczone"):
            continue
        if kind == "relation":
            _relation(guess, name, attribute, table, tables, type_tables)
        elif kind == "media":
            continue  # once the fields are known: a file may come from a mapped URL field
        elif kind in SCALAR_KINDS:
            column = column_for(name, table)
            if column is None:
                guess.leave(f"attributes.{name}", f"not matched: no column of {table_name} is named like {name} "
                                                  f"({kind}); the sync leaves it to editors")
                continue
            if table.columns[column] not in SCALAR_KINDS[kind]:
                guess.leave(f"attributes.{name}", f"{table_name}.{column} is {table.columns[column]}, and {name} is a "
                                                  f"{kind}: not mapped")
                continue
            used.add(column)
            value: Any = column
            if kind in CONVERTERS:
                value = {"column": column, "convert": CONVERTERS[kind]}
                if kind == "enumeration":
                    value["values"] = list(attribute.get("enum") or [])
            guess.fields[name] = value
            if column != name:
                guess.note(f"fields.{name}", f"from {column} (guessed by name)")
        else:
            guess.leave(f"attributes.{name}", f"a {kind} attribute: not mapped")
    for name, attribute in attributes.items():
        if attribute.get("type") == "media":
            media, note = guess_media(name, attribute, table, tables, guess.fields)
            if media is None:
                guess.leave(f"media.{name}", note)
            else:
                guess.media[name] = media
                guess.note(f"media.{name}", note)
                used.update(v for v in [media.get("column")] if v)
    bookkeeping = {"created_at", "updated_at", guess.cursor, guess.soft_delete}
    guess.drop = [c for c in table.columns if c not in used and not table.references(c) and c not in bookkeeping]
    return guess


def _relation(guess: TypeGuess, name: str, attribute: dict[str, Any], table: TableInfo, tables: dict[str, TableInfo],
              type_tables: dict[str, str | None]) -> None:
    if "mappedBy" in attribute:
        guess.note(f"relations.{name}", f"{name} is the other side of {attribute['target']}.{attribute['mappedBy']}: "
                                        "linked from there")
        return
    target_uid = attribute.get("target", "")
    target_table = type_tables.get(target_uid)
    if target_table is None:
        guess.leave(f"relations.{name}", f"its target {target_uid} has no mapping: map it, or link it yourself")
        return
    relation, note = guess_relation(name, attribute, table, tables[target_table], tables)
    if relation is None:
        guess.leave(f"relations.{name}", note)
        return
    relation["target"] = target_uid.split(".")[-1]
    guess.relations[name] = relation
    guess.note(f"relations.{name}", note)


def guess_types(schemas: dict[str, dict[str, Any]], tables: dict[str, TableInfo]) -> list[TypeGuess]:
    """A guess for every content type of `schemas` (uid -> schema.json), in uid order."""
    type_tables: dict[str, str | None] = {}
    table_notes: dict[str, str] = {}
    for uid, schema in schemas.items():
        info = schema.get("info", {})
        name = info.get("singularName") or uid.split(".")[-1]
        table, note = match_table(name, info.get("pluralName") or name + "s", tables)
        type_tables[uid] = table
        if note:
            table_notes[uid] = note
    guesses = []
    for uid in sorted(schemas):
        guess = guess_type(uid, schemas[uid], tables, type_tables)
        if uid in table_notes:
            guess.note("source.table", table_notes[uid])
        guesses.append(guess)
    _break_cycles(guesses)
    return guesses


def _break_cycles(guesses: list[TypeGuess]) -> None:
    """Two types linked both ways (both sides of a many-to-many declared as owners, as Strapi allows: one join
    table) would wait for each other: the link is kept on the first of the two and left out of the second."""
    by_type = {g.content_type: g for g in guesses}
    for first, second in relation_cycles(guesses):
        later = by_type[second]
        for name, relation in list(later.relations.items()):
            if relation["target"] == first:
                del later.relations[name]
                later.notes.pop(f"relations.{name}", None)
                later.note("", f"{name} is linked from {first} (the same link seen from the other side; a sync "
                               f"cannot order two types that wait for each other)")


def relation_cycles(guesses: Iterable[TypeGuess]) -> list[tuple[str, str]]:
    """Pairs of types whose guessed relations point at each other (a sync cannot order them): one side must go."""
    links = {(g.content_type, r["target"]) for g in guesses for r in g.relations.values() if r["target"] != g.content_type}
    return sorted({tuple(sorted(pair)) for pair in links if (pair[1], pair[0]) in links})
