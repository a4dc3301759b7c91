"""The Dagster definitions load and wire one asset per mapping, in relation order."""

from dagster import AssetKey

from assets.definitions import defs
from assets.factory import strapi_key


def test_one_asset_per_mapping_with_relation_deps():
    graph = defs.resolve_asset_graph()
    keys = {k for k in graph.get_all_asset_keys() if k.path[0] == "strapi"}
    assert keys == {strapi_key(t) for t in ("product-collection", "product", "product-variant")}
    assert strapi_key("product-collection") in graph.get(strapi_key("product")).parent_keys
    assert strapi_key("product") in graph.get(strapi_key("product-variant")).parent_keys
    assert AssetKey(["medusa", "product_variant"]) in graph.get(strapi_key("product-variant")).parent_keys


def test_resources_read_secrets_from_the_environment_not_from_code():
    strapi = defs.resources["strapi"]
    assert "STRAPI_API_TOKEN" in repr(strapi.api_token) or "EnvVar" in repr(strapi.api_token)
    assert defs.resolve_job_def("sync_all") is not None
