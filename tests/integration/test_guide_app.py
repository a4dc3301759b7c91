"""Into content types someone else designed: the four of Medusa's official Strapi integration guide, run as the guide
made them (tests/strapi_apps/medusa-guide, keyed by `medusaId`, `handle` a uid, `description` rich text), from
Medusa v2 through mappings/medusa-v2-guide. The stack runs that app's content types unchanged, with the sync's own
types added (`STRAPI_APP=… scripts/stack up`)."""

from __future__ import annotations

import hashlib
from pathlib import Path

import pytest
import sqlalchemy as sa

from pipelines.mapping import load_mappings
from pipelines.medusa.source import MedusaSource
from pipelines.settings import REPO_MAPPINGS_DIR, WritePaths
from pipelines.strapi.client import StrapiClient
from pipelines.sync.run import sync_all

from .conftest import database_copy, empty, sql_reader
from .test_cli import run_cli

GUIDE_APP = Path(__file__).resolve().parents[1] / "strapi_apps" / "medusa-guide"
GUIDE_MAPPINGS = REPO_MAPPINGS_DIR / "medusa-v2-guide"
GUIDE_TYPES = ("product", "product-variant", "product-option", "product-option-value")


@pytest.fixture(scope="module")
def guide_mappings():
    return load_mappings(GUIDE_MAPPINGS)


@pytest.fixture
def guide_source(stack_guide):
    with database_copy(stack_guide["MEDUSA_DATABASE_URL"], "t") as url:
        source = MedusaSource(url)
        yield source
        source.dispose()


@pytest.fixture
def guide_strapi(stack_guide, guide_mappings):
    client = StrapiClient(stack_guide["STRAPI_URL"], stack_guide["STRAPI_API_TOKEN"])
    yield empty(client, guide_mappings)
    client.close()


def sync(mappings, source, strapi, path="bulk", **options):
    results = sync_all(mappings, source, strapi, write_paths=WritePaths(full=path, changes=path), **options)
    assert all(r.ok for r in results), [f for r in results for f in r.failures]
    return {r.content_type: r for r in results}


def live(source: MedusaSource, sql: str) -> list[tuple]:
    with source.engine.connect() as conn:
        return [tuple(row) for row in conn.execute(sa.text(sql))]


def by_key(strapi: StrapiClient, plural: str, fields=(), populate=None) -> dict[str, dict]:
    return {e["medusaId"]: e for e in strapi.iter_entries(plural, fields=["medusaId", *fields], populate=populate)}


def test_the_guides_content_types_run_as_the_guide_made_them(stack_guide):
    """The stack ran the app's schema files unchanged: its copy holds the same bytes, and nothing was written into
    the app folder."""
    copies = list(Path(__file__).resolve().parents[2].glob(".stack*guide*/strapi-app/src/api"))
    assert copies, "the guide stack's app folder"
    for name in GUIDE_TYPES:
        schema = GUIDE_APP / "src" / "api" / name / "content-types" / name / "schema.json"
        digest = hashlib.sha256(schema.read_bytes()).hexdigest()
        assert any(hashlib.sha256((c / name / "content-types" / name / "schema.json").read_bytes()).hexdigest() == digest
                   for c in copies)
    assert sorted(p.name for p in (GUIDE_APP / "src" / "api").iterdir()) == sorted(GUIDE_TYPES)


def test_validate_passes_for_the_guide_set(stack_guide):
    env = {**stack_guide, "MAPPINGS_DIR": str(GUIDE_MAPPINGS)}
    result = run_cli("validate", env=env)
    assert result.returncode == 0, result.stdout + result.stderr
    assert "strapi: ok" in result.stdout


@pytest.mark.parametrize("path", ["bulk", "rest"])
def test_a_sync_fills_the_guides_types_and_links_them_as_its_relations_say(guide_mappings, guide_source, guide_strapi, path):
    counts = sync(guide_mappings, guide_source, guide_strapi, path)
    assert all(counts[t].failed == 0 and counts[t].created > 0 for t in GUIDE_TYPES)

    products = live(guide_source, "select id, title, subtitle, description, handle from product where deleted_at is null")
    entries = by_key(guide_strapi, "products", ["title", "subtitle", "description", "handle"],
                     {"variants": ["medusaId"], "options": ["medusaId"]})
    assert set(entries) == {p[0] for p in products}
    for pid, title, subtitle, description, handle in products:
        entry = entries[pid]
        assert (entry["title"], entry["subtitle"], entry["description"], entry["handle"]) == (title, subtitle, description, handle)

    # product -> variants (one-to-many, the variant's side written), product <-> options (many-to-many)
    variants = live(guide_source, "select id, product_id from product_variant where deleted_at is null")
    for pid, entry in entries.items():
        assert sorted(v["medusaId"] for v in entry["variants"]) == sorted(v for v, p in variants if p == pid)
    linked = live(guide_source, "select product_id, product_option_id from product_product_option where deleted_at is null")
    for pid, entry in entries.items():
        assert sorted(o["medusaId"] for o in entry["options"]) == sorted(o for p, o in linked if p == pid)
    options = by_key(guide_strapi, "product-options", ["title"], {"products": ["medusaId"], "values": ["medusaId"]})
    assert all(sorted(p["medusaId"] for p in o["products"]) == sorted(p for p, oid in linked if oid == key)
               for key, o in options.items())

    # option -> values (one-to-many), variant <-> option values (many-to-many), both sides
    values = live(guide_source, "select id, option_id from product_option_value where deleted_at is null")
    for key, option in options.items():
        assert sorted(v["medusaId"] for v in option["values"]) == sorted(v for v, o in values if o == key)
    chosen = live(guide_source, "select variant_id, option_value_id from product_variant_option")
    value_entries = by_key(guide_strapi, "product-option-values", ["value"], {"variants": ["medusaId"], "option": ["medusaId"]})
    variant_entries = by_key(guide_strapi, "product-variants", ["title", "sku"], {"option_values": ["medusaId"], "product": ["medusaId"]})
    for key, variant in variant_entries.items():
        assert sorted(v["medusaId"] for v in variant["option_values"]) == sorted(v for vid, v in chosen if vid == key)
    live_variants = set(variant_entries)
    for key, value in value_entries.items():
        assert sorted(v["medusaId"] for v in value["variants"]) == sorted(vid for vid, v in chosen if v == key and vid in live_variants)

    again = sync(guide_mappings, guide_source, guide_strapi, path)
    assert sum(r.writes for r in again.values()) == 0  # a second sync writes nothing


def test_a_reconcile_after_a_soft_delete_removes_what_it_should(guide_mappings, guide_source, guide_strapi):
    sync(guide_mappings, guide_source, guide_strapi)
    ((product_id,),) = live(guide_source, "select id from product where deleted_at is null order by id limit 1")
    ((value_id,),) = live(guide_source, "select id from product_option_value where deleted_at is null order by id limit 1")
    with guide_source.engine.begin() as conn:
        conn.execute(sa.text("update product set deleted_at = now() where id = :id"), {"id": product_id})
        conn.execute(sa.text("update product_option_value set deleted_at = now() where id = :id"), {"id": value_id})
    results = sync(guide_mappings, guide_source, guide_strapi, delete_missing=True)
    assert results["product"].deleted == 1 and results["product-option-value"].deleted == 1
    assert product_id not in by_key(guide_strapi, "products") and value_id not in by_key(guide_strapi, "product-option-values")
    again = sync(guide_mappings, guide_source, guide_strapi, delete_missing=True)
    assert sum(r.writes for r in again.values()) == 0


def test_the_guides_locale_string_is_never_touched(guide_mappings, guide_source, guide_strapi, stack_guide):
    """An attribute the mapping does not name stays as Strapi leaves it: the guide's own `locale` string gets the
    same value from a bulk write as from REST."""
    run, engine = sql_reader(stack_guide["STRAPI_DATABASE_URL"])
    try:
        sync(guide_mappings, guide_source, guide_strapi, "bulk")
        bulk = set(run("select distinct locale from products"))
        empty(guide_strapi, guide_mappings)
        sync(guide_mappings, guide_source, guide_strapi, "rest")
        rest = set(run("select distinct locale from products"))
    finally:
        engine.dispose()
    assert bulk == rest
