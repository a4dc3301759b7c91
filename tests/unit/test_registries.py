"""Each converter, reserved name and default is written once in code; the JSON Schema must agree with it."""

import dataclasses

from pipelines.mapping.converters import CONVERTERS
from pipelines.mapping.loader import MANAGED_ATTRIBUTES, SOURCE_KEYS, mapping_json_schema
from pipelines.mapping.spec import MappingSpec, Partitioning
from pipelines.validate import TYPE_FAMILIES


def schema():
    return mapping_json_schema()


def test_convert_enum_is_the_converter_registry():
    assert set(schema()["$defs"]["field"]["properties"]["convert"]["enum"]) == set(CONVERTERS)


def test_managed_attribute_names_are_the_ones_the_schema_refuses():
    assert set(schema()["$defs"]["attribute"]["not"]["enum"]) == set(MANAGED_ATTRIBUTES)


def test_source_defaults_in_the_schema_are_the_spec_defaults():
    defaults = {f.name: f.default for f in dataclasses.fields(MappingSpec)}
    properties = schema()["properties"]["source"]["properties"]
    for key in SOURCE_KEYS:
        if "default" in properties[key]:
            assert properties[key]["default"] == defaults[key], key
    assert set(SOURCE_KEYS) | {"table", "where"} == set(properties)
    partition = schema()["properties"]["partition"]["properties"]
    for f in dataclasses.fields(Partitioning):
        if "default" in partition[f.name]:
            assert partition[f.name]["default"] == f.default


def test_strapi_types_a_mapping_may_name_are_known_to_the_type_check():
    named = set(schema()["$defs"]["field"]["properties"]["strapi_type"]["enum"])
    assert named <= set(TYPE_FAMILIES)
    assert {c.attribute["type"] for c in CONVERTERS.values()} <= set(TYPE_FAMILIES)


def test_aggregate_enum_is_the_aggregate_registry():
    from pipelines.mapping.aggregates import AGGREGATES

    assert set(schema()["$defs"]["field"]["properties"]["lookup"]["properties"]["aggregate"]["enum"]) == set(AGGREGATES)


def test_reserved_content_types_are_the_system_types():
    from pipelines.mapping.loader import RESERVED_CONTENT_TYPES
    from pipelines.system_types import SYSTEM_TYPES

    assert set(RESERVED_CONTENT_TYPES) == set(SYSTEM_TYPES)
