"""The Dagster definitions load and wire one asset per mapping, in relation order."""

from dagster import AssetKey

from assets.definitions import defs
from assets.factory import strapi_key
from pipelines.mapping import load_mappings
from pipelines.settings import REPO_MAPPINGS_DIR


def test_one_asset_per_mapping_with_relation_deps():
    graph = defs.resolve_asset_graph()
    keys = {k for k in graph.get_all_asset_keys() if k.path[0] == "strapi"}
    assert keys == {strapi_key(spec.content_type) for spec in load_mappings(REPO_MAPPINGS_DIR)}
    assert len(keys) == 19
    assert strapi_key("product-collection") in graph.get(strapi_key("product")).parent_keys
    assert strapi_key("product") in graph.get(strapi_key("product-variant")).parent_keys
    assert AssetKey(["medusa", "product_variant"]) in graph.get(strapi_key("product-variant")).parent_keys


def test_resources_read_secrets_from_the_environment_not_from_code():
    strapi = defs.resources["strapi"]
    assert "STRAPI_API_TOKEN" in repr(strapi.api_token) or "EnvVar" in repr(strapi.api_token)
    assert defs.resolve_job_def("reconcile") is not None


def test_self_relation_is_not_a_dependency_cycle():
    graph = defs.resolve_asset_graph()
    category = strapi_key("product-category")
    assert category not in graph.get(category).parent_keys
