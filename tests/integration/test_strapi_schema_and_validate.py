"""Generated Strapi content types are up to date; mappings are checked against the real Medusa and Strapi."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

from pipelines.mapping import load_mappings
from pipelines.settings import SHIPPED_MAPPINGS_DIR, DEFAULT_STRAPI_APP
from pipelines.strapi.content_types import generate_app
from pipelines.validate import check_database, check_strapi, field_types


def cli(*args: str, env: dict[str, str]) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "pipelines.cli", *args], env={**os.environ, **env},
                          capture_output=True, text=True, timeout=120)


def test_committed_strapi_content_types_match_the_mappings(source, mappings):
    stale = generate_app(mappings, source).diff(DEFAULT_STRAPI_APP)
    assert stale == [], f"out of date (run `medusa-strapi strapi-schema`): {stale}"


def test_strapi_schema_command_writes_then_checks(stack, tmp_path):
    app = tmp_path / "app"
    env = {"MEDUSA_DATABASE_URL": stack["MEDUSA_DATABASE_URL"]}
    written = cli("strapi-schema", "--app", str(app), env=env)
    assert written.returncode == 0, written.stderr
    assert (app / "src/api/product/content-types/product/schema.json").is_file()
    assert cli("strapi-schema", "--app", str(app), "--check", env=env).returncode == 0
    (app / "src/api/product/content-types/product/schema.json").write_text("{}")
    shutil.copytree(app / "src/api/store", app / "src/api/old-type")  # generated earlier, no mapping now
    check = cli("strapi-schema", "--app", str(app), "--check", env=env)
    assert check.returncode == 1
    assert "product/schema.json" in check.stderr and "src/api/old-type" in check.stderr
    assert cli("strapi-schema", "--app", str(app), env=env).returncode == 0
    assert not (app / "src/api/old-type").exists()


def test_repo_mappings_pass_every_check(source, strapi, mappings, stack):
    assert check_database(mappings, source) == []
    assert check_strapi(mappings, strapi.content_types(), "Strapi", types=field_types(mappings, source)) == []
    result = cli("validate", env=stack)
    assert result.returncode == 0, result.stdout + result.stderr
    assert "medusa: ok" in result.stdout and f"content types of {stack['STRAPI_URL']} checked" in result.stdout


def _broken_copy(tmp_path: Path, file: str, old: str, new: str) -> Path:
    target = tmp_path / "mappings"
    shutil.copytree(SHIPPED_MAPPINGS_DIR, target)
    path = target / file
    text = path.read_text()
    assert old in text
    path.write_text(text.replace(old, new, 1))
    return target


def _line_of(path: Path, needle: str) -> int:
    return next(i for i, line in enumerate(path.read_text().splitlines(), 1) if needle in line)


DATABASE_CASES = [
    ("product.yaml", "  table: product\n", "  table: prodcut\n", "source.table", "table 'prodcut' does not exist in Medusa's database (did you mean 'product'?)"),
    ("product.yaml", "  subtitle: subtitle", "  subtitle: sub_title", "fields.subtitle", "table 'product' has no column 'sub_title' (did you mean 'subtitle'?)"),
    ("product.yaml", "column: collection_id", "column: collection", "relations.product_collection.column", "has no column 'collection'"),
    ("product.yaml", "{table: product_tags,", "{table: product_tag_links,", "relations.product_tags.through.table", "table 'product_tag_links' does not exist"),
    ("product.yaml", "target: product_tag_id}", "target: tag_id}", "relations.product_tags.through.target", "table 'product_tags' has no column 'tag_id'"),
    ("currency.yaml", "  primary_key: code", "  primary_key: id", "source.primary_key", "table 'currency' has no column 'id'"),
    ("product-category.yaml", "  soft_delete: null ", "  soft_delete: deleted_at ", "source.soft_delete", "table 'product_category' has no column 'deleted_at'"),
    ("product-metafield.yaml", "json_entries: metadata", "json_entries: title", "source.json_entries", "column 'title' is not json/jsonb"),
]


def test_mappings_naming_missing_tables_or_columns_are_refused_with_file_line_key(stack, tmp_path):
    for number, (file, old, new, key, message) in enumerate(DATABASE_CASES):
        folder = _broken_copy(tmp_path / str(number), file, old, new)
        result = cli("validate", "--mappings", str(folder), env=stack)
        assert result.returncode == 1, (file, new, result.stdout)
        expected = f"{folder / file}:{_line_of(folder / file, new.strip())}: {key}: "
        assert expected in result.stderr and message in result.stderr, (expected, message, result.stderr)
        assert "nothing was written" in result.stderr


def test_mapping_naming_an_attribute_strapi_lacks_is_refused(stack, tmp_path):
    folder = _broken_copy(tmp_path, "product.yaml", "  seo_title: string", "  seo_titel: string")
    result = cli("validate", "--mappings", str(folder), env=stack)
    assert result.returncode == 1
    assert f"product.yaml:{_line_of(folder / 'product.yaml', 'seo_titel')}: cms_only.seo_titel: " in result.stderr
    assert "has no attribute 'seo_titel' (did you mean 'seo_title'?)" in result.stderr


def test_validate_without_services_still_checks_files_and_the_app_folder(tmp_path):
    env = {k: v for k, v in os.environ.items() if k not in ("MEDUSA_DATABASE_URL", "STRAPI_URL", "STRAPI_API_TOKEN")}
    ok = subprocess.run([sys.executable, "-m", "pipelines.cli", "validate"], env=env, capture_output=True, text=True)
    assert ok.returncode == 0 and "medusa: SKIPPED" in ok.stdout and f"content types of {DEFAULT_STRAPI_APP} checked" in ok.stdout
    folder = _broken_copy(tmp_path, "region.yaml", "  tax_code: tax_code", "  vat_code: tax_code")
    bad = subprocess.run([sys.executable, "-m", "pipelines.cli", "validate", "--mappings", str(folder)],
                         env=env, capture_output=True, text=True)
    assert bad.returncode == 1 and "fields.vat_code: " in bad.stderr


def test_unreachable_database_is_reported_not_fatal_for_validate(tmp_path):
    env = {"MEDUSA_DATABASE_URL": "postgresql://postgres@127.0.0.1:9/medusa", "STRAPI_URL": "", "STRAPI_API_TOKEN": ""}
    result = cli("validate", env=env)
    assert result.returncode == 0
    assert "medusa: SKIPPED the check of tables, columns and paths" in result.stdout and "cannot connect" in result.stdout


def test_a_mapping_naming_a_missing_column_disables_only_its_types_in_dagster(stack, tmp_path, source, medusa_url, monkeypatch):
    """The code location loads; the sensor's check names the file:line, and it launches neither the type nor
    the types that wait for it."""
    from dagster import DagsterInstance

    from .dagster_harness import SensorHarness

    folder = _broken_copy(tmp_path, "image.yaml", "  url: url", "  url: link")
    loaded = subprocess.run(
        [str(Path(sys.executable).with_name("dagster")), "definitions", "validate", "-m", "assets.definitions"],
        env={**os.environ, **stack, "MAPPINGS_DIR": str(folder)}, capture_output=True, text=True, timeout=120,
        cwd=SHIPPED_MAPPINGS_DIR.parent,
    )
    assert loaded.returncode == 0, loaded.stdout + loaded.stderr
    where = f"image.yaml:{_line_of(folder / 'image.yaml', 'url: link')}: fields.url: table 'image' has no column 'link'"
    with DagsterInstance.ephemeral() as instance:
        harness = SensorHarness(load_mappings(folder), medusa_url, stack, instance, monkeypatch)
        result = harness.tick()
    checks = {e.asset_key.path[-1]: e for e in result.asset_events}
    assert not checks["image"].passed and where in checks["image"].metadata["problems"].value
    assert not checks["product"].passed and "waits for image" in checks["product"].metadata["problems"].value
    assert checks["currency"].passed
    (request,) = result.run_requests  # nothing was synced yet: everything else is launched
    launched = {k.path[-1] for k in request.asset_selection}
    assert "currency" in launched and not launched & {"image", "product", "product_variant", "money_amount"}