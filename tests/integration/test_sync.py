"""Full and repeated syncs of the demo catalog into the real Strapi, read back over HTTP."""

from __future__ import annotations

import threading
from urllib.parse import urlsplit

import pytest
import requests

from pipelines.settings import SyncOptions, WritePaths
from pipelines.sync import run as run_module
from pipelines.sync.run import ContentTypeSync, sync_all

from .helpers import assert_in_sync, strapi_entries


@pytest.fixture(autouse=True, params=["rest", "bulk"])
def write_path(request, monkeypatch) -> str:
    """Every test here runs on both write paths: over REST, and through the bulk-upsert plugin."""
    monkeypatch.setattr(run_module, "DEFAULT_OPTIONS", SyncOptions(write_paths=WritePaths(request.param, request.param)))
    return request.param


def test_full_sync_puts_every_row_in_strapi_exactly_once(source, clean_strapi, mappings, write_path):
    results = sync_all(mappings, source, clean_strapi)
    assert [r.content_type for r in results] == mappings.content_types
    assert all(r.ok for r in results), [f.message for r in results for f in r.failures]
    counts = assert_in_sync(source, clean_strapi, mappings)
    assert counts["product"] >= 10 and counts["product-variant"] > counts["product"] and counts["product-collection"] >= 3
    assert all(counts[t] > 0 for t in mappings.content_types), counts  # the demo catalog uses all 19 tables
    for r in results:
        assert r.created == r.read == counts[r.content_type] and r.updated == 0
        assert r.write_path == write_path


def test_the_types_running_at_once_share_the_rest_writers(source, clean_strapi, mappings, monkeypatch, write_path):
    in_flight, peak, lock = 0, 0, threading.Lock()
    creates = {f"/api/{spec.plural}" for spec in mappings}
    send = clean_strapi.session.request

    def request(method, url, **kw):
        nonlocal in_flight, peak
        # creates only (a type's permission probe POSTs an empty body)
        counted = method == "POST" and urlsplit(url).path in creates and b'"medusa_id"' in (kw.get("data") or b"")
        with lock:
            in_flight += counted
            peak = max(peak, in_flight)
        try:
            return send(method, url, **kw)
        finally:
            with lock:
                in_flight -= counted

    monkeypatch.setattr(clean_strapi.session, "request", request)
    results = sync_all(mappings, source, clean_strapi, concurrency=2, types_at_once=3)
    assert all(r.ok for r in results)
    assert peak == (2 if write_path == "rest" else 0)  # 2 in all, not 2 per type running


def populated(stack, plural: str, medusa_id: str) -> dict:
    """The storefront read path of the seed document: filter by medusa_id, populate=*."""
    response = requests.get(
        f"{stack['STRAPI_URL']}/api/{plural}",
        params={"filters[medusa_id][$eq]": medusa_id, "populate": "*"},
        headers={"Authorization": f"Bearer {stack['STRAPI_API_TOKEN']}"},
        timeout=10,
    )
    response.raise_for_status()
    (entry,) = response.json()["data"]
    return entry


def ids(related) -> set[str]:
    return {e["medusa_id"] for e in related}


def test_relations_read_back_with_populate(source, clean_strapi, mappings, stack, medusa_sql):
    sync_all(mappings, source, clean_strapi)
    one = lambda sql, **p: {str(r[0]) for r in medusa_sql(sql, **p)}  # noqa: E731

    # a product with a collection, a type, tags, categories and images
    product_id, collection_id, type_id = medusa_sql(
        "select p.id, p.collection_id, p.type_id from product p where p.deleted_at is null and p.collection_id is not null"
        " and p.type_id is not null and exists (select 1 from product_tags t where t.product_id = p.id)"
        " and exists (select 1 from product_images i where i.product_id = p.id) order by p.id limit 1"
    )[0]
    product = populated(stack, "products", product_id)
    assert product["product_collection"]["medusa_id"] == collection_id
    assert product["product_type"]["medusa_id"] == type_id
    assert ids(product["product_variants"]) == one("select id from product_variant where product_id = :p and deleted_at is null", p=product_id)
    assert ids(product["product_tags"]) == one("select product_tag_id from product_tags where product_id = :p", p=product_id)
    assert ids(product["product_categories"]) == one("select product_category_id from product_category_product where product_id = :p", p=product_id)
    assert ids(product["product_options"]) == one("select id from product_option where product_id = :p and deleted_at is null", p=product_id)
    assert ids(product["images"]) == one("select image_id from product_images where product_id = :p", p=product_id)
    assert "created_at" not in product and "updated_at" not in product

    # a variant's prices (through product_variant_money_amount), in major units
    variant_id = medusa_sql("select variant_id from product_variant_money_amount where deleted_at is null order by variant_id limit 1")[0][0]
    variant = populated(stack, "product-variants", variant_id)
    assert ids(variant["prices"]) == one(
        "select money_amount_id from product_variant_money_amount where variant_id = :v and deleted_at is null", v=variant_id
    )
    price_id, amount = medusa_sql("select id, amount from money_amount where currency_code = 'usd' and deleted_at is null order by id limit 1")[0]
    assert float(populated(stack, "money-amounts", price_id)["amount"]) == amount / 100

    # a region's countries, currency and providers
    region_id, currency = medusa_sql("select id, currency_code from region where deleted_at is null order by id limit 1")[0]
    region = populated(stack, "regions", region_id)
    assert region["currency"]["medusa_id"] == currency
    assert ids(region["countries"]) == one("select id from country where region_id = :r", r=region_id)
    assert ids(region["payment_providers"]) == one("select provider_id from region_payment_providers where region_id = :r", r=region_id)
    assert ids(region["fulfillment_providers"]) == one("select provider_id from region_fulfillment_providers where region_id = :r", r=region_id)

    # a category's parent and children (self-relation)
    child_id, parent_id = medusa_sql("select id, parent_category_id from product_category where parent_category_id is not null order by id limit 1")[0]
    assert populated(stack, "product-categories", child_id)["parent_category"]["medusa_id"] == parent_id
    assert child_id in ids(populated(stack, "product-categories", parent_id)["category_children"])


def test_second_sync_writes_nothing(source, clean_strapi, mappings):
    sync_all(mappings, source, clean_strapi)
    again = sync_all(mappings, source, clean_strapi)
    assert all(r.created == 0 and r.updated == 0 and r.failed == 0 for r in again)
    assert all(r.unchanged == r.read for r in again)


def test_changed_description_is_updated_and_cms_fields_are_kept(source, clean_strapi, mappings, medusa_sql):
    sync_all(mappings, source, clean_strapi)
    product_id = medusa_sql("select id from product where deleted_at is null order by id limit 1")[0][0]
    entry = clean_strapi.find_by_medusa_ids("products", [product_id])[product_id]
    clean_strapi.update("products", entry["documentId"], {"seo_title": "Editor's title", "rich_description": "Hand-written"})

    medusa_sql("update product set description = :t, updated_at = now() where id = :id", t="Nouvelle description — ✓", id=product_id)
    (result,) = sync_all(mappings, source, clean_strapi, only=["product"])
    assert (result.updated, result.created, result.failed) == (1, 0, 0)
    after = clean_strapi.find_by_medusa_ids("products", [product_id], fields=["description", "seo_title", "rich_description"])[product_id]
    assert after["description"] == "Nouvelle description — ✓"
    assert after["seo_title"] == "Editor's title" and after["rich_description"] == "Hand-written"
    assert_in_sync(source, clean_strapi, mappings)


def test_odd_values_arrive_unchanged(source, clean_strapi, mappings, medusa_sql):
    product_id = medusa_sql("select id from product where deleted_at is null order by id limit 1")[0][0]
    description = ("Ünïcödé ✓ 東京 🍵 \"quotes\" 'single' \\ back\\slash\n\ttab " * 200)[:6000]
    medusa_sql(
        "update product set title = :title, subtitle = null, description = :d, weight = null, metadata = cast(:m as jsonb) where id = :id",
        title="x" * 400, d=description, id=product_id,
        m='{"deep": {"list": [1, 2.5, null, {"ключ": "значение"}], "empty": {}}, "flag": false, "": "empty key"}',
    )
    results = sync_all(mappings, source, clean_strapi)
    assert all(r.ok for r in results), [f.message for r in results for f in r.failures]
    entry = clean_strapi.find_by_medusa_ids("products", [product_id], fields=["title", "subtitle", "description", "weight", "metadata"])[product_id]
    assert entry["title"] == "x" * 400 and entry["subtitle"] is None and entry["weight"] is None
    assert entry["description"] == description
    assert entry["metadata"] == {"deep": {"list": [1, 2.5, None, {"ключ": "значение"}], "empty": {}}, "flag": False, "": "empty key"}
    assert all(r.created == 0 and r.updated == 0 for r in sync_all(mappings, source, clean_strapi))


def test_soft_deleted_rows_are_not_synced(source, clean_strapi, mappings, medusa_sql):
    product_id = medusa_sql("select id from product where deleted_at is null order by id limit 1")[0][0]
    medusa_sql("update product set deleted_at = now() where id = :id", id=product_id)
    medusa_sql("update product_variant set deleted_at = now() where product_id = :id", id=product_id)
    medusa_sql("update product_option set deleted_at = now() where product_id = :id", id=product_id)
    medusa_sql("update product_option_value set deleted_at = now() where variant_id in (select id from product_variant where product_id = :id)", id=product_id)
    medusa_sql("update money_amount set deleted_at = now() where id in (select money_amount_id from product_variant_money_amount pvma join product_variant v on v.id = pvma.variant_id where v.product_id = :id)", id=product_id)
    results = sync_all(mappings, source, clean_strapi)
    assert all(r.ok for r in results), [f.message for r in results for f in r.failures]
    assert product_id not in {e["medusa_id"] for e in strapi_entries(clean_strapi, mappings.get("product"))}
    assert_in_sync(source, clean_strapi, mappings)


def test_unresolvable_relation_fails_the_row_only_and_is_retried_next_run(source, clean_strapi, mappings, medusa_sql):
    collection_id, product_id = medusa_sql(
        "select collection_id, id from product where collection_id is not null and deleted_at is null order by id limit 1"
    )[0]
    product_types = ["product", *mappings.dependencies("product")]
    sync_all(mappings, source, clean_strapi, only=product_types)
    for plural, mid in (("products", product_id), ("product-collections", collection_id)):
        entry = clean_strapi.find_by_medusa_ids(plural, [mid])[mid]
        clean_strapi.delete(plural, entry["documentId"])  # as if their sync had failed

    (product,) = sync_all(mappings, source, clean_strapi, only=["product"])
    assert product.failed >= 1 and product.created == 0 and product.unchanged == product.read - product.failed
    failure = next(f for f in product.failures if f.medusa_id == product_id)
    assert f"product_collection -> product-collection '{collection_id}' is not in Strapi" in failure.message

    results = sync_all(mappings, source, clean_strapi, only=product_types)
    by_type = {r.content_type: r for r in results}
    assert by_type["product-collection"].created == 1 and by_type["product"].created >= 1
    assert all(r.ok for r in results)
    assert_in_sync(source, clean_strapi, mappings, only=product_types)


def test_soft_deleted_relation_target_links_to_nothing(source, clean_strapi, mappings, medusa_sql):
    collection_id, product_id = medusa_sql(
        "select collection_id, id from product where collection_id is not null and deleted_at is null order by id limit 1"
    )[0]
    medusa_sql("update product_collection set deleted_at = now() where id = :id", id=collection_id)
    results = sync_all(mappings, source, clean_strapi)
    assert all(r.ok for r in results), [f.message for r in results for f in r.failures]
    entry = clean_strapi.find_by_medusa_ids("products", [product_id], populate={"product_collection": ["medusa_id"]})[product_id]
    assert entry["product_collection"] is None


def test_concurrent_syncs_never_duplicate(source, clean_strapi, mappings):
    spec = mappings.get("product-variant")
    sync_all(mappings, source, clean_strapi, only=["product", *mappings.dependencies("product")])
    results, errors = [], []

    def run():
        try:
            results.append(ContentTypeSync(spec, mappings, source, clean_strapi, SyncOptions(concurrency=4, chunk_size=7)).run())
        except Exception as exc:  # surfaced below: a thread's exception would otherwise be lost
            errors.append(exc)

    threads = [threading.Thread(target=run) for _ in range(3)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert not errors and len(results) == 3
    assert sum(r.created for r in results) == results[0].read
    assert all(r.ok for r in results), [f.message for r in results for f in r.failures]
    assert_in_sync(source, clean_strapi, mappings, only=["product-variant"])


def test_lost_create_race_becomes_an_update_not_a_duplicate(source, clean_strapi, mappings, monkeypatch):
    sync_all(mappings, source, clean_strapi, only=["product-collection"])
    spec = mappings.get("product-collection")
    entries = {e["medusa_id"]: e for e in strapi_entries(clean_strapi, spec)}
    some_id = sorted(entries)[0]
    clean_strapi.update(spec.plural, entries[some_id]["documentId"], {"title": "stale"})

    sync = ContentTypeSync(spec, mappings, source, clean_strapi)
    real_index = sync._index
    calls = []

    def stale_index(ids):
        # The first index read misses every entry, as if another run created them meanwhile.
        calls.append(ids)
        return {} if len(calls) == 1 else real_index(ids)

    monkeypatch.setattr(sync, "_index", stale_index)
    result = sync.run()
    monkeypatch.undo()
    assert (result.created, result.updated, result.failed) == (0, result.read, 0)
    assert_in_sync(source, clean_strapi, mappings, only=[spec.content_type])


def test_reconcile_refuses_to_empty_a_type_whose_table_is_empty_unless_allowed(source, clean_strapi, mappings, medusa_sql):
    sync_all(mappings, source, clean_strapi, only=["product-type"])
    medusa_sql("update product set type_id = null")
    medusa_sql("delete from product_type")  # as if the URL pointed at the wrong database
    (refused,) = sync_all(mappings, source, clean_strapi, only=["product-type"], delete_missing=True)
    assert refused.failed == 1 and refused.deleted == 0 and "refusing to delete all" in refused.failures[0].message
    (allowed,) = sync_all(mappings, source, clean_strapi, only=["product-type"], delete_missing=True, allow_mass_delete=True)
    assert allowed.ok and allowed.deleted > 0
    assert strapi_entries(clean_strapi, mappings.get("product-type")) == []


def test_extreme_amounts_and_whitespace_survive(source, clean_strapi, mappings, medusa_sql):
    price_id = medusa_sql("select id from money_amount where deleted_at is null order by id limit 1")[0][0]
    medusa_sql("update money_amount set currency_code = 'jpy', amount = 2147483647 where id = :id", id=price_id)
    product_id = medusa_sql("select id from product where deleted_at is null order by id limit 1")[0][0]
    title = "  leading and trailing  \n\u200b zero-width, \u05e2\u05d1\u05e8\u05d9\u05ea RTL, \U0001F600 "
    medusa_sql("update product set title = :t where id = :id", t=title, id=product_id)
    results = sync_all(mappings, source, clean_strapi)
    assert all(r.ok for r in results), [f.message for r in results for f in r.failures]
    price = clean_strapi.find_by_medusa_ids("money-amounts", [price_id], fields=["amount"])[price_id]
    assert float(price["amount"]) == 2147483647  # a zero-decimal currency is not divided
    assert clean_strapi.find_by_medusa_ids("products", [product_id], fields=["title"])[product_id]["title"] == title
    assert all(r.writes == 0 for r in sync_all(mappings, source, clean_strapi))
