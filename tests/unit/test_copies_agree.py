"""The values that must be written in two places (two languages, or code and its JSON Schema) agree: the
client's batch limits stay within the bulk plugin's, the plugin refuses no attribute name the mapping loader
admits, and the mapping schema's documented defaults are the spec's."""

import json
import re
from pathlib import Path

from pipelines.mapping.loader import STRAPI_RESERVED
from pipelines.mapping.spec import DEFAULT_CURSOR, DEFAULT_PARTITION_COLUMN
from pipelines.strapi.bulk import FIND_BATCH, MAX_BATCH_ENTRIES

REPO = Path(__file__).resolve().parents[2]
PLUGIN = REPO / "strapi-plugin-bulk-upsert" / "server"


def js_constant(file: str, name: str) -> int:
    match = re.search(rf"const {name} = (\d+);", (PLUGIN / file).read_text())
    assert match, f"{name} not found in {file}"
    return int(match.group(1))


def test_the_clients_batches_fit_the_plugins_limits():
    assert MAX_BATCH_ENTRIES <= js_constant("writer.js", "MAX_ENTRIES")
    assert FIND_BATCH <= js_constant("reader.js", "MAX_VALUES")


def test_every_name_the_plugin_reserves_is_refused_by_the_mapping_loader():
    text = (PLUGIN / "schema.js").read_text()
    names = re.findall(r"'(\w+)'", re.search(r"const RESERVED = new Set\(\[(.*?)\]\)", text).group(1))
    snake = {re.sub(r"(?<=[a-z0-9])([A-Z])", r"_\1", name).lower() for name in names}
    assert snake - {"created_by", "updated_by"} <= STRAPI_RESERVED and {"created_by", "updated_by"} <= STRAPI_RESERVED


def test_the_mapping_schemas_defaults_are_the_specs():
    from pipelines.mapping.spec import MappingSpec, Partitioning

    schema = json.loads((REPO / "pipelines" / "mapping" / "schema.json").read_text())
    source = schema["properties"]["source"]["properties"]
    spec = MappingSpec("x", "xs", "x")
    assert source["cursor"]["default"] == DEFAULT_CURSOR == spec.cursor
    assert (source["schema"]["default"], source["primary_key"]["default"], source["soft_delete"]["default"]) == (
        spec.schema, spec.primary_key, spec.soft_delete)
    partition = schema["properties"]["partition"]["properties"]
    assert partition["column"]["default"] == DEFAULT_PARTITION_COLUMN == Partitioning("2024-01-01").column
    assert partition["granularity"]["default"] == Partitioning("2024-01-01").granularity
    assert schema["properties"]["on_conflict"]["default"] == spec.on_conflict
