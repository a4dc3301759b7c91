"""scripts/generate_catalog.py against a private copy of the migrated Medusa database."""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

SCRIPT = Path(__file__).resolve().parents[2] / "scripts" / "generate_catalog.py"
ID = re.compile(r"^[a-z]+_[0-9A-HJKMNP-TV-Z]{26}$")
SUMMARY_LINE = re.compile(r"^([a-z_]+)\s+(\d+)\s+(\d+)$")

#: Tables with an `id` column whose new rows must carry Medusa-style ids.
ID_TABLES = (
    "product", "product_variant", "product_collection", "product_category", "product_type", "product_tag",
    "product_option", "product_option_value", "money_amount", "product_variant_money_amount", "region",
    "shipping_option", "shipping_profile", "image", "store",
)
#: Tables that must gain rows on every run into the demo database.
GROWING_TABLES = (
    "product", "product_variant", "product_collection", "product_category", "product_category_product",
    "product_type", "product_tag", "product_tags", "product_option", "product_option_value", "money_amount",
    "product_variant_money_amount", "region", "region_payment_providers", "region_fulfillment_providers",
    "shipping_option", "shipping_profile", "store_currencies", "image", "product_images",
)
#: Tables the generator reuses (inserting only what is missing) or updates.
REUSED_TABLES = ("country", "currency", "payment_provider", "fulfillment_provider", "store")
#: Also filled (Medusa links products to a sales channel and a shipping profile).
OTHER_TABLES = ("sales_channel", "product_sales_channel", "product_shipping_profile")


def run(url: str, *args: str) -> subprocess.CompletedProcess:
    command = [sys.executable, str(SCRIPT), "--database-url", url, *args]
    return subprocess.run(command, capture_output=True, text=True, timeout=300)


def summary(stdout: str) -> dict[str, tuple[int, int]]:
    """{table: (added, total)} from the printed summary."""
    return {m[1]: (int(m[2]), int(m[3])) for m in map(SUMMARY_LINE.match, stdout.splitlines()) if m}


def counts(medusa_sql, tables) -> dict[str, int]:
    return {t: medusa_sql(f"select count(*) from {t}")[0][0] for t in tables}


def ids(medusa_sql, table: str) -> set[str]:
    return {r[0] for r in medusa_sql(f"select id from {table}")}


def count_new(medusa_sql, table: str, ids_: set[str], condition: str) -> int:
    """How many of the rows `ids_` of `table` satisfy the SQL `condition`."""
    return medusa_sql(f"select count(*) from {table} where id = any(:i) and ({condition})", i=sorted(ids_))[0][0]


def test_generates_a_valid_catalog(medusa_url, medusa_sql):
    before_ids = {t: ids(medusa_sql, t) for t in ID_TABLES}
    before = counts(medusa_sql, GROWING_TABLES + REUSED_TABLES + OTHER_TABLES)

    result = run(medusa_url, "--products", "200", "--seed", "7", "--batch", "64")
    assert result.returncode == 0, result.stderr
    assert "products 200/200" in result.stderr and "elapsed:" in result.stdout

    printed = summary(result.stdout)
    after = counts(medusa_sql, printed)
    assert set(printed) == set(before)
    for table, (added, total) in printed.items():
        assert (added, total) == (after[table] - before[table], after[table]), table
    for table in GROWING_TABLES:
        assert printed[table][0] > 0, f"{table} gained no rows"
    assert printed["product"][0] == 200

    new = {t: ids(medusa_sql, t) - before_ids[t] for t in ID_TABLES}
    for table, values in new.items():
        bad = [v for v in values if not ID.match(v)]
        assert not bad, f"{table}: {bad[:3]}"
    new_regions = sorted(new["region"])
    assert medusa_sql("select count(*) from country where region_id = any(:r)", r=new_regions)[0][0] > 0
    linked = medusa_sql("select count(*) from region_payment_providers where region_id = any(:r)", r=new_regions)
    assert linked[0][0] == len(new_regions)

    # the category tree: >= 3 levels; parent_category_id has no FK in Medusa's schema, so check it here
    cats = {r[0]: (r[1], r[2]) for r in medusa_sql("select id, parent_category_id, mpath from product_category")}
    depth = {}
    for cid in new["product_category"]:
        level, node = 0, cid
        while node is not None:
            assert node in cats, f"{cid}: missing ancestor {node}"
            level, node = level + 1, cats[node][0]
        depth[cid] = level
        parent = cats[cid][0]
        assert cats[cid][1] == (cats[parent][1] if parent else "") + cid + "."
    assert max(depth.values()) >= 3

    # product_variant_money_amount has no FKs either
    orphans = medusa_sql("""
        select count(*) from product_variant_money_amount pvma
        left join money_amount ma on ma.id = pvma.money_amount_id left join product_variant v on v.id = pvma.variant_id
        where ma.id is null or v.id is null""")
    assert orphans[0][0] == 0

    shared = medusa_sql("""select product_tag_id from product_tags where product_tag_id = any(:t)
                           group by product_tag_id having count(*) >= 2""", t=sorted(new["product_tag"]))
    assert shared
    for table in ("product", "product_variant", "product_tag", "product_collection"):
        assert count_new(medusa_sql, table, new[table], "deleted_at is not null") >= 1, f"no soft-deleted {table}"
    for table in ("product", "product_variant", "money_amount", "product_category", "image", "region"):
        assert count_new(medusa_sql, table, new[table], "updated_at < created_at") == 0, table
    for condition in ("length(title) > 255", "length(description) > 2000", "description is null",
                      "metadata = '{}'::jsonb", "metadata is null", "title ~ '[\u0590-\u06ff]'"):
        assert count_new(medusa_sql, "product", new["product"], condition) > 0, condition
    assert count_new(medusa_sql, "product", new["product"], "metadata = 'null'::jsonb") == 0  # SQL NULL, not JSON null
    assert count_new(medusa_sql, "money_amount", new["money_amount"], "region_id is not null") > 0
    query = "select count(distinct currency_code) from money_amount where id = any(:i)"
    currencies = medusa_sql(query, i=sorted(new["money_amount"]))
    assert currencies[0][0] >= 3
    query = "select distinct price_type::text from shipping_option where id = any(:i)"
    types = medusa_sql(query, i=sorted(new["shipping_option"]))
    assert {r[0] for r in types} == {"flat_rate", "calculated"}


def test_a_second_run_into_the_same_database_does_not_clash(medusa_url, medusa_sql):
    first = run(medusa_url, "--products", "40")
    second = run(medusa_url, "--products", "40")
    assert first.returncode == 0 and second.returncode == 0, first.stderr + second.stderr
    assert "salt 12:" in first.stderr and "salt 52:" in second.stderr
    assert summary(second.stdout)["product"] == (40, 92)


def test_missing_store_providers_and_currencies_are_created(medusa_url, medusa_sql):
    medusa_sql("delete from store_currencies")
    medusa_sql("delete from store")
    medusa_sql("delete from shipping_option_requirement")
    medusa_sql("delete from shipping_option")
    medusa_sql("delete from region_payment_providers")
    medusa_sql("delete from region_fulfillment_providers")
    medusa_sql("delete from payment_provider")
    medusa_sql("delete from fulfillment_provider")
    medusa_sql("delete from currency where code = 'ils'")

    result = run(medusa_url, "--products", "20")
    assert result.returncode == 0, result.stderr
    printed = summary(result.stdout)
    for table in ("store", "payment_provider", "fulfillment_provider"):
        assert printed[table] == (1, 1), table
    assert printed["currency"][0] == 1
    store = medusa_sql("select id, default_currency_code from store")
    assert ID.match(store[0][0]) and store[0][0].startswith("store_")
    codes = {r[0] for r in medusa_sql("select currency_code from store_currencies where store_id = :s", s=store[0][0])}
    assert {"usd", "eur", "ils", store[0][1]} <= codes


def test_a_failure_leaves_nothing_behind(medusa_url, medusa_sql):
    before = counts(medusa_sql, ("product", "region", "product_category", "currency"))
    medusa_sql("alter table money_amount add constraint test_only_cheap check (amount < 5000) not valid")
    result = run(medusa_url, "--products", "50")
    assert result.returncode == 1
    assert "nothing was written" in result.stderr and "test_only_cheap" in result.stderr
    assert counts(medusa_sql, before) == before


def test_unmigrated_database_is_a_clear_error(medusa_url, medusa_sql):
    medusa_sql("alter table product rename to product_renamed")
    result = run(medusa_url, "--products", "5")
    assert result.returncode == 1
    assert "not a migrated Medusa v1 database" in result.stderr and "product" in result.stderr
    assert "Traceback" not in result.stderr
