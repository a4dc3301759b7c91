"""Every entry point checks all its mappings (files, Medusa's schema, Strapi's types) before the first write."""

from __future__ import annotations

import re
import shutil
from pathlib import Path

import pytest
from dagster import DagsterInstance, materialize

from assets.sync import build_sync_assets
from assets.resources import MedusaDatabase, StrapiResource
from pipelines.mapping import load_mappings
from pipelines.settings import SHIPPED_MAPPINGS_DIR

from .test_cli import run_cli

EDITS = {
    "typo'd column": ("product.yaml", "  subtitle: subtitle\n", "  subtitle: sub_title\n", r"product\.yaml:\d+: fields\.subtitle: .*no column 'sub_title'"),
    "typo'd primary key": ("product.yaml", "  primary_key: id\n", "  primary_key: idd\n", r"product\.yaml:\d+: source\.primary_key: .*no column 'idd'"),
    "typo'd join table": ("product.yaml", "table: product_tags,", "table: product_tagz,", r"product\.yaml:\d+: relations\.product_tags\.through\.table: .*'product_tagz' does not exist"),
    "typo'd Strapi attribute": ("product.yaml", "  subtitle: subtitle\n", "  subtitel: subtitle\n", r"product\.yaml:\d+: fields\.subtitel: .*no attribute 'subtitel'"),
    "typo'd plural": ("product.yaml", "plural: products\n", "plural: prodcts\n", r"product\.yaml:\d+: plural: .*'products'"),
    "json_key on a text column": ("product.yaml", "  subtitle: subtitle\n", "  subtitle: {column: title, json_key: foo}\n", r"product\.yaml:\d+: fields\.subtitle\.json_key: "),
    "attribute of another type": ("product.yaml", "  weight: weight\n", "  weight: title\n", r"product\.yaml:\d+: fields\.weight: .*integer"),
}


def broken_mappings(tmp_path: Path, name: str) -> Path:
    file, old, new, _ = EDITS[name]
    folder = tmp_path / "mappings"
    shutil.copytree(SHIPPED_MAPPINGS_DIR, folder)
    text = (folder / file).read_text()
    assert old in text, f"{old!r} not in {file}"
    (folder / file).write_text(text.replace(old, new, 1))
    return folder


def entry_counts(strapi, mappings) -> dict[str, int]:
    return {spec.content_type: sum(1 for _ in strapi.iter_entries(spec.plural)) for spec in mappings}


@pytest.mark.parametrize("command", ["sync", "reconcile"])
@pytest.mark.parametrize("name", list(EDITS))
def test_cli_refuses_a_broken_mapping_before_any_write(stack, medusa_url, clean_strapi, mappings, tmp_path, name, command):
    """Issue 7.4: `sync` wrote the types before the broken one, then stopped without file:line (or wrote nulls)."""
    folder = broken_mappings(tmp_path, name)
    result = run_cli(command, "--mappings", str(folder), env={**stack, "MEDUSA_DATABASE_URL": medusa_url})
    assert result.returncode == 1, result.stdout + result.stderr
    assert re.search(EDITS[name][3], result.stderr), result.stderr
    assert "nothing was written" in result.stderr
    assert set(entry_counts(clean_strapi, mappings).values()) == {0}


@pytest.mark.parametrize("name", ["typo'd column", "typo'd plural", "json_key on a text column"])
def test_dagster_run_refuses_a_broken_mapping_before_any_write(stack, medusa_url, clean_strapi, mappings, tmp_path, name):
    broken = load_mappings(broken_mappings(tmp_path, name))
    with DagsterInstance.ephemeral() as instance:
        result = materialize(
            build_sync_assets(broken),
            resources={"medusa": MedusaDatabase(url=medusa_url),
                       "strapi": StrapiResource(url=stack["STRAPI_URL"], api_token=stack["STRAPI_API_TOKEN"])},
            instance=instance, raise_on_error=False,
        )
    assert not result.success
    failures = [e for e in result.all_events if e.event_type_value == "STEP_FAILURE"]
    assert any(re.search(EDITS[name][3], e.event_specific_data.error.message) for e in failures), [
        e.event_specific_data.error.message for e in failures]
    assert entry_counts(clean_strapi, mappings)["product"] == 0
