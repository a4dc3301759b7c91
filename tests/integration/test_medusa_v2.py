"""The Medusa v2 mapping set (mappings/medusa-v2) against a real Medusa 2.21.2 schema and demo catalog.

The demo catalog is written by Medusa's own workflows (medusa/v2/seed-demo.js): region and currency
prices, a price-list price, shipping options with prices and rules, an option shared by two products, a
default store currency that is not alphabetically first, inventory in two locations, soft-deleted links.
Expected links are computed here by hand-written SQL, independently of the engine's paths.
"""

from __future__ import annotations

import json
from collections import Counter

import pytest
import requests
from dagster import DagsterInstance, materialize

from assets.naming import strapi_key
from assets.resources import MedusaDatabase, StrapiResource
from assets.sync import build_sync_assets
from pipelines.sync.plan import values_equal
from pipelines.sync.run import sync_all
from pipelines.sync.transform import transform

from .conftest import reconcile_into
from .dagster_harness import SensorHarness
from .helpers import medusa_rows

# content type -> relation attribute -> SQL (source key, target key) over live rows, written by hand
EXPECTED_LINKS = {
    "money-amount": {
        "currency": "select p.id, c.code from price p join currency c on c.code = p.currency_code and c.deleted_at is null",
        "region": "select p.id, g.id from price p join price_rule r on r.price_id = p.id and r.attribute = 'region_id'"
                  " and r.deleted_at is null join region g on g.id = r.value and g.deleted_at is null",
        "product_variant": "select p.id, v.id from price p join product_variant_price_set l on l.price_set_id = p.price_set_id"
                           " and l.deleted_at is null join product_variant v on v.id = l.variant_id and v.deleted_at is null",
    },
    "product": {
        "images": "select i.product_id, i.id from image i where i.deleted_at is null",
        "product_tags": "select x.product_id, t.id from product_tags x join product_tag t on t.id = x.product_tag_id and t.deleted_at is null",
        "product_categories": "select x.product_id, c.id from product_category_product x"
                              " join product_category c on c.id = x.product_category_id and c.deleted_at is null",
        "product_collection": "select p.id, c.id from product p join product_collection c on c.id = p.collection_id and c.deleted_at is null",
        "product_type": "select p.id, t.id from product p join product_type t on t.id = p.type_id and t.deleted_at is null",
    },
    "product-option": {
        "products": "select l.product_option_id, p.id from product_product_option l join product p on p.id = l.product_id"
                    " and p.deleted_at is null where l.deleted_at is null",
    },
    "product-option-value": {
        "product_option": "select v.id, o.id from product_option_value v join product_option o on o.id = v.option_id and o.deleted_at is null",
        "product_variants": "select l.option_value_id, v.id from product_variant_option l join product_variant v on v.id = l.variant_id"
                            " and v.deleted_at is null",
    },
    "product-variant": {
        "product": "select v.id, p.id from product_variant v join product p on p.id = v.product_id and p.deleted_at is null",
    },
    "region": {
        "currency": "select g.id, c.code from region g join currency c on c.code = g.currency_code and c.deleted_at is null",
        "payment_providers": "select l.region_id, p.id from region_payment_provider l join payment_provider p"
                             " on p.id = l.payment_provider_id and p.deleted_at is null where l.deleted_at is null",
    },
    "country": {
        "region": "select c.iso_2, g.id from region_country c join region g on g.id = c.region_id and g.deleted_at is null",
    },
    "store": {
        "default_currency": "select s.store_id, c.code from store_currency s join currency c on c.code = s.currency_code"
                            " and c.deleted_at is null where s.is_default and s.deleted_at is null",
        "currencies": "select s.store_id, c.code from store_currency s join currency c on c.code = s.currency_code"
                      " and c.deleted_at is null where s.deleted_at is null",
    },
    "shipping-option": {
        "region": "select l.shipping_option_id, g.id from shipping_option_price_set l join price p on p.price_set_id = l.price_set_id"
                  " and p.deleted_at is null and p.price_list_id is null join price_rule r on r.price_id = p.id"
                  " and r.attribute = 'region_id' and r.deleted_at is null join region g on g.id = r.value and g.deleted_at is null"
                  " where l.deleted_at is null",
        "shipping_profile": "select o.id, s.id from shipping_option o join shipping_profile s on s.id = o.shipping_profile_id and s.deleted_at is null",
        "fulfillment_provider": "select o.id, f.id from shipping_option o join fulfillment_provider f on f.id = o.provider_id and f.deleted_at is null",
    },
    "product-category": {
        "parent_category": "select c.id, p.id from product_category c join product_category p on p.id = c.parent_category_id and p.deleted_at is null",
    },
    "product-metafield": {},
}


def links(medusa_v2_sql, sql: str) -> dict[str, set[str]]:
    found: dict[str, set[str]] = {}
    for key, target in medusa_v2_sql(sql):
        found.setdefault(str(key), set()).add(str(target))
    return found


def entries(strapi, spec) -> list[dict]:
    return list(strapi.iter_entries(spec.plural, fields=["medusa_id", *spec.fields],
                                    populate={rel.attribute: ["medusa_id"] for rel in spec.relations}))


def assert_v2_in_sync(source, strapi, mappings, medusa_v2_sql) -> dict[str, int]:
    """Every live row once in Strapi with equal values; every relation as the hand-written SQL says."""
    counts = {}
    for spec in mappings:
        found = entries(strapi, spec)
        ids = Counter(e["medusa_id"] for e in found)
        assert not [m for m, n in ids.items() if n > 1], f"{spec.content_type}: duplicates"
        records = {r.medusa_id: r for r in transform(medusa_rows(source, spec), spec)}
        assert set(ids) == set(records), (spec.content_type, sorted(set(records) ^ set(ids))[:5])
        by_id = {e["medusa_id"]: e for e in found}
        for mid, record in records.items():
            for attr, value in record.attributes.items():
                got = by_id[mid].get(attr)
                if isinstance(value, str) and got == json.dumps(value, ensure_ascii=False):
                    got = value  # Strapi reads a JSON string scalar back as its JSON text
                assert values_equal(value, got), (spec.content_type, mid, attr, value, got)
        for rel in spec.relations:
            sql = EXPECTED_LINKS.get(spec.content_type, {}).get(rel.attribute)
            if sql is None:
                assert spec.content_type == "product-metafield"
                continue
            want = links(medusa_v2_sql, sql)
            for mid, record in records.items():
                related = by_id[mid].get(rel.attribute)
                got = {e["medusa_id"] for e in related} if isinstance(related, list) else {related["medusa_id"]} if related else set()
                expected = want.get(str(record.key), set())
                if rel.to_one and len(expected) > 1:
                    expected = {min(expected)}
                assert got == expected, f"{spec.content_type} {mid}.{rel.attribute}: strapi {got} != medusa {expected}"
        counts[spec.content_type] = len(records)
    return counts


def test_full_sync_fills_every_v2_type_and_a_second_writes_nothing(source_v2, clean_strapi_v2, mappings_v2, medusa_v2_sql):
    first = sync_all(mappings_v2, source_v2, clean_strapi_v2)
    assert all(r.ok for r in first), [f for r in first for f in r.failures]
    counts = assert_v2_in_sync(source_v2, clean_strapi_v2, mappings_v2, medusa_v2_sql)
    assert all(counts[t] > 0 for t in mappings_v2.content_types), counts
    again = sync_all(mappings_v2, source_v2, clean_strapi_v2)
    assert all(r.writes == 0 and r.failed == 0 for r in again), [r.summary() for r in again if r.writes or r.failed]


def get(stack, plural: str, medusa_id: str) -> dict:
    response = requests.get(f"{stack['STRAPI_URL']}/api/{plural}", params={"filters[medusa_id][$eq]": medusa_id, "populate": "*"},
                            headers={"Authorization": f"Bearer {stack['STRAPI_API_TOKEN']}"}, timeout=10)
    response.raise_for_status()
    (entry,) = response.json()["data"]
    return entry


def test_v2_prices_options_inventory_and_rules_read_back_with_populate(source_v2, clean_strapi_v2, mappings_v2, medusa_v2_sql, stack_v2):
    sync_all(mappings_v2, source_v2, clean_strapi_v2)
    one = lambda sql, **p: medusa_v2_sql(sql, **p)[0]  # noqa: E731

    # every price has its variant, its amount in major units and its region or currency; price-list prices are absent
    prices = list(clean_strapi_v2.iter_entries("money-amounts", fields=["medusa_id", "amount"],
                                               populate={"product_variant": ["medusa_id"], "currency": ["medusa_id"], "region": ["medusa_id"]}))
    assert prices and all(p["product_variant"] and (p["currency"] or p["region"]) for p in prices)
    list_prices = {r[0] for r in medusa_v2_sql("select id from price where price_list_id is not null")}
    assert list_prices and not list_prices & {p["medusa_id"] for p in prices}
    shipping_prices = {r[0] for r in medusa_v2_sql("select p.id from price p join shipping_option_price_set s on s.price_set_id = p.price_set_id")}
    assert shipping_prices and not shipping_prices & {p["medusa_id"] for p in prices}
    price_id, amount = one("select p.id, p.amount from price p join product_variant_price_set l on l.price_set_id = p.price_set_id"
                           " and l.deleted_at is null where p.price_list_id is null and p.deleted_at is null and p.amount <> round(p.amount)"
                           " order by p.id limit 1")
    assert float(get(stack_v2, "money-amounts", price_id)["amount"]) == float(amount)  # 19.5 stays 19.5: major units
    region_price, region_id = one("select r.price_id, r.value from price_rule r where r.attribute = 'region_id' and r.deleted_at is null"
                                  " and exists (select 1 from price p join product_variant_price_set l on l.price_set_id = p.price_set_id"
                                  " where p.id = r.price_id and p.price_list_id is null and p.deleted_at is null and l.deleted_at is null)"
                                  " order by 1 limit 1")
    assert get(stack_v2, "money-amounts", region_price)["region"]["medusa_id"] == region_id

    # an option shared by two products
    option_id, product_count = one("select product_option_id, count(*) from product_product_option where deleted_at is null"
                                   " group by 1 having count(*) > 1 order by 1 limit 1")
    assert len(get(stack_v2, "product-options", option_id)["products"]) == product_count

    # stock summed over the two locations
    variant_id, stock = one("select l.variant_id, sum(v.stocked_quantity) from product_variant_inventory_item l join inventory_level v"
                            " on v.inventory_item_id = l.inventory_item_id and v.deleted_at is null where l.deleted_at is null"
                            " group by 1 having count(*) > 1 order by 1 limit 1")
    assert get(stack_v2, "product-variants", variant_id)["inventory_quantity"] == stock

    # the store's default currency is the store_currency row marked is_default, not the first one
    store_id, default = one("select store_id, currency_code from store_currency where is_default and deleted_at is null")
    assert default != one("select min(currency_code) from store_currency where deleted_at is null")[0]
    assert get(stack_v2, "stores", store_id)["default_currency"]["medusa_id"] == default

    # shipping options: rules as booleans, the return option is a return
    for option_id, is_return, enabled in medusa_v2_sql(
        "select o.id, (select value #>> '{}' from shipping_option_rule r where r.shipping_option_id = o.id and r.attribute = 'is_return'),"
        " (select value #>> '{}' from shipping_option_rule r where r.shipping_option_id = o.id and r.attribute = 'enabled_in_store')"
        " from shipping_option o where o.deleted_at is null"
    ):
        entry = get(stack_v2, "shipping-options", option_id)
        assert entry["is_return"] is (is_return == "true") and entry["admin_only"] is (enabled != "true")


AGE_EVERY_TIMESTAMP = """
do $$ declare t text; begin
  for t in select table_name from information_schema.columns where table_schema = 'public' and column_name = 'updated_at' loop
    execute format('with r as (select ctid, row_number() over () n from %I) update %I x set updated_at = x.updated_at'
                   ' - interval ''1 day'' - r.n * interval ''1 hour'' from r where x.ctid = r.ctid', t, t);
  end loop;
end $$"""


@pytest.fixture
def harness_v2(mappings_v2, medusa_v2_url, stack_v2, strapi_v2, source_v2, medusa_v2_sql, monkeypatch):
    medusa_v2_sql(AGE_EVERY_TIMESTAMP)  # the demo was seeded minutes ago: spread it out of the sensors' overlap
    reconcile_into(strapi_v2, mappings_v2, source_v2)  # records every type's watermark
    with DagsterInstance.ephemeral() as instance:
        harness = SensorHarness(mappings_v2, medusa_v2_url, stack_v2, instance, monkeypatch)
        harness.quiet()
        yield harness


FIELDS = {"money-amounts": ["amount"], "product-variants": ["inventory_quantity"]}


def entry(strapi, plural: str, medusa_id: str, **populate) -> dict | None:
    return strapi.find_by_medusa_ids(plural, [medusa_id], fields=["medusa_id", *FIELDS.get(plural, [])],
                                     populate={k: ["medusa_id"] for k in populate}).get(medusa_id)


def test_price_and_price_rule_changes_reach_strapi_through_the_sensor(harness_v2, medusa_v2_sql, strapi_v2):
    price_id = medusa_v2_sql("select r.price_id from price_rule r join price p on p.id = r.price_id join product_variant_price_set l"
                             " on l.price_set_id = p.price_set_id and l.deleted_at is null where r.attribute = 'region_id'"
                             " and r.deleted_at is null and p.price_list_id is null order by 1 limit 1")[0][0]
    medusa_v2_sql("update price set amount = 123.45, updated_at = now() where id = :id", id=price_id)
    assert harness_v2.tick_and_run()["money-amount"]["updated"] == 1
    assert float(entry(strapi_v2, "money-amounts", price_id)["amount"]) == 123.45

    # a price rule moves the price to another region: the price row itself does not change
    other = medusa_v2_sql("select id from region where id <> (select value from price_rule where price_id = :p"
                          " and attribute = 'region_id') order by id limit 1", p=price_id)[0][0]
    medusa_v2_sql("update price_rule set value = :r, updated_at = now() where price_id = :p and attribute = 'region_id'", r=other, p=price_id)
    assert harness_v2.tick_and_run()["money-amount"]["updated"] == 1
    assert entry(strapi_v2, "money-amounts", price_id, region=True)["region"]["medusa_id"] == other
    harness_v2.quiet()


def test_a_soft_deleted_price_set_link_removes_its_prices_through_the_sensor(harness_v2, medusa_v2_sql, strapi_v2):
    link_id, price_ids = medusa_v2_sql(
        "select l.id, array_agg(p.id) from product_variant_price_set l join price p on p.price_set_id = l.price_set_id"
        " and p.deleted_at is null and p.price_list_id is null where l.deleted_at is null group by 1 order by 1 limit 1")[0]
    assert all(entry(strapi_v2, "money-amounts", p) for p in price_ids)
    medusa_v2_sql("update product_variant_price_set set deleted_at = now(), updated_at = now() where id = :id", id=link_id)
    assert harness_v2.tick_and_run()["money-amount"]["deleted"] == len(price_ids)
    assert not any(entry(strapi_v2, "money-amounts", p) for p in price_ids)
    harness_v2.quiet()


def test_an_inventory_change_reaches_the_variant_through_the_sensor(harness_v2, medusa_v2_sql, strapi_v2):
    variant_id, level_id = medusa_v2_sql(
        "select l.variant_id, v.id from product_variant_inventory_item l join inventory_level v on v.inventory_item_id = l.inventory_item_id"
        " and v.deleted_at is null where l.deleted_at is null order by 1, 2 limit 1")[0]
    before = entry(strapi_v2, "product-variants", variant_id)["inventory_quantity"]
    medusa_v2_sql("update inventory_level set stocked_quantity = stocked_quantity + 5, updated_at = now() where id = :id", id=level_id)
    assert harness_v2.tick_and_run()["product-variant"]["updated"] == 1
    assert entry(strapi_v2, "product-variants", variant_id)["inventory_quantity"] == before + 5
    harness_v2.quiet()


def test_untimed_link_tables_are_followed_by_bucket(harness_v2, medusa_v2_sql, strapi_v2):
    """product_variant_option has no timestamps: a new row is found by its bucket's digest."""
    value_id, variant_id = medusa_v2_sql(
        "select v.id, pv.id from product_option_value v cross join product_variant pv where v.deleted_at is null and pv.deleted_at is null"
        " and not exists (select 1 from product_variant_option x where x.option_value_id = v.id and x.variant_id = pv.id) order by 1, 2 limit 1")[0]
    medusa_v2_sql("insert into product_variant_option (variant_id, option_value_id) values (:v, :o)", v=variant_id, o=value_id)
    counts = harness_v2.tick_and_run()["product-option-value"]
    assert counts["updated"] == 1 and counts["read"] < 8  # only the rows behind the changed bucket (of 18)
    linked = entry(strapi_v2, "product-option-values", value_id, product_variants=True)["product_variants"]
    assert variant_id in {e["medusa_id"] for e in linked}
    harness_v2.quiet()


def test_reconcile_and_plan_on_v2(source_v2, clean_strapi_v2, mappings_v2, medusa_v2_sql):
    sync_all(mappings_v2, source_v2, clean_strapi_v2)
    gone = medusa_v2_sql("select id from product_tag where deleted_at is null order by id limit 1")[0][0]
    medusa_v2_sql("delete from product_tags where product_tag_id = :id", id=gone)
    medusa_v2_sql("delete from product_tag where id = :id", id=gone)  # a hard delete: only a reconcile sees it
    (plan,) = sync_all(mappings_v2, source_v2, clean_strapi_v2, only=["product-tag"], delete_missing=True, dry_run=True)
    assert (plan.deleted, plan.samples["delete"]) == (1, [gone])
    assert gone in clean_strapi_v2.find_by_medusa_ids("product-tags", [gone])
    results = sync_all(mappings_v2, source_v2, clean_strapi_v2, delete_missing=True)
    assert {r.content_type: r.deleted for r in results if r.deleted} == {"product-tag": 1}
    assert_v2_in_sync(source_v2, clean_strapi_v2, mappings_v2, medusa_v2_sql)
    again = sync_all(mappings_v2, source_v2, clean_strapi_v2, delete_missing=True)
    assert sum(r.writes for r in again) == 0


def test_dagster_materializes_the_v2_set(mappings_v2, medusa_v2_url, stack_v2, clean_strapi_v2):
    with DagsterInstance.ephemeral() as instance:
        result = materialize(build_sync_assets(mappings_v2), instance=instance, resources={
            "medusa": MedusaDatabase(url=medusa_v2_url),
            "strapi": StrapiResource(url=stack_v2["STRAPI_URL"], api_token=stack_v2["STRAPI_API_TOKEN"])})
    assert result.success
    created = {e.asset_key: e.materialization.metadata["created"].value for e in result.get_asset_materialization_events()}
    assert created[strapi_key("money-amount")] > 0 and created[strapi_key("shipping-option")] > 0


def test_a_reconcile_refuses_to_delete_entries_of_another_medusa_unless_told(source_v2, clean_strapi_v2, mappings_v2):
    """Moving a Strapi from Medusa v1 to v2: every id changes, so a reconcile would delete every v1 entry."""
    for n in range(12):  # entries synced from a v1 Medusa (v1 ids, which v2 does not have)
        clean_strapi_v2.create("product-tags", {"medusa_id": f"ptag_v1_{n:02d}", "value": f"v1 tag {n}"})
    (refused,) = sync_all(mappings_v2, source_v2, clean_strapi_v2, only=["product-tag"], delete_missing=True)
    assert refused.deleted == 0 and "refusing to delete 12 of" in refused.failures[0].message
    assert "ptag_v1_00" in clean_strapi_v2.find_by_medusa_ids("product-tags", ["ptag_v1_00"])
    (allowed,) = sync_all(mappings_v2, source_v2, clean_strapi_v2, only=["product-tag"], delete_missing=True, allow_mass_delete=True)
    assert allowed.ok and allowed.deleted == 12
