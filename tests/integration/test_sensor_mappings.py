"""The change sensor checks the mapping files whenever they change: a typo shows on its next tick, and its fix
as soon, whatever the code location loaded (no reload, no 5-minute wait)."""

from __future__ import annotations

import shutil

import pytest
from dagster import AssetCheckEvaluation, DagsterInstance

from assets.naming import CHECK_MAPPING, strapi_key
from assets.sensors import build_change_sensor
from pipelines.mapping import load_mapping_set
from pipelines.settings import SHIPPED_MAPPINGS_DIR, Orchestration

from .dagster_harness import SensorHarness

TYPOS = {
    "a key the language does not know": ("  table: product_tag\n", "  tabel: product_tag\n", "source.tabel"),
    "a column Medusa lacks": ("  value: value\n", "  value: valeu\n", "no column 'valeu'"),
}


def verdicts(result) -> dict[str, tuple[bool, str]]:
    """content type -> (passed, problems) of the mapping_is_valid evaluations a tick reported."""
    found = {}
    for event in result.asset_events:
        if isinstance(event, AssetCheckEvaluation) and event.check_name == CHECK_MAPPING:
            name = event.asset_key.path[-1].replace("_", "-")
            found[name] = (event.passed, str(event.metadata["problems"].value))
    return found


@pytest.mark.parametrize("typo", list(TYPOS))
def test_a_typo_and_its_fix_each_show_on_the_next_tick(stack, medusa_url, tmp_path, monkeypatch, typo):
    folder = tmp_path / "mappings"
    shutil.copytree(SHIPPED_MAPPINGS_DIR, folder, ignore=shutil.ignore_patterns("medusa-v2"))
    tag = folder / "product-tag.yaml"
    good = tag.read_text()
    old, new, said = TYPOS[typo]
    assert old in good
    loaded = load_mapping_set(folder)
    with DagsterInstance.ephemeral() as instance:
        harness = SensorHarness(loaded.mappings, medusa_url, stack, instance, monkeypatch,
                                settings=Orchestration(mappings_dir=folder))
        first = verdicts(harness.tick())
        assert set(first) == set(loaded.mappings.content_types) and all(passed for passed, _ in first.values())

        tag.write_text(good.replace(old, new))
        harness.clock.advance(5)  # one tick later, far from the 5-minute validation
        broken = verdicts(harness.tick())
        assert broken["product-tag"][0] is False and said in broken["product-tag"][1]
        assert broken["product"][0] is False  # product links to product-tag: it waits for it
        assert broken["currency"][0] is True
        quiet = harness.tick()  # nothing changed since: no new evaluation, and product-tag is not launched
        assert not verdicts(quiet)

        tag.write_text(good)
        harness.clock.advance(5)
        fixed = verdicts(harness.tick())
        assert fixed["product-tag"] == (True, "none") and fixed["product"][0] is True


def test_a_type_broken_when_the_code_loaded_reports_its_fix_and_says_to_reload(stack, medusa_url, tmp_path, monkeypatch):
    folder = tmp_path / "mappings"
    shutil.copytree(SHIPPED_MAPPINGS_DIR, folder, ignore=shutil.ignore_patterns("medusa-v2"))
    tag = folder / "product-tag.yaml"
    good = tag.read_text()
    tag.write_text(good.replace("  table: product_tag\n", "  tabel: product_tag\n"))
    loaded = load_mapping_set(folder)  # what the code location loaded: product-tag (and product) as placeholders
    assert {"product-tag", "product"} <= set(loaded.broken)
    with DagsterInstance.ephemeral() as instance:
        harness = SensorHarness(loaded.mappings, medusa_url, stack, instance, monkeypatch,
                                settings=Orchestration(mappings_dir=folder))
        harness.sensor = build_change_sensor(loaded.mappings, harness.settings, placeholders=loaded.broken)
        assert verdicts(harness.tick())["product-tag"][0] is False
        tag.write_text(good)
        harness.clock.advance(5)
        result = harness.tick()
        fixed = verdicts(result)
        assert fixed["product-tag"][0] is True and "reload the code location" in fixed["product-tag"][1]
        launched = {key for request in result.run_requests for key in request.asset_selection}
        assert strapi_key("product-tag") not in launched  # a placeholder cannot run before the reload
