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
from pipelines.settings import SHIPPED_MAPPINGS_DIR, WritePaths
from pipelines.strapi.client import StrapiClient
from pipelines.sync.run import sync_all

from .conftest import database_copy, empty, sql_reader
from .test_cli import run_cli

GUIDE_APP = Path(__file__).resolve().parents[1] / "strapi_apps" / "medusa-guide"
GUIDE_MAPPINGS = SHIPPED_MAPPINGS_DIR / "medusa-v2-guide"
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


def test_validate_passes_for_the_guide_set_and_names_the_keys_without_a_database_index(stack_guide):
    """The guide declares each key `unique: true` alone, which no database index holds. The stack gives product's
    one through the plugin's `uniqueKeys` (BULK_UPSERT_UNIQUE_KEYS); validate warns of the three others."""
    env = {**stack_guide, "MAPPINGS_DIR": str(GUIDE_MAPPINGS)}
    result = run_cli("validate", env=env)
    assert result.returncode == 0, result.stdout + result.stderr
    assert "strapi: ok" in result.stdout
    warned = {line.split()[1] for line in result.stdout.splitlines() if line.startswith("warning:")}
    assert warned == {f"api::{t}.{t}.medusaId" for t in ("product-option", "product-option-value", "product-variant")}
    assert "--index-only" in result.stdout and "uniqueKeys" in result.stdout
    run, engine = sql_reader(stack_guide["STRAPI_DATABASE_URL"])
    try:
        assert run("select indexname from pg_indexes where tablename = 'products' and indexdef like 'CREATE UNIQUE%(medusa_id)'") == [
            ("products_medusa_id_key_uq",)]
    finally:
        engine.dispose()


def test_index_only_writes_a_migration_that_gives_each_key_its_unique_index(stack_guide, tmp_path):
    """`strapi-schema --app DIR --index-only` writes a database migration into a copy of the guide's app; run as
    Strapi runs it (knex, on Postgres), it indexes the keys of the tables that exist, again without harm, and a
    table holding a key twice keeps its rows."""
    import shutil
    import subprocess

    from throwaway_db import empty_database

    app = tmp_path / "app"
    shutil.copytree(GUIDE_APP, app)
    made = run_cli("strapi-schema", "--app", str(app), "--index-only", "--mappings", str(GUIDE_MAPPINGS), env={})
    assert made.returncode == 0, made.stdout + made.stderr
    (migration,) = (app / "database" / "migrations").glob("medusa-sync-unique-keys-*.js")
    assert run_cli("strapi-schema", "--app", str(app), "--index-only", "--check", "--mappings", str(GUIDE_MAPPINGS), env={}).returncode == 0
    for schema in GUIDE_APP.rglob("schema.json"):  # nothing changed in the app's schema files
        assert (app / schema.relative_to(GUIDE_APP)).read_bytes() == schema.read_bytes()

    knex = Path(__file__).resolve().parents[2] / "strapi" / "node_modules" / "knex"
    with empty_database(stack_guide["STRAPI_DATABASE_URL"], "idx") as url:
        engine = sa.create_engine(url.replace("postgresql://", "postgresql+psycopg://", 1))
        with engine.begin() as conn:
            conn.execute(sa.text("create table products (id serial primary key, medusa_id varchar(255))"))
            conn.execute(sa.text("create table product_variants (id serial primary key, medusa_id varchar(255))"))
            conn.execute(sa.text("insert into product_variants (medusa_id) values ('v1'), ('v1')"))  # a key held twice
        script = (f"const knex = require({str(knex)!r})({{client: 'pg', connection: {url!r}}});"
                  f"require({str(migration)!r}).up(knex).then(() => {{ console.log('done'); return knex.destroy(); }})"
                  ".catch((e) => { console.log('failed: ' + e.message); return knex.destroy(); });")
        ran = subprocess.run(["node", "-e", script], capture_output=True, text=True, timeout=60)
        assert "failed: " in ran.stdout and "product_variants_medusa_id_key_uq" in ran.stdout, ran.stdout + ran.stderr
        with engine.begin() as conn:
            conn.execute(sa.text("delete from product_variants where id = 2"))
        for _ in range(2):  # once the duplicate is gone, and again without harm
            ran = subprocess.run(["node", "-e", script], capture_output=True, text=True, timeout=60)
            assert ran.stdout.strip() == "done", ran.stdout + ran.stderr
        with engine.connect() as conn:
            names = {r[0] for r in conn.execute(sa.text("select indexname from pg_indexes where indexname like '%key_uq'"))}
        engine.dispose()
    assert names == {"products_medusa_id_key_uq", "product_variants_medusa_id_key_uq"}  # the other tables do not exist


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


# -- media: the guide's images (several files, in order) and thumbnail (one file), from Medusa's rows -----------------

@pytest.fixture
def image_server():
    from tests.support.image_server import ImageServer

    with ImageServer() as server:
        yield server


@pytest.fixture
def guide_media_strapi(guide_strapi):
    """The guide Strapi emptied, with no file in its media library and no media record."""
    from pipelines.media.plan import RECORDS

    for entry in list(guide_strapi.iter_entries(RECORDS, fields=["key"])):
        guide_strapi.delete(RECORDS, entry["documentId"])
    for file in guide_strapi.request("GET", "/api/upload/files") or []:
        guide_strapi.request("DELETE", f"/api/upload/files/{file['id']}")
    return guide_strapi


def serve(server, source: MedusaSource, variant_images: int = 2) -> dict[str, str]:
    """Every live image row served by `server`, each its own picture; each product's thumbnail the URL of its first
    image, as Medusa's admin sets it (a picture of its own for a product without images); the first variants given
    the images of their product and a thumbnail. Returns path -> URL."""
    from tests.support.image_server import png

    urls = {}
    with source.engine.begin() as conn:
        for i, (image_id,) in enumerate(conn.execute(sa.text("select id from image where deleted_at is null order by id"))):
            path = f"/guide/image-{i}.png"
            urls[path] = server.image(path, png(30 + i, 20, (i, 80, 160)))
            conn.execute(sa.text("update image set url = :url where id = :id"), {"url": urls[path], "id": image_id})
        products = conn.execute(sa.text(
            "select p.id, (select i.url from image i where i.product_id = p.id and i.deleted_at is null order by i.rank, i.id "
            "limit 1) from product p where p.deleted_at is null order by p.id")).fetchall()
        for i, (product_id, first_image) in enumerate(products):
            thumbnail = first_image or server.image(f"/guide/thumb-{i}.png", png(10 + i, 10, (200, i, 0)))
            urls.setdefault(thumbnail[len(server.base):], thumbnail)
            conn.execute(sa.text("update product set thumbnail = :url where id = :id"), {"url": thumbnail, "id": product_id})
        variants = conn.execute(sa.text(
            "select v.id, v.product_id from product_variant v where v.deleted_at is null and exists "
            "(select 1 from image i where i.product_id = v.product_id and i.deleted_at is null) order by v.id limit :n"),
            {"n": variant_images}).fetchall()
        for variant_id, product_id in variants:
            conn.execute(sa.text(
                "insert into product_variant_product_image (id, variant_id, image_id) "
                "select 'pvpi_' || :v || '_' || i.id, :v, i.id from image i where i.product_id = :p and i.deleted_at is null"),
                {"v": variant_id, "p": product_id})
            conn.execute(sa.text("update product_variant set thumbnail = (select thumbnail from product where id = :p) "
                                 "where id = :id"), {"p": product_id, "id": variant_id})
    return urls


def media_sync(mappings, source, strapi, **options):
    import ipaddress

    from pipelines.settings import MediaSettings

    allowed = MediaSettings(allowed_hosts=frozenset({"127.0.0.1"}), allowed_networks=(ipaddress.ip_network("127.0.0.1/32"),),
                            max_bytes=200_000)
    return sync(mappings, source, strapi, media=allowed, **options)


def files_of(strapi: StrapiClient, plural: str) -> dict[str, tuple[list[str], str | None]]:
    """Entries by medusaId: their images' and thumbnail's source URLs (through the sync's records of the files)."""
    from pipelines.media.plan import RECORDS

    source_of = {int(r["file_id"]): r["source_url"] for r in strapi.iter_entries(RECORDS, fields=["file_id", "source_url"])}
    entries = strapi.iter_entries(plural, fields=["medusaId"], populate={"images": ["id"], "thumbnail": ["id"]})
    return {e["medusaId"]: ([source_of.get(f["id"]) for f in e.get("images") or []],
                            source_of.get(e["thumbnail"]["id"]) if e.get("thumbnail") else None) for e in entries}


def image_order(source: MedusaSource, product_id: str) -> tuple[list[str], list[str]]:
    """A product's live image ids and URLs, in rank order."""
    rows = live(source, f"select id, url from image where product_id = '{product_id}' and deleted_at is null order by rank, id")
    return [r[0] for r in rows], [r[1] for r in rows]


def test_images_in_their_order_and_the_thumbnail_land_in_the_media_library_once_per_content(
        guide_mappings, guide_source, guide_media_strapi, image_server):
    serve(image_server, guide_source)
    first = media_sync(guide_mappings, guide_source, guide_media_strapi)
    assert first["product"].media["uploaded"] >= 1 and first["product"].failed == 0

    images = live(guide_source, "select product_id, url from image where deleted_at is null order by product_id, rank, id")
    thumbs = dict(live(guide_source, "select id, thumbnail from product where deleted_at is null"))
    held = files_of(guide_media_strapi, "products")
    for product_id, (linked, thumbnail) in held.items():
        assert linked == [url for pid, url in images if pid == product_id]  # in rank order
        assert thumbnail == thumbs[product_id]
    chosen = live(guide_source, "select pvpi.variant_id, i.url from product_variant_product_image pvpi join image i "
                                "on i.id = pvpi.image_id order by pvpi.variant_id, i.rank, i.id")
    variant_files = files_of(guide_media_strapi, "product-variants")
    assert chosen and all(variant_files[v][0] == [u for vid, u in chosen if vid == v] for v in {v for v, _ in chosen})
    # a thumbnail is its product's first image, and a variant's images are its product's: each picture is one file,
    # uploaded once (the other entries holding it reuse it)
    linked = {url for files in (held, variant_files) for urls, thumb in files.values() for url in [*urls, thumb] if url}
    assert len(guide_media_strapi.request("GET", "/api/upload/files") or []) == len(linked)
    assert sum(r.media.get("uploaded", 0) for r in first.values()) == len(linked)

    again = media_sync(guide_mappings, guide_source, guide_media_strapi)
    assert all(not r.media.get("uploaded") and not r.media.get("linked") for r in again.values())
    assert sum(r.writes for r in again.values()) == 0


def test_a_reordered_added_or_removed_image_costs_only_itself(guide_mappings, guide_source, guide_media_strapi, image_server):
    from tests.support.image_server import png

    serve(image_server, guide_source, variant_images=0)
    media_sync(guide_mappings, guide_source, guide_media_strapi)
    ((product_id, count),) = live(guide_source, "select product_id, count(*) from image where deleted_at is null "
                                                "group by product_id order by count(*) desc, product_id limit 1")
    assert count >= 2
    with guide_source.engine.begin() as conn:
        conn.execute(sa.text("update image set rank = -rank, updated_at = now() where product_id = :p"), {"p": product_id})
        image_server.image("/guide/new.png", png(77, 7, (1, 2, 3)))
        conn.execute(sa.text("insert into image (id, url, rank, product_id) values ('img_new', :u, 99, :p)"),
                     {"u": image_server.url("/guide/new.png"), "p": product_id})
        conn.execute(sa.text("update product set updated_at = now() where id = :p"), {"p": product_id})
    before = len(image_server.requests)
    result = media_sync(guide_mappings, guide_source, guide_media_strapi, changes=True)
    assert result["product"].media.get("uploaded") == 1 and image_server.requests[before:] == [("GET", "/guide/new.png")]
    assert files_of(guide_media_strapi, "products")[product_id][0] == image_order(guide_source, product_id)[1]

    with guide_source.engine.begin() as conn:
        conn.execute(sa.text("update image set deleted_at = now() where id = 'img_new'"))
        conn.execute(sa.text("update product set updated_at = now() where id = :p"), {"p": product_id})
    result = media_sync(guide_mappings, guide_source, guide_media_strapi, changes=True)
    assert result["product"].media.get("removed") == 1
    assert files_of(guide_media_strapi, "products")[product_id][0] == image_order(guide_source, product_id)[1]
    names = {f["name"] for f in guide_media_strapi.request("GET", "/api/upload/files") or []}
    assert not any(name.startswith("new-") for name in names)  # no record holds it any more: released


# -- medusa-strapi init: the guide's types and the v2 database scaffold a set that validates ------------------------

def test_init_scaffolds_a_set_that_validates_and_says_what_is_left(stack_guide, tmp_path):
    out = tmp_path / "mappings"
    env = {**stack_guide}
    made = run_cli("init", "--strapi-app", str(GUIDE_APP), "--out", str(out), env=env)
    assert made.returncode == 0, made.stdout + made.stderr
    assert "medusa: v2" in made.stdout and f"validate: ok for 4 mapping(s) in {out}" in made.stdout
    assert "left to decide" in made.stdout and "locale: not matched" in made.stdout
    assert "strapi-schema --app" in made.stdout and "--system-only" in made.stdout  # the app lacks the sync's own types
    assert {p.name for p in out.glob("*.yaml")} == {f"{t}.yaml" for t in GUIDE_TYPES}
    # the running Strapi (the guide's types with the sync's own) accepts it as a user's validate sees it
    checked = run_cli("validate", env={**env, "MAPPINGS_DIR": str(out)})
    assert checked.returncode == 0, checked.stdout + checked.stderr
    # what it guessed is what the hand-written set says, type for type
    import subprocess
    import sys

    compared = subprocess.run([sys.executable, str(Path(__file__).resolve().parents[2] / "scripts" / "compare_init.py"),
                               str(out), str(GUIDE_MAPPINGS)], capture_output=True, text=True, check=True)
    assert "| **all 4** | 4/4 | 8/8 | 4/4 | 4/4 |" in compared.stdout, compared.stdout

    product = out / "product.yaml"
    product.write_text(product.read_text().replace("title: title", "title: title  # checked"))
    again = run_cli("init", "--strapi-app", str(GUIDE_APP), "--out", str(out), env=env)
    assert again.returncode == 0 and "# checked" in product.read_text()
    assert (out / "product.yaml.new").exists() and "3 file(s) already as guessed" in again.stdout


def test_a_handle_strapi_would_refuse_as_a_uid_quarantines_its_row_only(guide_mappings, guide_source, guide_strapi):
    ((product_id,),) = live(guide_source, "select id from product where deleted_at is null order by id limit 1")
    with guide_source.engine.begin() as conn:
        conn.execute(sa.text("update product set handle = 'not a uid!' where id = :id"), {"id": product_id})
    results = sync_all(guide_mappings, guide_source, guide_strapi)
    product = next(r for r in results if r.content_type == "product")
    assert product.quarantined == 1 and [f.medusa_id for f in product.failures] == [product_id]
    assert "is not a valid uid" in product.failures[0].message
    assert product_id not in by_key(guide_strapi, "products") and len(by_key(guide_strapi, "products")) == product.created
    variants = next(r for r in results if r.content_type == "product-variant")
    assert variants.ok or all("is not in Strapi" in f.message for f in variants.failures)  # its variants wait for it
