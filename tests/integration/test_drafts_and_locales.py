"""Draft & Publish and locales (i18n) in a real Strapi 5: the v2 set's product, product-category and
product-collection have both (`strapi:` in their mappings), and the v2 test stack's Strapi has the locales
en (default), fr and de.

What is checked is Strapi's own rows (one per document, locale and draft/published), read from its database.
"""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor
from dataclasses import replace

import pytest
import sqlalchemy as sa

from pipelines.mapping import MappingSet
from pipelines.medusa.source import MedusaSource
from pipelines.settings import SyncOptions, WritePaths
from pipelines.strapi.client import StrapiClient, StrapiError
from pipelines.sync.run import sync_all

from .conftest import empty

PRODUCT = "product"


def rows_of(strapi_v2_sql, medusa_id: str) -> list[tuple]:
    """(locale, 'draft' | 'published', seo_title, description) of every row of the product `medusa_id`."""
    return strapi_v2_sql(
        "select locale, case when published_at is null then 'draft' else 'published' end, seo_title, description"
        " from products where medusa_id = :mid order by locale, 2", mid=medusa_id)


def a_product(medusa_v2_sql) -> tuple[str, str]:
    """(id, handle) of a live product of the demo catalog."""
    return tuple(medusa_v2_sql("select id, handle from product where deleted_at is null order by handle limit 1")[0])


def document_of(strapi_v2, medusa_id: str) -> str:
    return strapi_v2.find_by_medusa_ids("products", [medusa_id], query=(("status", "draft"),))[medusa_id]["documentId"]


def synced(mappings, source, client, **options):
    results = sync_all(mappings, source, client, **options)
    assert all(r.ok for r in results), [f for r in results for f in r.failures]
    return {r.content_type: r for r in results}


def no_duplicates(strapi_v2_sql) -> None:
    for table in ("products", "product_categories", "product_collections"):
        held_twice = strapi_v2_sql(f"select medusa_id, locale, published_at is null, count(*) from {table}"
                                   " group by 1, 2, 3 having count(*) > 1")
        assert held_twice == [], (table, held_twice)


def test_the_v2_stack_has_the_locales_and_the_per_version_unique_indexes(strapi_v2_sql):
    assert {r[0] for r in strapi_v2_sql("select code from i18n_locale")} >= {"en", "fr", "de"}
    indexes = {r[0] for r in strapi_v2_sql("select indexname from pg_indexes where indexname like '%per_version_uq'")}
    assert indexes >= {"products_medusa_id_per_version_uq", "product_categories_medusa_id_per_version_uq",
                       "product_collections_medusa_id_per_version_uq"}


def test_an_editors_locale_keeps_its_copy_while_medusas_changes_reach_every_locale(
        clean_strapi_v2, mappings_v2, source_v2, medusa_v2_sql, strapi_v2_sql):
    strapi_v2 = clean_strapi_v2
    first = synced(mappings_v2, source_v2, strapi_v2)
    live = {r[0] for r in medusa_v2_sql("select id from product where deleted_at is null")}
    assert first[PRODUCT].created == len(live)
    published_en = {r[0] for r in strapi_v2_sql("select medusa_id from products where locale = 'en' and published_at is not null")}
    assert published_en == live  # every live product published in the default locale

    medusa_id, _ = a_product(medusa_v2_sql)
    document = document_of(strapi_v2, medusa_id)
    # An editor writes the French copy (a CMS-only field of a localized type), as the admin panel saves it.
    strapi_v2.update("products", document, {"seo_title": "Une tasse"}, query=(("locale", "fr"),))
    medusa_v2_sql("update product set description = 'Now 400 ml.', updated_at = now() where id = :id", id=medusa_id)

    second = synced(mappings_v2, source_v2, strapi_v2, changes=True)
    assert second[PRODUCT].updated == 1
    assert rows_of(strapi_v2_sql, medusa_id) == [
        ("en", "draft", None, "Now 400 ml."), ("en", "published", None, "Now 400 ml."),
        ("fr", "draft", "Une tasse", "Now 400 ml."), ("fr", "published", "Une tasse", "Now 400 ml."),
    ]
    fr_links = strapi_v2_sql("select count(*) from products p join products_product_tags_lnk l on l.product_id = p.id"
                             " where p.medusa_id = :mid and p.locale = 'fr'", mid=medusa_id)[0][0]
    en_links = strapi_v2_sql("select count(*) from products p join products_product_tags_lnk l on l.product_id = p.id"
                             " where p.medusa_id = :mid and p.locale = 'en'", mid=medusa_id)[0][0]
    assert fr_links == en_links  # the shared relations reach the editor's locale too

    third = synced(mappings_v2, source_v2, strapi_v2)
    assert all(r.created == r.updated == r.deleted == 0 for r in third.values()), {t: r.summary() for t, r in third.items()}
    no_duplicates(strapi_v2_sql)

    medusa_v2_sql("update product set deleted_at = now(), updated_at = now() where id = :id", id=medusa_id)
    synced(mappings_v2, source_v2, strapi_v2, changes=True, only=[PRODUCT])
    assert rows_of(strapi_v2_sql, medusa_id) == []  # gone from every locale


def with_versions(mappings: MappingSet, content_type: str, **versions) -> MappingSet:
    """The set with one type's `strapi:` options changed (the Strapi type stays as generated: D&P and i18n on)."""
    return MappingSet(tuple(replace(s, strapi=replace(s.strapi, **versions)) if s.content_type == content_type else s
                            for s in mappings))


def test_publish_editor_writes_drafts_and_leaves_publishing_to_editors(
        clean_strapi_v2, mappings_v2, source_v2, medusa_v2_sql, strapi_v2_sql):
    editor = with_versions(mappings_v2, PRODUCT, publish="editor")
    synced(editor, source_v2, clean_strapi_v2)
    statuses = {r[0] for r in strapi_v2_sql("select distinct published_at is null from products")}
    assert statuses == {True}  # drafts only

    medusa_id, _ = a_product(medusa_v2_sql)
    medusa_v2_sql("update product set description = 'Draft copy', updated_at = now() where id = :id", id=medusa_id)
    assert synced(editor, source_v2, clean_strapi_v2, changes=True)[PRODUCT].updated == 1
    assert rows_of(strapi_v2_sql, medusa_id) == [("en", "draft", None, "Draft copy")]
    again = synced(editor, source_v2, clean_strapi_v2)
    assert again[PRODUCT].updated == again[PRODUCT].created == 0


def test_on_delete_unpublish_keeps_the_drafts(clean_strapi_v2, mappings_v2, source_v2, medusa_v2_sql, strapi_v2_sql):
    unpublishing = with_versions(mappings_v2, PRODUCT, on_delete="unpublish")
    synced(unpublishing, source_v2, clean_strapi_v2)
    medusa_id, _ = a_product(medusa_v2_sql)
    clean_strapi_v2.update("products", document_of(clean_strapi_v2, medusa_id), {"seo_title": "Une tasse"},
                           query=(("locale", "fr"),))
    medusa_v2_sql("update product set deleted_at = now(), updated_at = now() where id = :id", id=medusa_id)
    assert synced(unpublishing, source_v2, clean_strapi_v2, changes=True, only=[PRODUCT])[PRODUCT].deleted == 1
    assert [r[:2] for r in rows_of(strapi_v2_sql, medusa_id)] == [("en", "draft"), ("fr", "draft")]


def test_the_index_refuses_a_second_entry_for_a_key(clean_strapi_v2, mappings_v2, source_v2, medusa_v2_sql, strapi_v2_sql):
    synced(mappings_v2, source_v2, clean_strapi_v2, only=["product-collection"])
    medusa_id = medusa_v2_sql("select id from product_collection where deleted_at is null limit 1")[0][0]
    with pytest.raises(StrapiError) as refused:
        clean_strapi_v2.create("product-collections", {"medusa_id": medusa_id, "title": "twice"})
    assert refused.value.is_unique_violation
    # Strapi's validator said so; under a race the database's own index does (a second draft row in `en`)
    with pytest.raises(sa.exc.IntegrityError, match="per_version_uq"):
        strapi_v2_sql("insert into product_collections (document_id, medusa_id, locale, published_at)"
                      " values ('twice', :mid, 'en', null)", mid=medusa_id)
    no_duplicates(strapi_v2_sql)


# (link table, source column, source table, target column, target table) of links from or to a versioned type
LINKS = [
    ("products_product_categories_lnk", "product_id", "products", "product_category_id", "product_categories"),
    ("products_product_collection_lnk", "product_id", "products", "product_collection_id", "product_collections"),
    ("products_product_tags_lnk", "product_id", "products", "product_tag_id", "product_tags"),
    ("product_variants_product_lnk", "product_variant_id", "product_variants", "product_id", "products"),
    ("product_options_products_lnk", "product_option_id", "product_options", "product_id", "products"),
]


def link_shapes(strapi_v2_sql) -> dict[str, list[tuple]]:
    """Per link table: how many links join a (locale, draft?) row to a (locale, draft?) row."""
    return {table: [tuple(r) for r in strapi_v2_sql(
        f"select s.locale, s.published_at is null, t.locale, t.published_at is null, count(*) from {table} l"
        f" join {source_table} s on s.id = l.{source} join {target_table} t on t.id = l.{target} group by 1, 2, 3, 4 order by 1, 2, 3, 4")]
        for table, source, source_table, target, target_table in LINKS}


def test_the_bulk_plugin_writes_the_rows_and_links_rest_writes(clean_strapi_v2, mappings_v2, source_v2, strapi_v2_sql):
    rest = synced(mappings_v2, source_v2, clean_strapi_v2, options=SyncOptions(write_paths=WritePaths(full="rest")))
    assert {r.write_path for r in rest.values()} == {"rest"}
    by_rest = link_shapes(strapi_v2_sql), strapi_v2_sql("select locale, published_at is null, count(*) from products group by 1, 2 order by 1, 2")
    assert all(by_rest[0].values()), by_rest

    empty(clean_strapi_v2, mappings_v2)
    bulk = synced(mappings_v2, source_v2, clean_strapi_v2, options=SyncOptions(write_paths=WritePaths(full="bulk")))
    assert bulk[PRODUCT].write_path == "bulk"
    assert (link_shapes(strapi_v2_sql), strapi_v2_sql("select locale, published_at is null, count(*) from products"
                                                      " group by 1, 2 order by 1, 2")) == by_rest


def test_racing_runs_on_both_write_paths_make_one_entry_per_key_locale_and_status(
        clean_strapi_v2, mappings_v2, medusa_v2_url, stack_v2, strapi_v2_sql):
    """Two full syncs of the same types at once, one through the plugin and one over REST, both creating: the
    index lets one row per (medusa_id, locale, draft/published) in, and the loser of each race updates."""
    def run(path: str) -> list:
        source = MedusaSource(medusa_v2_url)
        client = StrapiClient(stack_v2["STRAPI_URL"], stack_v2["STRAPI_API_TOKEN"])
        try:
            return sync_all(mappings_v2, source, client, only=["product-collection", "product-category"],
                            options=SyncOptions(write_paths=WritePaths(full=path)))
        finally:
            client.close()
            source.dispose()

    with ThreadPoolExecutor(2) as pool:
        runs = [pool.submit(run, path) for path in ("bulk", "rest")]
        results = [r for run_ in runs for r in run_.result()]
    assert all(r.failed == 0 for r in results), [f for r in results for f in r.failures]
    no_duplicates(strapi_v2_sql)
    categories = [r for r in results if r.content_type == "product-category"]
    published = strapi_v2_sql("select count(*) from product_categories where locale = 'en' and published_at is not null")[0][0]
    assert published == categories[0].read == categories[1].read  # every live category once, published
