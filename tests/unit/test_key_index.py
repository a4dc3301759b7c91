"""`strapi-schema --index-only`: which keys lack a database index in an app's schemas, and the indexes' names (the
bulk-upsert plugin's, so either way there is one)."""

from pipelines.mapping import MappingSpec
from pipelines.strapi.key_index import KeyIndex, column_name, migration, missing_key_indexes


def spec(name, key="medusaId"):
    return MappingSpec(name, f"{name}s", name.replace("-", "_"), key=key)


def test_keys_declared_unique_alone_need_an_index_and_the_others_do_not():
    schemas = {
        "api::product.product": {"collectionName": "products", "attributes": {"medusaId": {"type": "string", "unique": True}}},
        "api::tag.tag": {"collectionName": "tags", "attributes": {"medusaId": {"type": "string", "column": {"unique": True}}}},
        "api::page.page": {"collectionName": "pages", "options": {"draftAndPublish": True},
                           "pluginOptions": {"bulk-upsert": {"uniqueKey": "medusaId"}}, "attributes": {"medusaId": {"type": "string"}}},
        "api::post.post": {"collectionName": "posts", "pluginOptions": {"i18n": {"localized": True}},
                           "attributes": {"medusaId": {"type": "string", "unique": True}}},
    }
    schemas["api::review.review"] = {"collectionName": "reviews", "attributes": {"title": {"type": "string"}}}  # no key
    found = missing_key_indexes([spec("product"), spec("tag"), spec("page"), spec("post"), spec("absent"), spec("review")], schemas)
    assert found == [KeyIndex("api::product.product", "products", "medusa_id", False),
                     KeyIndex("api::post.post", "posts", "medusa_id", True)]
    assert [i.name for i in found] == ["products_medusa_id_key_uq", "posts_medusa_id_per_version_uq"]


def test_names_and_columns_follow_strapi_and_the_plugin():
    assert column_name("medusaId") == "medusa_id" and column_name("medusa_id") == "medusa_id"
    long = KeyIndex("api::x.x", "a_table_name_that_is_very_long_indeed_for_postgres", "medusa_id", True).name
    assert long == "a_table_name_that_is_very_long_indeed_for_postgres_med_c8434b52"  # the plugin's indexName, as node gave it
    name, text = migration([KeyIndex("api::product.product", "products", "medusa_id", False)])
    assert name.startswith("database/migrations/medusa-sync-unique-keys-") and "create unique index if not exists" in text
    assert migration([KeyIndex("api::product.product", "products", "medusa_id", False)])[0] == name  # the same set, the same file
