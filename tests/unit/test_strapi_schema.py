"""Strapi types from Medusa column types, and checks of mappings against Strapi content types (no services)."""

import pytest
import sqlalchemy as sa
from sqlalchemy.dialects import postgresql

from pipelines.mapping import Field, MappingSet, MappingSpec, Relation, load_mappings
from pipelines.settings import SHIPPED_MAPPINGS_DIR, DEFAULT_STRAPI_APP
from pipelines.system_types import SYSTEM_TYPES, uid_of
from pipelines.strapi.attributes import field_attribute, strapi_type
from pipelines.strapi.content_types import MEDUSA_ID_ATTRIBUTE, read_app_schemas
from pipelines.validate import check_strapi


@pytest.mark.parametrize("column_type, expected", [
    (sa.String(), {"type": "text"}),              # Medusa's unbounded varchar: text, not string(255)
    (sa.String(100), {"type": "string"}),
    (sa.String(1000), {"type": "text"}),
    (sa.Text(), {"type": "text"}),
    (sa.Integer(), {"type": "integer"}),
    (sa.BigInteger(), {"type": "biginteger"}),
    (sa.Numeric(12, 3), {"type": "decimal", "column": {"args": [12, 3]}}),
    (sa.Numeric(), {"type": "decimal", "column": {"args": [30, 10]}}),
    (sa.REAL(), {"type": "float"}),
    (sa.Boolean(), {"type": "boolean"}),
    (postgresql.JSONB(), {"type": "json"}),
    (sa.DateTime(timezone=True), {"type": "datetime"}),
    (sa.Date(), {"type": "date"}),
    (sa.Enum("draft", "published", name="status"), {"type": "enumeration", "enum": ["draft", "published"]}),
])
def test_column_types(column_type, expected):
    assert strapi_type(column_type) == expected


def test_field_types_follow_converters_and_overrides():
    table = sa.Table("t", sa.MetaData(), sa.Column("id", sa.String), sa.Column("amount", sa.Integer),
                     sa.Column("metadata", postgresql.JSONB), sa.Column("name", sa.String))
    spec = MappingSpec(content_type="t", plural="ts", table="t")
    assert field_attribute(spec, Field("amount", "amount", convert="minor_units"), lambda name, schema: table) == {"type": "decimal", "column": {"args": [20, 2]}}
    assert field_attribute(spec, Field("color", "metadata", json_key="color"), lambda name, schema: table) == {"type": "json"}
    assert field_attribute(spec, Field("name", "name", strapi_type="string"), lambda name, schema: table) == {"type": "string"}
    assert field_attribute(spec, Field("amount", "amount"), lambda name, schema: table) == {"type": "integer"}


def test_committed_content_types_carry_unique_medusa_id_and_both_relation_sides():
    schemas = read_app_schemas(DEFAULT_STRAPI_APP)
    mappings = load_mappings(SHIPPED_MAPPINGS_DIR)
    assert set(schemas) == {spec.uid for spec in mappings} | {uid_of(name) for name in SYSTEM_TYPES}
    for spec in mappings:
        assert schemas[spec.uid]["pluralName"] == spec.plural
        assert schemas[spec.uid]["attributes"]["medusa_id"] == MEDUSA_ID_ATTRIBUTE
        for rel in spec.relations:
            if rel.inverse:
                inverse = schemas[mappings.get(rel.target).uid]["attributes"][rel.inverse]
                assert inverse["mappedBy"] == rel.attribute and inverse["target"] == spec.uid
    assert schemas["api::product.product"]["attributes"]["rich_description"] == {"type": "richtext"}


def _spec(**kw) -> MappingSpec:
    base = dict(content_type="widget", plural="widgets", table="widget", fields={"title": Field("title", "title")},
                lines={("content_type",): 1, ("fields", "title"): 6, ("relations", "owner"): 9, ("relations", "owner", "target"): 10})
    return MappingSpec(**{**base, **kw})


def _system() -> dict:
    from pipelines.system_types import SYSTEM_TYPES, uid_of

    return {uid_of(n): {"pluralName": s["info"]["pluralName"], "attributes": s["attributes"]} for n, s in SYSTEM_TYPES.items()}


def _types(attributes: dict, plural: str = "widgets") -> dict:
    return {"api::widget.widget": {"pluralName": plural, "attributes": attributes}, **_system()}


def test_check_strapi_names_missing_types_and_attributes():
    owner = Relation("owner", "widget", column="owner_id")
    mappings = MappingSet((_spec(relations=(owner,)),))
    ok = _types({"medusa_id": {}, "title": {}, "owner": {"type": "relation", "target": "api::widget.widget"}})
    assert check_strapi(mappings, ok, "Strapi") == []

    (error,) = check_strapi(mappings, {"api::widgit.widgit": {"pluralName": "widgits", "attributes": {}}, **_system()}, "Strapi")
    assert (error.line, error.key) == (1, "content_type") and "no content type api::widget.widget (did you mean 'widgit'?)" in error.message

    typo = _types({"medusa_id": {}, "titel": {}, "owner": {"type": "relation", "target": "api::widget.widget"}})
    (error,) = check_strapi(mappings, typo, "Strapi")
    assert (error.line, error.key) == (6, "fields.title") and "has no attribute 'title' (did you mean 'titel'?)" in error.message

    wrong_target = _types({"medusa_id": {}, "title": {}, "owner": {"type": "relation", "target": "api::x.x"}})
    (error,) = check_strapi(mappings, wrong_target, "Strapi")
    assert error.key == "relations.owner.target" and "is not a relation to api::widget.widget" in error.message

    (error,) = check_strapi(mappings, {**ok, "api::widget.widget": {**ok["api::widget.widget"], "pluralName": "widgetz"}}, "Strapi")
    assert error.key == "plural" and "'widgetz', not 'widgets'" in error.message


@pytest.mark.parametrize("held, problem", [
    (None, "has no medusaId attribute (the mapping's key)"),
    ({"type": "integer", "unique": True}, "the key attribute medusaId is a integer attribute, and must be a string"),
    ({"type": "string"}, "the key attribute medusaId is not unique (set \"unique\": true in its schema.json)"),
    ({"type": "string", "unique": True, "required": True}, None),
])
def test_check_strapi_holds_the_mappings_key_to_a_unique_string(held, problem):
    mappings = MappingSet((_spec(key="medusaId", lines={("content_type",): 1, ("key",): 3}),))
    errors = check_strapi(mappings, _types({"title": {}, **({"medusaId": held} if held else {})}), "Strapi")
    assert [(e.key, e.line, e.message.split(": ", 1)[1]) for e in errors] == ([("key", 3, problem)] if problem else [])


def test_check_strapi_compares_draft_and_publish_and_locales_with_the_mapping():
    from pipelines.entry_versions import EntryVersions

    ok = _types({"medusa_id": {}, "title": {}})
    versioned = MappingSet((_spec(strapi=EntryVersions(draft_and_publish=True, localized=True)),))
    errors = check_strapi(versioned, {**ok, "api::widget.widget": {**ok["api::widget.widget"], "draftAndPublish": False,
                                                                  "localized": False}}, "Strapi")
    assert [e.key for e in errors] == ["strapi.draft_and_publish", "strapi.localized"]
    assert "has Draft & Publish off, and the mapping says strapi.draft_and_publish: true" in errors[0].message
    assert check_strapi(versioned, {**ok, "api::widget.widget": {**ok["api::widget.widget"], "draftAndPublish": True,
                                                                "localized": True}}, "Strapi") == []


@pytest.mark.parametrize(("written", "held", "ok"), [
    ("text", "string", True), ("text", "richtext", True), ("integer", "decimal", True), ("decimal", "float", True),
    ("integer", "biginteger", True), ("datetime", "datetime", True),
    ("text", "integer", False), ("decimal", "integer", False), ("json", "text", False), ("boolean", "string", False),
])
def test_check_strapi_compares_attribute_types(written, held, ok):
    mappings = MappingSet((_spec(),))
    errors = check_strapi(mappings, _types({"medusa_id": {}, "title": {"type": held}}), "Strapi",
                          types={("widget", "title"): written})
    assert (errors == []) is ok, errors
    if not ok:
        assert errors[0].key == "fields.title" and f"attribute is {held}" in errors[0].message


def test_missing_system_types_are_named():
    from pipelines.validate import check_system_types

    state, *others = check_system_types({}, "Strapi at x")
    assert len(others) == len(SYSTEM_TYPES) - 1
    assert state.key == "api::sync-state.sync-state" and "is missing" in state.message and "strapi-schema" in state.message
    assert check_system_types(_system(), "x") == []
