"""The bulk-upsert Strapi plugin (strapi-plugin-bulk-upsert/) against the real Strapi of the test stack:
batches with relations, bad entries, a rolled-back batch, concurrent writers, deletes, refusals, reads."""

from __future__ import annotations

import threading
import uuid

import pytest
import requests

from pipelines.entry_versions import EntryVersions
from pipelines.strapi.bulk import BulkClient
from pipelines.strapi.client import StrapiError

PREFIX = "bulktest"


@pytest.fixture
def bulk(strapi):
    """A BulkClient on the test stack's Strapi; the entries a test made (medusa_id bulktest_*) are deleted after."""
    client = BulkClient(strapi)
    yield client
    for plural in ("money-amounts", "products", "product-tags", "product-collections", "fixture-typeds", "fixture-drafts"):
        docs = [e["documentId"] for e in strapi.iter_entries(plural, filters=[("filters[medusa_id][$startsWith]", PREFIX)])]
        if docs:
            client.write(plural, [], docs)


def key(name: str) -> str:
    return f"{PREFIX}_{name}_{uuid.uuid4().hex[:8]}"


def rest_entry(strapi, plural: str, medusa_id: str, populate: str = "*") -> dict:
    body = strapi.request("GET", f"/api/{plural}", params={"filters[medusa_id][$eq]": medusa_id, "populate": populate})
    (entry,) = body["data"]
    return entry


def test_capability_says_what_it_writes_and_refuses_unsafe_types(bulk):
    for plural in ("products", "fixture-drafts", "fixture-localizeds"):
        assert bulk.capability(plural).writable, plural
    capability = bulk.capability("fixture-components")
    assert capability.installed and not capability.writable and "component" in capability.reason, capability
    with pytest.raises(StrapiError) as refused:
        bulk.write("fixture-components", [{"medusa_id": key("x"), "title": "t"}], [])
    assert refused.value.status == 422 and "component" in refused.value.message and "REST" in refused.value.message
    with pytest.raises(StrapiError) as unknown:
        bulk.write("no-such-things", [], [])
    assert unknown.value.status == 404


def versions_of(strapi_sql, table: str, medusa_id: str) -> list[tuple]:
    """(locale, 'draft' | 'published', title) of every row of the entry."""
    return [tuple(r) for r in strapi_sql(
        f"select locale, case when published_at is null then 'draft' else 'published' end, title from {table}"
        " where medusa_id = :mid order by 1, 2", mid=medusa_id)]


def test_a_draft_and_publish_type_is_written_as_strapi_writes_it(bulk, strapi, strapi_sql):
    on_sync, editor = EntryVersions(draft_and_publish=True), EntryVersions(draft_and_publish=True, publish="editor")
    new = key("d")
    (created,), _ = bulk.write("fixture-drafts", [{"medusa_id": new, "title": "one"}], [], on_sync)
    assert created.status == "created"
    assert versions_of(strapi_sql, "fixture_drafts", new) == [(None, "draft", "one"), (None, "published", "one")]
    (updated,), _ = bulk.write("fixture-drafts", [{"medusa_id": new, "title": "two"}], [], editor)
    assert (updated.status, updated.document_id) == ("updated", created.document_id)
    assert versions_of(strapi_sql, "fixture_drafts", new) == [(None, "draft", "two"), (None, "published", "one")]
    bulk.write("fixture-drafts", [], [created.document_id], EntryVersions(draft_and_publish=True, on_delete="unpublish"))
    assert versions_of(strapi_sql, "fixture_drafts", new) == [(None, "draft", "two")]
    _, (deleted,) = bulk.write("fixture-drafts", [], [created.document_id], on_sync)
    assert deleted.status == "deleted" and versions_of(strapi_sql, "fixture_drafts", new) == []


def test_a_localized_type_writes_the_default_locale_and_deletes_every_locale(bulk, strapi, strapi_sql):
    new = key("l")
    (created,), _ = bulk.write("fixture-localizeds", [{"medusa_id": new, "title": "Mug"}], [])
    strapi.update("fixture-localizeds", created.document_id, {"title": "Tasse"}, query=(("locale", "fr"),))
    (updated,), _ = bulk.write("fixture-localizeds", [{"medusa_id": new, "title": "Big mug"}], [])
    assert updated.status == "updated"
    assert versions_of(strapi_sql, "fixture_localizeds", new) == [("en", "published", "Big mug"), ("fr", "published", "Tasse")]
    _, (deleted,) = bulk.write("fixture-localizeds", [], [created.document_id])
    assert deleted.status == "deleted" and versions_of(strapi_sql, "fixture_localizeds", new) == []


def test_a_batch_with_relations_reads_back_through_rest(bulk, strapi, strapi_sql):
    c1, c2 = key("c1"), key("c2")
    tags = [key("t") for _ in range(3)]
    results, _ = bulk.write("product-collections", [{"medusa_id": c1, "title": "One"}, {"medusa_id": c2, "title": "Two"}], [])
    collections = {r.key: r.document_id for r in results}
    results, _ = bulk.write("product-tags", [{"medusa_id": t, "value": t[-4:]} for t in tags], [])
    tag_docs = {r.key: r.document_id for r in results}
    products = [key("p") for _ in range(4)]
    entries = [
        {"medusa_id": p, "title": f"Product {i}", "weight": i, "is_giftcard": False, "metadata": {"i": i, "nested": [1, "x"]},
         "product_collection": collections[c1], "product_tags": [tag_docs[t] for t in tags[: i + 1]]}
        for i, p in enumerate(products)
    ]
    results, _ = bulk.write("products", entries, [])
    assert [r.status for r in results] == ["created"] * 4 and all(len(r.document_id) == 24 for r in results)

    first = rest_entry(strapi, "products", products[2])
    assert first["documentId"] == results[2].document_id and first["title"] == "Product 2" and first["weight"] == 2
    assert first["metadata"] == {"i": 2, "nested": [1, "x"]} and first["publishedAt"] and first["createdAt"]
    assert first["product_collection"]["medusa_id"] == c1
    assert [t["medusa_id"] for t in first["product_tags"]] == tags[:3]  # the given order
    assert {p["medusa_id"] for p in rest_entry(strapi, "product-collections", c1)["products"]} == set(products)

    # updates: only the given attributes; a to-one moved, a to-many replaced, a link removed with null
    results, _ = bulk.write("products", [
        {"medusa_id": products[0], "product_collection": collections[c2], "product_tags": [tag_docs[tags[2]], tag_docs[tags[0]]]},
        {"medusa_id": products[1], "product_collection": None, "title": "Renamed"},
    ], [])
    assert [r.status for r in results] == ["updated", "updated"]
    moved = rest_entry(strapi, "products", products[0])
    assert moved["title"] == "Product 0" and moved["product_collection"]["medusa_id"] == c2
    assert [t["medusa_id"] for t in moved["product_tags"]] == [tags[2], tags[0]]
    renamed = rest_entry(strapi, "products", products[1])
    assert renamed["title"] == "Renamed" and renamed["product_collection"] is None and renamed["weight"] == 1
    assert {p["medusa_id"] for p in rest_entry(strapi, "product-collections", c1)["products"]} == {products[2], products[3]}

    # Strapi's link order columns: each product's place in its collection stays unique and ordered
    places = [r[0] for r in strapi_sql(
        "select l.product_ord from products_product_collection_lnk l join product_collections c on c.id = l.product_collection_id "
        "where c.medusa_id = :c order by l.product_ord", c=c1)]
    (row,) = strapi_sql("select document_id, published_at, locale, created_at, updated_at from products where medusa_id = :p", p=products[3])
    assert len(places) == len(set(places)) == 2 and all(p is not None for p in places)
    assert row.published_at is not None and row.locale is None and row.created_at is not None and row.updated_at is not None


TYPED_VALUES = [
    {"a_string": "Ünïcode ☃ 'single' \"double\" back\\slash {braces}, commas", "a_text": "two\nlines\ttab NULL",
     "a_richtext": "# Title\n\n*body*", "an_email": "someone@example.com", "an_enum": "large",
     "an_integer": -2147483648, "a_biginteger": "9007199254740993", "a_float": 1.5e-7, "a_decimal": 12.345,
     "a_boolean": False, "a_json": {"nested": [1, "two", None, {"k": "v \"q\""}], "empty": {}},
     "a_date": "2024-02-29", "a_time": "13:45:30.5", "a_datetime": "2024-05-01T12:00:00.123Z"},
    {"a_json": '"a JSON string"', "a_datetime": "2024-05-01T14:00:00+02:00", "an_integer": 0, "a_boolean": True,
     "a_float": 0.1, "a_decimal": "7.5", "a_default": None},
    {"a_json": "[1, 2.5, true]", "a_datetime": "2024-05-01T12:00:00", "a_string": "", "a_time": "00:00:00"},
    {name: None for name in ("a_string", "a_text", "an_integer", "a_float", "a_decimal", "a_boolean", "a_json", "a_date",
                             "a_time", "a_datetime", "a_biginteger", "an_enum")},
    {},  # the schema's defaults
]


@pytest.mark.parametrize("values", TYPED_VALUES, ids=["every-type", "json-text", "json-list", "nulls", "defaults"])
def test_every_attribute_type_reads_back_as_if_rest_had_written_it(bulk, strapi, values):
    by_rest, by_plugin = key("rest"), key("plugin")
    strapi.create("fixture-typeds", {"medusa_id": by_rest, **values})
    (result,), _ = bulk.write("fixture-typeds", [{"medusa_id": by_plugin, **values}], [])
    assert result.status == "created", result
    own = {"id", "documentId", "medusa_id", "createdAt", "updatedAt", "publishedAt", "locale"}
    rest = {k: v for k, v in rest_entry(strapi, "fixture-typeds", by_rest).items() if k not in own}
    plugin = {k: v for k, v in rest_entry(strapi, "fixture-typeds", by_plugin).items() if k not in own}
    assert plugin == rest


def test_bad_entries_are_reported_one_by_one_and_the_rest_is_written(bulk, strapi):
    good, wrong_type, unknown, missing_target, long_key = (key(n) for n in ("good", "type", "unknown", "target", "long"))
    results, _ = bulk.write("products", [
        {"medusa_id": good, "title": "fine"},
        {"medusa_id": wrong_type, "weight": "heavy"},
        {"medusa_id": unknown, "colour": "red"},
        {"medusa_id": missing_target, "product_collection": "nosuchdocumentid00000000"},
        {"title": "no key"},
        {"medusa_id": long_key + "x" * 300},
        {"medusa_id": good, "title": "twice"},
        {"medusa_id": key("r"), "documentId": "abc"},
    ], [])
    statuses = [(r.status, r.error_status, r.error) for r in results]
    assert statuses[0][0] == "created"
    assert statuses[1] == ("error", 400, "weight: must be a 32-bit integer")
    assert "colour: Invalid key" in statuses[2][2]
    assert "Invalid relations" in statuses[3][2] and "nosuchdocumentid00000000" in statuses[3][2]
    assert statuses[4][2] == "medusa_id must be a non-empty string"
    assert "longer than 255" in statuses[5][2]
    assert "appears twice" in statuses[6][2]
    assert "not writable" in statuses[7][2]
    assert rest_entry(strapi, "products", good)["title"] == "fine"
    assert strapi.find_by_medusa_ids("products", [wrong_type, unknown, missing_target]) == {}


def test_a_database_error_rolls_the_whole_batch_back(bulk, strapi):
    fine, overflow = key("fine"), key("overflow")
    with pytest.raises(StrapiError) as rolled_back:
        bulk.write("money-amounts", [{"medusa_id": fine, "amount": 12.5}, {"medusa_id": overflow, "amount": 1e30}], [])
    assert rolled_back.value.status == 409 and "nothing written" in rolled_back.value.message
    assert strapi.find_by_medusa_ids("money-amounts", [fine, overflow]) == {}


def test_concurrent_writers_of_the_same_keys_never_duplicate(bulk, strapi_sql):
    keys = [key("race") for _ in range(200)]
    outcomes, errors = [], []

    def writer(n: int) -> None:
        try:
            results, _ = bulk.write("product-tags", [{"medusa_id": k, "value": f"w{n}"} for k in keys], [])
            outcomes.append([r.status for r in results])
        except Exception as exc:  # noqa: BLE001
            errors.append(exc)

    threads = [threading.Thread(target=writer, args=(n,)) for n in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert not errors, errors
    assert all(s in ("created", "updated") for statuses in outcomes for s in statuses)
    assert sum(s == "created" for statuses in outcomes for s in statuses) == len(keys)
    ((count, distinct),) = strapi_sql("select count(*), count(distinct medusa_id) from product_tags where medusa_id like :p",
                                      p=f"{PREFIX}_race_%")
    assert count == distinct == len(keys)


def test_deletes_remove_entries_and_their_links(bulk, strapi):
    collection, product = key("c"), key("p")
    (c,), _ = bulk.write("product-collections", [{"medusa_id": collection}], [])
    (p,), _ = bulk.write("products", [{"medusa_id": product, "product_collection": c.document_id}], [])
    _, deleted = bulk.write("products", [], [p.document_id, "nosuchdocumentid00000000"])
    assert [d.status for d in deleted] == ["deleted", "missing"]
    assert strapi.find_by_medusa_ids("products", [product]) == {}
    assert rest_entry(strapi, "product-collections", collection)["products"] == []


def test_find_returns_what_rest_returns(bulk, strapi):
    collection, products = key("c"), [key("p") for _ in range(3)]
    (c,), _ = bulk.write("product-collections", [{"medusa_id": collection, "title": "C"}], [])
    bulk.write("products", [{"medusa_id": p, "title": f"T{i}", "weight": i, "metadata": {"k": [i]}, "product_collection": c.document_id}
                            for i, p in enumerate(products)], [])
    selection = {"fields": ["medusa_id", "title", "weight", "metadata"], "populate": {"product_collection": ["medusa_id"], "product_tags": ["medusa_id"]}}
    assert bulk.find("products", products, **selection) == strapi.find_by_medusa_ids("products", products, **selection)


def test_the_plugin_needs_a_token(stack):
    response = requests.post(f"{stack['STRAPI_URL']}/api/bulk-upsert/products", json={"entries": []}, timeout=10)
    assert response.status_code in (401, 403)


def test_keys_lists_every_entry_in_pages(bulk, monkeypatch):
    import pipelines.strapi.bulk as bulk_module

    made = [key("k") for _ in range(7)]
    bulk.write("product-tags", [{"medusa_id": k} for k in made], [])
    monkeypatch.setattr(bulk_module, "KEYS_PAGE", 3)
    listed = [e["medusa_id"] for e in bulk.keys("product-tags")]
    assert set(made) <= set(listed) and len(listed) == len(set(listed))
    assert all(len(e["documentId"]) == 24 for e in bulk.keys("product-tags"))
