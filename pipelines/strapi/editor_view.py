"""What editors see of a synced content type in Strapi's content manager: who owns each attribute.

The generated `schema.json` carries it as Strapi's own content-manager defaults (`config.metadatas` and
`config.layouts`, which `@strapi/content-manager` applies to a type's configuration when it first builds it, and to
attributes it has not configured yet): an attribute the sync writes is read-only in the edit view, with a
description naming its source in Medusa; a `write_back` field stays editable and says that edits go back to
Medusa; `cms_only` attributes are left as Strapi makes them. The list view shows the type's identifying
fields and `medusa_id`, and an entry is named by its first identifying field (`settings.mainField`). A configuration an admin already changed by hand is Strapi's to keep.
"""

from __future__ import annotations

from typing import Any, Iterable, Mapping

from ..mapping import MappingSet, MappingSpec

LIST_LENGTH = 4  # columns in the list view, as many as Strapi shows by default
IDENTIFYING = ("title", "name", "handle", "code", "label", "iso_2", "value", "amount")  # first in the list view
# Strapi's own defaults of a type's list settings, which its schema check wants given with any other setting
STRAPI_DEFAULT_SETTINGS = {"bulkable": True, "filterable": True, "searchable": True, "pageSize": 10}
NAMING_TYPES = frozenset({"string", "text", "uid", "email"})  # what Strapi's admin can name an entry by
LISTABLE_TYPES = frozenset({"string", "text", "integer", "biginteger", "decimal", "float", "boolean", "date",
                            "datetime", "time", "enumeration", "email", "uid"})


def field_source(spec: MappingSpec, attribute: str) -> str:
    """Where a mapped field comes from, in an editor's words: `product.title`, or `product (lookup)`."""
    field = spec.fields[attribute]
    if field.column and not field.is_pseudo:
        return f"{spec.table}.{field.column}" + (f" ({field.json_key})" if field.json_key else "")
    return f"{spec.table} ({'a lookup' if field.lookup else 'its entries'})"


def content_manager_config(spec: MappingSpec, mappings: MappingSet, attributes: Mapping[str, Mapping[str, Any]]) -> dict[str, Any]:
    """The `config` of `spec`'s schema.json: edit-view metadatas of the attributes the sync owns, and the list
    view's columns (`attributes`: the schema's attributes, for their types)."""
    edit: dict[str, dict[str, Any]] = {
        spec.key: _read_only(f"Medusa's id of this entry's {spec.table} row: the sync finds the entry by it"),
    }
    for name in spec.fields:
        if name in spec.write_back:
            edit[name] = {"editable": True, "description": f"From Medusa: {field_source(spec, name)}; "
                                                          "edits made here are written back to Medusa"}
        else:
            edit[name] = _read_only(f"From Medusa: {field_source(spec, name)}; edit it in Medusa (the sync "
                                    "overwrites changes made here)")
    for rel in spec.relations:
        edit[rel.attribute] = _read_only(f"Linked by the sync from Medusa ({spec.table} to {mappings.get(rel.target).table})")
    for owner, rel in mappings.inverse_relations(spec.content_type):
        edit[rel.inverse] = _read_only(f"Linked by the sync: the other side of {owner.content_type}'s {rel.attribute}")
    for name, media in spec.media.items():
        where = media.source or media.column or f"{media.lookup.path[-1].table}.{media.lookup.column}"
        edit[name] = _read_only(f"Uploaded by the sync from the file{'s' if media.multiple else ''} at {where} in Medusa")
    config: dict[str, Any] = {"metadatas": {name: {"edit": meta} for name, meta in edit.items()},
                              "layouts": {"list": list_columns(spec, attributes)}}
    title = main_field(spec, attributes)
    if title:  # the entry's name in its edit view's header and in lists of links to it, instead of its medusa_id
        config["settings"] = {**STRAPI_DEFAULT_SETTINGS, "mainField": title}
    return config


def main_field(spec: MappingSpec, attributes: Mapping[str, Mapping[str, Any]]) -> str | None:
    """The field that names an entry for editors (a title, a name, a handle...), or None (Strapi's default)."""
    return next((name for name in IDENTIFYING if name in spec.fields and attributes.get(name, {}).get("type") in NAMING_TYPES), None)


def list_columns(spec: MappingSpec, attributes: Mapping[str, Mapping[str, Any]]) -> list[str]:
    """The list view's columns: the identifying fields first, the key (`medusa_id`), then other short mapped fields."""
    listable = [name for name in spec.fields if attributes.get(name, {}).get("type") in LISTABLE_TYPES]
    first = [name for name in IDENTIFYING if name in listable][:2]
    rest = [name for name in listable if name not in first]
    return _unique([*first, spec.key, *rest])[:LIST_LENGTH]


def _read_only(description: str) -> dict[str, Any]:
    return {"editable": False, "description": description}


def _unique(names: Iterable[str]) -> list[str]:
    return list(dict.fromkeys(names))
