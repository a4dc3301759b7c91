"""R4: malformed mapping folders are refused with file:line: key: message, without a traceback, and with
nothing written, by the command line and by Dagster's loading alike."""

from __future__ import annotations

import re
import shutil
from pathlib import Path

import pytest

from assets.definitions import build_definitions
from assets.naming import strapi_key
from pipelines.cli import main
from pipelines.settings import Orchestration
from pipelines.settings import SHIPPED_MAPPINGS_DIR

from .conftest import entry_counts

BOMB = "".join(f"{c}: &{c} [{', '.join([f'*{p}'] * 9)}]\n" for p, c in zip("abcdefgh", "bcdefghi"))

# name: (file, transform of its text, what the error must say)
CASES = {
    "YAML syntax error": ("product.yaml", lambda t: t.replace("fields:", "fields: [", 1), r"product\.yaml:\d+: not valid YAML"),
    "unknown key": ("product.yaml", lambda t: t + "titel: x\n", r"product\.yaml:\d+: titel: unknown key"),
    "misspelt source key": ("product.yaml", lambda t: t.replace("  table: product\n", "  tabel: product\n"), r"product\.yaml:\d+: source\.tabel:"),
    "typo'd column": ("product.yaml", lambda t: t.replace("  subtitle: subtitle", "  subtitle: sub_title"), r"product\.yaml:\d+: fields\.subtitle: .*no column 'sub_title'"),
    "typo'd table": ("product-tag.yaml", lambda t: t.replace("  table: product_tag", "  table: product_tagg"), r"product-tag\.yaml:\d+: source\.table: .*does not exist"),
    "unknown relation target": ("product.yaml", lambda t: t.replace("target: product-type", "target: product-typo"), r"product\.yaml:\d+: relations\.product_type\.target: unknown content type"),
    "attribute declared twice": ("product.yaml", lambda t: t.replace("cms_only:\n", "cms_only:\n  title: text\n"), r"product\.yaml:\d+: cms_only\.title: attribute is also declared"),
    "duplicate key": ("product.yaml", lambda t: t.replace("  subtitle: subtitle\n", "  subtitle: subtitle\n  subtitle: title\n"), r"product\.yaml:\d+: fields\.subtitle: duplicate key"),
    "injection in a table name": ("product-tag.yaml", lambda t: t.replace("  table: product_tag", "  table: \"product_tag; drop table product\""), r"product-tag\.yaml:\d+: source\.table: .*not a valid name"),
    "injection in a column name": ("product.yaml", lambda t: t.replace("  subtitle: subtitle", "  subtitle: \"title) from product; --\""), r"product\.yaml:\d+: fields\.subtitle: .*not a valid name"),
    "injection in a field name": ("product.yaml", lambda t: t.replace("  subtitle: subtitle", "  \"sub title'--\": subtitle"), r"product\.yaml:\d+: fields\.sub title'--: .*not a valid name"),
    "wrong value type": ("product.yaml", lambda t: t.replace("  subtitle: subtitle", "  subtitle: 42"), r"product\.yaml:\d+: fields\.subtitle: expected"),
    "empty file": ("product-tag.yaml", lambda t: "", r"product-tag\.yaml:1: file is empty"),
    "a relation cycle": ("product-collection.yaml", lambda t: t + "relations:\n  first_product:\n    target: product\n    column: id\n", r"relation cycle cannot be ordered"),
    "non-UTF-8 bytes": ("product.yaml", lambda t: t.replace("description:", "descr\udcffiption:", 1), r"product\.yaml:\d+: not UTF-8 text"),
    "YAML alias bomb": ("product-tag.yaml", lambda t: t + "bomb:\n" + "".join("  " + line + "\n" for line in ("a: &a [1, 2, 3, 4, 5, 6, 7, 8, 9]", *BOMB.splitlines())), r"product-tag\.yaml:\d+: YAML aliases expand"),
    "an alias containing itself": ("product-tag.yaml", lambda t: t + "loop: &loop [*loop]\n", r"product-tag\.yaml:\d+: a YAML alias refers to a value that contains it"),
    "a huge file": ("product-tag.yaml", lambda t: t + "#" * 1_100_000 + "\n", r"product-tag\.yaml: file is [\d,]+ bytes"),
    "nested too deeply": ("product-tag.yaml", lambda t: t + "x: " + "[" * 5000 + "]" * 5000 + "\n", r"product-tag\.yaml: nested too deeply"),
    "unknown converter": ("money-amount.yaml", lambda t: t.replace("convert: minor_units", "convert: cents"), r"money-amount\.yaml:\d+: fields\.amount\.convert: 'cents' is not one of"),
    "a name Strapi reserves": ("product.yaml", lambda t: t.replace("  subtitle: subtitle", "  meta: subtitle"), r"product\.yaml:\d+: fields\.meta: 'meta' is a name Strapi reserves"),
    "file named after another type": ("product-tag.yaml", lambda t: t.replace("content_type: product-tag", "content_type: product-tagz"), r"product-tag\.yaml:\d+: content_type: file must be named product-tagz\.yaml"),
    "a join table of another type": ("product.yaml", lambda t: t.replace("source: product_id, target: product_tag_id", "source: product_id, target: tag_id"), r"product\.yaml:\d+: relations\.product_tags\.through\.target: .*no column 'tag_id'"),
    "a plural Strapi does not have": ("product.yaml", lambda t: t.replace("plural: products", "plural: productz"), r"product\.yaml:\d+: plural: .*'products', not 'productz'"),
}


def broken_folder(tmp_path: Path, name: str) -> Path:
    file, change, _ = CASES[name]
    folder = tmp_path / "mappings"
    shutil.copytree(SHIPPED_MAPPINGS_DIR, folder)
    text = (folder / file).read_text()
    changed = change(text)
    assert changed != text or name == "empty file", f"{name}: the change did not apply"
    (folder / file).write_bytes(changed.encode("utf-8", "surrogateescape"))
    return folder


@pytest.mark.parametrize("name", list(CASES))
def test_a_malformed_mapping_is_refused_with_file_line_and_nothing_is_written(
        name, tmp_path, stack, medusa_url, clean_strapi, mappings, monkeypatch, capsys):
    folder = broken_folder(tmp_path, name)
    for key, value in {**stack, "MEDUSA_DATABASE_URL": medusa_url}.items():
        monkeypatch.setenv(key, value)
    assert main(["-q", "sync", "--mappings", str(folder)]) == 1
    output = capsys.readouterr()
    assert re.search(CASES[name][2], output.err), output.err
    assert "Traceback" not in output.err + output.out
    assert "nothing was written" in output.err
    assert set(entry_counts(clean_strapi, mappings).values()) == {0}
    # Dagster loads the rest: the code location never fails for one file
    graph = build_definitions(Orchestration(mappings_dir=folder)).resolve_asset_graph()
    assert graph.get(strapi_key("currency")).is_materializable
