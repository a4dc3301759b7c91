"""scripts/generate_catalog.py: the pure generator functions (no database)."""

from __future__ import annotations

import importlib.util
import random
import re
import sys
from collections import Counter
from datetime import datetime, timedelta, timezone
from pathlib import Path

import pytest

SCRIPT = Path(__file__).resolve().parents[2] / "scripts" / "generate_catalog.py"
ID = re.compile(r"^[a-z]+_[0-9A-HJKMNP-TV-Z]{26}$")


def _load():
    spec = importlib.util.spec_from_file_location("generate_catalog", SCRIPT)
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module  # dataclasses look their module up
    spec.loader.exec_module(module)
    return module


gc = _load()


def catalog(**overrides):
    base = dict(
        currencies=list(gc.CURRENCIES), region_by_currency={"eur": ["reg_A"], "usd": ["reg_B", "reg_C"]},
        collections=["pcol_1", "pcol_2"], types=["ptyp_1"], tags=[f"ptag_{i}" for i in range(30)],
        categories=["pcat_1", "pcat_2", "pcat_3"], statuses=["draft", "proposed", "published", "rejected"],
        default_profile="sp_default", gift_card_profile="sp_gift", custom_profile="sp_custom", sales_channel="sc_1",
    )
    return gc.Catalog(**{**base, **overrides})


def generate(seed=42, products=300, taken=None, batch=None):
    generator = gc.ProductGenerator(random.Random(seed), taken or gc.Taken(), catalog())
    batch = batch or products
    merged: dict[str, list] = {}
    for start in range(0, products, batch):
        for name, rows in generator.batch(start, min(batch, products - start)).items():
            merged.setdefault(name, []).extend(rows)
    return merged


# ---- ids ----------------------------------------------------------------------------------------------------

def test_crockford_encodes_fixed_width_without_ambiguous_letters():
    assert gc.crockford(0, 4) == "0000"
    assert gc.crockford(31, 2) == "0Z"
    assert gc.crockford(32, 2) == "10"
    assert not set(gc.CROCKFORD) & set("ILOU")
    with pytest.raises(ValueError):
        gc.crockford(32 ** 3, 2)


def test_make_id_has_medusa_format_and_encodes_the_time():
    rng = random.Random(1)
    when = datetime(2025, 3, 1, 12, 30, 15, 123456, tzinfo=timezone.utc)
    prefixes = ("prod", "variant", "pcol", "pcat", "ptyp", "ptag", "opt", "optval", "ma", "pvma", "reg", "so", "sp")
    for prefix in prefixes + ("img", "store"):
        value = gc.make_id(prefix, rng, when)
        assert ID.match(value) and value.startswith(prefix + "_"), value
    millis = int(when.timestamp() * 1000)
    assert gc.make_id("prod", rng, when)[5:15] == gc.crockford(millis, 10)
    earlier = gc.make_id("prod", rng, when - timedelta(days=1))
    assert earlier[5:15] < gc.make_id("prod", rng, when)[5:15]  # ULIDs sort by time


def test_make_id_is_deterministic_per_seed():
    when = datetime(2025, 1, 1, tzinfo=timezone.utc)
    first = [gc.make_id("prod", random.Random("42:0"), when) for _ in range(2)]
    assert first[0] == first[1]
    assert gc.make_id("prod", random.Random("42:1"), when) != first[0]  # the salt changes the ids
    rng = random.Random(7)
    assert len({gc.make_id("ma", rng, when) for _ in range(10_000)}) == 10_000


# ---- text, handles, time ------------------------------------------------------------------------------------

def test_slugify_folds_accents_and_drops_other_scripts():
    assert gc.slugify("Crème Brûlée — Déjà-vu!") == "creme-brulee-deja-vu"
    assert gc.slugify("木製 茶碗 🔥") == ""
    assert len(gc.slugify("x" * 500)) == 48


def test_make_handle_is_unique_and_respects_taken_values():
    rng = random.Random(3)
    taken = {"shirt"}
    handles = [gc.make_handle(rng, "Shirt", taken) for _ in range(2000)]
    assert len(set(handles)) == 2000
    assert all(re.fullmatch(r"shirt-[0-9a-z]{5}", h) for h in handles)
    assert taken >= set(handles) and "shirt" in taken
    assert gc.make_handle(rng, "茶碗", set(), "product").startswith("product-")


def test_stamps_keep_updated_at_after_created_at_with_some_shared_values():
    rng = random.Random(5)
    rows = [gc.stamps(rng) for _ in range(2000)]
    assert all(gc.START <= r["created_at"] <= r["updated_at"] <= gc.ANCHOR for r in rows)
    assert any(r["created_at"] == r["updated_at"] for r in rows)
    shared = Counter(r["updated_at"] for r in rows)
    assert shared.most_common(1)[0][1] > 1  # bulk edits
    assert any(r["created_at"].microsecond % 1000 for r in rows)  # microsecond precision
    assert max(r["created_at"] for r in rows) - min(r["created_at"] for r in rows) > timedelta(days=600)


def test_odd_values_occur():
    rng = random.Random(11)
    titles = [gc.product_title(rng) for _ in range(3000)]
    assert any(len(t) > 255 for t in titles)
    assert any(re.search(r"[\u0590-\u06ff]", t) for t in titles)  # right-to-left
    assert any(re.search(r"[\u3040-\u9fff]", t) for t in titles)  # CJK
    descriptions = [gc.description(rng) for _ in range(1000)]
    assert None in descriptions and "" in descriptions and any(d and len(d) > 2000 for d in descriptions)
    metas = [gc.metadata(rng) for _ in range(500)]
    assert None in metas and {} in metas
    assert any(isinstance(m, dict) and "ñandú" in m and m["ñandú"]["nested"]["empty"] == {} for m in metas)


# ---- reference builders -------------------------------------------------------------------------------------

def test_category_tree_has_three_levels_consistent_mpath_and_sibling_ranks():
    taken = {"apparel"}
    rows = gc.build_category_tree(random.Random(9), taken, root_rank=4)
    by_id = {r["id"]: r for r in rows}
    depth = max(r["mpath"].count(".") for r in rows)
    assert depth >= 3
    for r in rows:
        assert ID.match(r["id"]) and r["id"].startswith("pcat_")
        parent = by_id.get(r["parent_category_id"])
        assert r["mpath"] == (parent["mpath"] if parent else "") + r["id"] + "."
        assert r["rank"] >= 0 and r["description"] is not None
    assert sorted(r["rank"] for r in rows if r["parent_category_id"] is None) == [4, 5, 6]
    siblings = Counter((r["parent_category_id"], r["rank"]) for r in rows)
    assert max(siblings.values()) == 1
    assert len({r["handle"] for r in rows}) == len(rows) and "apparel" not in {r["handle"] for r in rows}


def test_tags_and_collections_have_a_few_soft_deleted_rows():
    rng = random.Random(2)
    tags = gc.build_tags(rng, 125)
    collections = gc.build_collections(rng, 25, set())
    for rows in (tags, collections):
        deleted = [r for r in rows if r["deleted_at"]]
        assert 1 <= len(deleted) <= len(rows) * 0.05
        assert all(r["deleted_at"] >= r["updated_at"] for r in deleted)


def test_shipping_options_use_every_price_type():
    rng = random.Random(4)
    regions = gc.build_regions(rng)
    rows = gc.build_shipping_options(rng, regions, ["sp_1"], ["flat_rate", "calculated"])
    assert {r["price_type"] for r in rows} == {"flat_rate", "calculated"}
    assert all(r["amount"] is None or r["amount"] >= 0 for r in rows)  # CHECK (amount >= 0)
    assert all(r["data"] for r in rows) and any(r["is_return"] for r in rows)


def test_assign_countries_never_assigns_a_country_twice():
    rows = gc.assign_countries(random.Random(1), list(range(10)), ["reg_a", "reg_b", "reg_c", "reg_d", "reg_e"])
    assert len({r["b_id"] for r in rows}) == len(rows) <= 10


# ---- products -----------------------------------------------------------------------------------------------

def test_generator_is_deterministic_and_independent_of_batch_size():
    assert generate(seed=42) == generate(seed=42)
    assert generate(seed=42, batch=7) == generate(seed=42)
    assert generate(seed=43)["product"][0]["id"] != generate(seed=42)["product"][0]["id"]


def test_generated_ids_match_medusa_format_and_are_unique():
    rows = generate()
    prefixes = {"product": "prod", "product_variant": "variant", "product_option": "opt",
                "product_option_value": "optval",
                "money_amount": "ma", "product_variant_money_amount": "pvma", "image": "img"}
    for table, prefix in prefixes.items():
        ids = [r["id"] for r in rows[table]]
        assert ids and len(set(ids)) == len(ids)
        assert all(ID.match(i) and i.startswith(prefix + "_") for i in ids), table


def test_handles_and_skus_are_unique_among_live_rows():
    taken = gc.Taken(product_handles={"classic-shirt"}, skus={"SKU-000001-AAAA"})
    rows = generate(products=1000, taken=taken)
    live_handles = [p["handle"] for p in rows["product"] if p["deleted_at"] is None]
    assert len(live_handles) == len(set(live_handles)) and "classic-shirt" not in live_handles
    assert all(p["handle"] for p in rows["product"])
    live_skus = [v["sku"] for v in rows["product_variant"] if v["deleted_at"] is None and v["sku"]]
    assert len(live_skus) == len(set(live_skus))
    for column in ("barcode", "ean", "upc"):
        values = [v[column] for v in rows["product_variant"] if v["deleted_at"] is None and v[column]]
        assert len(values) == len(set(values))
    assert any(v["sku"] is None for v in rows["product_variant"])


def test_products_have_about_three_variants_and_prices_and_one_value_per_option():
    rows = generate(products=1000)
    products, variants = rows["product"], rows["product_variant"]
    assert 2.6 <= len(variants) / len(products) <= 3.4
    assert 2.6 <= len(rows["money_amount"]) / len(variants) <= 3.4
    options_of = Counter(o["product_id"] for o in rows["product_option"])
    variant_product = {v["id"]: v["product_id"] for v in variants}
    values_of = Counter(v["variant_id"] for v in rows["product_option_value"])
    assert all(values_of[v["id"]] == options_of[v["product_id"]] for v in variants)
    option_product = {o["id"]: o["product_id"] for o in rows["product_option"]}
    for value in rows["product_option_value"]:
        assert option_product[value["option_id"]] == variant_product[value["variant_id"]]
    combos = Counter((v["product_id"], v["title"]) for v in variants)
    assert max(combos.values()) == 1
    linked = {p["money_amount_id"] for p in rows["product_variant_money_amount"]}
    assert {m["id"] for m in rows["money_amount"]} == linked
    regional = [m for m in rows["money_amount"] if m["region_id"]]
    assert regional and all(m["region_id"] in catalog().region_by_currency[m["currency_code"]] for m in regional)


def test_soft_deletes_timestamps_nulls_and_shared_tags():
    rows = generate(products=1000)
    products, variants = rows["product"], rows["product_variant"]
    deleted = [p for p in products if p["deleted_at"]]
    assert 0.01 <= len(deleted) / len(products) <= 0.02
    deleted_products = {p["id"] for p in deleted}
    assert any(v["deleted_at"] and v["product_id"] not in deleted_products for v in variants)
    for table in ("product", "product_variant", "money_amount", "image", "product_option"):
        assert all(r["updated_at"] >= r["created_at"] for r in rows[table])
        assert all(r["deleted_at"] is None or r["deleted_at"] >= r["created_at"] for r in rows[table])
    for column in ("subtitle", "description", "collection_id", "type_id", "weight", "thumbnail"):
        assert any(p[column] is None for p in products) and any(p[column] is not None for p in products), column
    tag_use = Counter(t["product_tag_id"] for t in rows["product_tags"])
    assert tag_use.most_common(1)[0][1] >= 2
    assert len({(t["product_id"], t["product_tag_id"]) for t in rows["product_tags"]}) == len(rows["product_tags"])
    assert {p["status"] for p in products} == {"draft", "proposed", "published", "rejected"}


def test_parse_args_defaults_and_validation():
    args = gc.parse_args(["--database-url", "postgresql://x/y"])
    assert (args.products, args.seed, args.batch, args.salt) == (1000, 42, 1000, None)
    with pytest.raises(SystemExit):
        gc.parse_args(["--database-url", "postgresql://x/y", "--batch", "0"])
    with pytest.raises(SystemExit):
        gc.parse_args([])
