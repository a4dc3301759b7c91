"""Rows that cannot load are quarantined (durably, in Strapi): the rest loads, the run succeeds, the
watermark moves, nothing is relaunched tick after tick, and the row leaves once it loads."""

from __future__ import annotations

import os
import subprocess
import sys

from dagster import AssetSelection, DagsterInstance, materialize

from assets.checks import build_quarantine_check
from assets.naming import strapi_key
from pipelines.sync.run import sync_all
from pipelines.sync.state import Quarantine, SyncState

from .dagster_harness import SensorHarness


def nested(depth: int) -> str:
    return '{"a": ' * depth + "1" + "}" * depth


def cli(*args: str, env: dict) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "pipelines.cli", "-q", *args], env={**os.environ, **env},
                          capture_output=True, text=True, timeout=300)


def test_a_row_that_cannot_convert_is_quarantined_and_leaves_once_fixed(
        source, clean_strapi, mappings, medusa_sql, medusa_url, stack, monkeypatch):
    bad = medusa_sql("select id from product where deleted_at is null and exists (select 1 from product_variant v"
                     " where v.product_id = product.id and v.deleted_at is null) order by id limit 1")[0][0]
    medusa_sql("update product set metadata = cast(:m as jsonb), updated_at = now() where id = :id", m=nested(200), id=bad)
    results = {r.content_type: r for r in sync_all(mappings, source, clean_strapi)}
    assert all(r.ok for r in results.values())  # the run succeeds...
    assert results["product"].quarantined == 1 and results["product"].read > 1  # ...having loaded the rest
    quarantine = Quarantine(clean_strapi, source.identity)
    rows = {(r.content_type, r.medusa_id): r for r in quarantine.rows()}
    assert ("product", bad) in rows and "nests deeper than 100 levels" in rows[("product", bad)].reason
    variants = {r[0] for r in medusa_sql("select id from product_variant where product_id = :p and deleted_at is null", p=bad)}
    assert {mid for (t, mid) in rows if t == "product-variant"} == variants  # they wait for it in the quarantine
    assert "waits for quarantined product" in rows[("product-variant", min(variants))].reason
    assert SyncState(clean_strapi, source.identity).get("product") is not None  # the watermark moved

    # the CLI lists them
    env = {**stack, "MEDUSA_DATABASE_URL": medusa_url}
    listing = cli("quarantine", env=env)
    assert listing.returncode == 0 and f"product {bad}: convert, 1 attempt(s)" in listing.stdout

    # Dagster: the check fails and lists it; the sensor does not relaunch anything for it
    with DagsterInstance.ephemeral() as instance:
        harness = SensorHarness(mappings, medusa_url, stack, instance, monkeypatch)
        check = materialize([*harness.assets, build_quarantine_check(mappings.get("product"))],
                            selection=AssetSelection.checks_for_assets(strapi_key("product")),
                            instance=instance, resources=harness.resources)
        (evaluation,) = check.get_asset_check_evaluations()
        assert not evaluation.passed and bad in evaluation.metadata["rows"].value
        harness.quiet()
        harness.quiet()

        # fixed in Medusa: the sensor's run loads it and it leaves the quarantine
        medusa_sql("update product set metadata = '{\"fixed\": true}', updated_at = now() where id = :id", id=bad)
        figures = harness.tick_and_run()
        assert figures["product"]["created"] == 1 and figures["product"]["quarantined"] == 0
        left = {(r.content_type, r.medusa_id) for r in quarantine.rows()}
        assert ("product", bad) not in left

        # the variants did not change in Medusa, but what they waited for left the quarantine: the next tick
        # launches their type (and the types of rows that waited for them), and they load
        figures = harness.tick_and_run()
        assert figures["product-variant"]["created"] == len(variants) and figures["product-variant"]["quarantined"] == 0
        harness.quiet()
    assert quarantine.rows() == []


def test_rows_waiting_for_a_quarantined_parent_load_in_the_same_changes_run_as_it(source, clean_strapi, mappings, medusa_sql):
    bad = medusa_sql("select id from product where deleted_at is null and exists (select 1 from product_variant v"
                     " where v.product_id = product.id and v.deleted_at is null) order by id desc limit 1")[0][0]
    medusa_sql("update product set metadata = cast(:m as jsonb), updated_at = now() where id = :id", m=nested(200), id=bad)
    assert all(r.ok for r in sync_all(mappings, source, clean_strapi))
    quarantine = Quarantine(clean_strapi, source.identity)
    assert {"product", "product-variant"} <= {r.content_type for r in quarantine.rows()}  # and what waits for the variants
    medusa_sql("update product set metadata = '{}', updated_at = now() where id = :id", id=bad)
    results = {r.content_type: r for r in sync_all(mappings, source, clean_strapi, changes=True)}  # `sync --changes`
    variants = medusa_sql("select count(*) from product_variant where product_id = :p and deleted_at is null", p=bad)[0][0]
    assert results["product"].created == 1 and results["product-variant"].created == variants
    assert "waited for quarantined rows" in results["product-variant"].window
    # all that waited loaded; the metafield the bad metadata made is gone from Medusa (the reconcile clears it)
    assert {r.content_type for r in quarantine.rows()} <= {"product-metafield"}


def test_a_row_strapi_refuses_is_quarantined_with_strapis_reason(source, clean_strapi, mappings, medusa_sql):
    product_id = medusa_sql("select id from product where deleted_at is null order by id limit 1")[0][0]
    medusa_sql("update product set description = repeat('x', 3000000) where id = :id", id=product_id)  # over Strapi's body limit
    result = sync_all(mappings, source, clean_strapi, only=[*mappings.dependencies("product"), "product"])[-1]
    assert result.ok and result.quarantined == 1
    (row,) = Quarantine(clean_strapi, source.identity).rows("product")
    assert row.medusa_id == product_id and row.action == "create" and row.reason.startswith("413")
    again = sync_all(mappings, source, clean_strapi, only=["product"])[0]  # a second attempt counts, once
    assert again.quarantined == 1
    assert Quarantine(clean_strapi, source.identity).rows("product")[0].attempts == 2


def test_a_missing_target_is_transient_not_quarantined(source, clean_strapi, mappings):
    (result,) = sync_all(mappings, source, clean_strapi, only=["product"])  # collections etc. not in Strapi yet
    assert not result.ok and result.failed > 0 and result.quarantined == 0
    assert Quarantine(clean_strapi, source.identity).rows() == []
    assert SyncState(clean_strapi, source.identity).get("product") is None  # no watermark: the next run retries


def test_a_quarantined_row_gone_from_medusa_leaves_on_a_full_run(source, clean_strapi, mappings, medusa_sql):
    bad = medusa_sql("select id from product where deleted_at is null order by id limit 1")[0][0]
    medusa_sql("update product set metadata = cast(:m as jsonb), updated_at = now() where id = :id", m=nested(200), id=bad)
    sync_all(mappings, source, clean_strapi, only=[*mappings.dependencies("product"), "product"])
    quarantine = Quarantine(clean_strapi, source.identity)
    assert [r.medusa_id for r in quarantine.rows("product")] == [bad]
    medusa_sql("update product set deleted_at = now(), updated_at = now() where id = :id", id=bad)
    (result,) = sync_all(mappings, source, clean_strapi, only=["product"])
    assert result.ok and quarantine.rows("product") == []
