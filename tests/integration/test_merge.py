"""The three-way merge of two-way fields (a mapping's `write_back`) against the real services, on both Medusa
versions: a rename in Medusa reaches Strapi and is never reverted by an editor's edit of another field, each
merge case, each `on_conflict` rule with its conflict listed by the CLI and the Dagster check, the first run
over entries synced before bases were kept, and round trips that settle with no further write.

Medusa's side is the stack's Medusa server database (see test_write_back), changed in SQL as its admin would
(the Admin API is what the write-back itself uses).
"""

from __future__ import annotations

import shutil
import uuid
from dataclasses import replace

import pytest
import sqlalchemy as sa

from pipelines.mapping import load_mappings
from pipelines.settings import WritePaths
from pipelines.sync.bases import MergeBases
from pipelines.sync.run import sync_all
from pipelines.sync.state import SyncState
from pipelines.writeback.run import state_name, write_back

from .conftest import delete_all
from .test_cli import run_cli
from .test_write_back import Side, _side, a_product, medusa_product, set_in_medusa, settle, spec_dir, strapi_product


def forward(side: Side, path: str = "rest", mappings=None) -> int:
    """The change sensor's forward run of product through `path`; its writes."""
    results = sync_all(mappings or side.mappings, side.server_source, side.strapi, only=["product"], changes=True,
                       write_paths=WritePaths(changes=path))
    assert all(r.ok for r in results), [f for r in results for f in r.failures]
    return sum(r.writes for r in results)


def back(side: Side, mappings=None):
    result = write_back((mappings or side.mappings).get("product"), side.server_source, side.strapi, side.admin)
    assert result.ok, result.failures
    return result


def settled(side: Side, mappings=None) -> None:
    """A round trip settles: the forward sync and the write-back find nothing more to write."""
    assert forward(side, mappings=mappings) == 0
    again = back(side, mappings)
    assert (again.written, again.to_strapi, again.conflicts) == (0, 0, [])


def titles(side: Side, product_id: str) -> tuple[str, str]:
    return medusa_product(side.server_source, product_id)["title"], strapi_product(side.strapi, product_id)["title"]


def fresh(label: str) -> str:
    return f"{label} {uuid.uuid4().hex[:6]}"


@pytest.fixture(scope="module", params=["v1", "v2"])
def synced_side(request):
    """Each stack's side in turn, reconciled once for the module (each test leaves it settled)."""
    prefix, stack = ("", request.getfixturevalue("stack")) if request.param == "v1" else ("V2_", request.getfixturevalue("stack_v2"))
    for side in _side(prefix, stack):
        yield settle(side)


@pytest.fixture
def merged(synced_side):
    """The side with its catalog settled: every entry has its base, nothing is left to write either way."""
    back(synced_side)
    forward(synced_side)
    back(synced_side)
    return synced_side


@pytest.mark.parametrize("path", ["rest", "bulk"])
def test_a_rename_in_medusa_reaches_strapi_and_an_edit_of_another_field_does_not_revert_it(merged, path):
    """The issue's two scenarios: the rename reaches Strapi (both write paths); an editor then edits seo_title and
    the write-back writes nothing to Medusa."""
    product_id = a_product(merged.server_source)
    rename = fresh("Renamed in Medusa")
    set_in_medusa(merged.server_source, product_id, title=rename)
    assert forward(merged, path) == 1
    assert titles(merged, product_id) == (rename, rename)

    merged.edit_in_strapi(product_id, seo_title=fresh("SEO"))
    result = back(merged)
    assert (result.written, result.to_strapi, result.conflicts) == (0, 0, [])
    assert titles(merged, product_id) == (rename, rename)
    settled(merged)


def test_a_rename_the_write_back_sees_first_goes_to_strapi_not_back_to_medusa(merged):
    """Medusa renamed, an editor edits another field before the forward sync ran: the write-back's merge carries
    Medusa's rename to Strapi."""
    product_id = a_product(merged.server_source)
    rename = fresh("Renamed before the sync")
    set_in_medusa(merged.server_source, product_id, title=rename)
    merged.edit_in_strapi(product_id, seo_title=fresh("SEO"))
    result = back(merged)
    assert (result.written, result.to_strapi) == (0, 1)
    assert titles(merged, product_id) == (rename, rename)
    settled(merged)


@pytest.mark.parametrize("path", ["rest", "bulk"])
def test_each_merge_case(merged, path):
    """One field per case on four products: Medusa changed, Strapi changed, both to the same value, neither; the
    forward run through each write path."""
    with merged.server_source.engine.connect() as conn:
        ids = [r[0] for r in conn.execute(sa.text("select id from product where deleted_at is null order by id limit 4"))]
    medusa_changed, strapi_changed, both_alike, neither = ids
    m, s, alike = fresh("Medusa's"), fresh("Strapi's"), fresh("Alike")
    untouched = titles(merged, neither)
    set_in_medusa(merged.server_source, medusa_changed, title=m)
    merged.edit_in_strapi(strapi_changed, title=s)
    set_in_medusa(merged.server_source, both_alike, title=alike)
    merged.edit_in_strapi(both_alike, title=alike)

    assert forward(merged, path) == 1  # Medusa's change, where Strapi still holds the base
    result = back(merged)
    assert (result.conflicts, result.written, result.to_strapi) == ([], 1, 0)  # only Strapi's change goes to Medusa
    assert titles(merged, medusa_changed) == (m, m)
    assert titles(merged, strapi_changed) == (s, s)
    assert titles(merged, both_alike) == (alike, alike)
    assert titles(merged, neither) == untouched
    settled(merged)


def _with_rule(side: Side, rule: str, tmp_path):
    folder = tmp_path / "mappings"
    shutil.copytree(spec_dir(side.mappings), folder)
    product = folder / "product.yaml"
    product.write_text(product.read_text() + f"on_conflict: {rule}\n")
    return load_mappings(folder)


@pytest.mark.parametrize("rule, medusa_last, winner", [
    ("strapi", False, "strapi"),
    ("medusa", False, "medusa"),
    ("newest", True, "medusa"),
    ("newest", False, "strapi"),
], ids=["strapi", "medusa", "newest-medusa-later", "newest-strapi-later"])
def test_a_conflict_goes_by_the_rule_and_is_listed_by_the_cli_and_the_check(merged, tmp_path, rule, medusa_last, winner):
    mappings = _with_rule(merged, rule, tmp_path)
    assert mappings.get("product").on_conflict == rule
    product_id = a_product(merged.server_source)
    base = titles(merged, product_id)[0]
    ours, theirs = fresh("Editor's title"), fresh("Merchant's title")
    if medusa_last:
        merged.edit_in_strapi(product_id, title=ours)
        set_in_medusa(merged.server_source, product_id, title=theirs)
    else:
        set_in_medusa(merged.server_source, product_id, title=theirs)
        merged.edit_in_strapi(product_id, title=ours)

    assert forward(merged, mappings=mappings) == 0  # the forward sync never decides a conflict
    result = back(merged, mappings)
    ((medusa_id, conflict),) = result.conflicts
    assert (medusa_id, conflict.field, conflict.base, conflict.medusa, conflict.strapi, conflict.winner) == (
        product_id, "title", base, theirs, ours, winner)
    kept = ours if winner == "strapi" else theirs
    assert titles(merged, product_id) == (kept, kept)
    settled(merged, mappings)

    env = {**merged.stack, "MEDUSA_DATABASE_URL": merged.server_url, "MAPPINGS_DIR": str(tmp_path / "mappings")}
    listing = run_cli("conflicts", env=env)
    assert listing.returncode == 0, listing.stderr
    assert (f"product {product_id} title: base {base!r}, Medusa {theirs!r}, Strapi {ours!r}; {winner} won "
            f"(on_conflict: {rule})") in listing.stdout and "1 conflict(s)" in listing.stdout
    evaluation = _conflicts_check(merged, mappings)
    assert not evaluation.passed and evaluation.severity.value == "WARN" and product_id in evaluation.metadata["fields"].value

    # kept until the field next changes: then the check passes again
    set_in_medusa(merged.server_source, product_id, title=fresh("Later rename"))
    forward(merged, mappings=mappings)
    assert _conflicts_check(merged, mappings).passed
    assert "0 conflict(s)" in run_cli("conflicts", env=env).stdout


def _conflicts_check(side: Side, mappings):
    from dagster import AssetSelection, asset, materialize

    from assets.checks import build_conflicts_check
    from assets.naming import strapi_key
    from assets.resources import StrapiResource

    @asset(key=strapi_key("product"))
    def product():  # only the check runs; its asset is named for it
        return None

    result = materialize([product, build_conflicts_check(mappings.get("product"))],
                         selection=AssetSelection.checks_for_assets(strapi_key("product")),
                         resources={"strapi": StrapiResource(url=side.stack["STRAPI_URL"], api_token=side.stack["STRAPI_API_TOKEN"])})
    (evaluation,) = result.get_asset_check_evaluations()
    return evaluation


def test_the_first_run_over_entries_synced_before_bases_were_kept(merged):
    """No bases, and the write-back's watermark of an earlier version: the first run reads every entry, takes the
    agreed values as bases without writing, and applies the rule (strapi) where the sides differ."""
    with merged.server_source.engine.connect() as conn:
        first, second = [r[0] for r in conn.execute(sa.text(
            "select id from product where deleted_at is null order by id limit 2"))]
    theirs, ours = fresh("Merchant's"), fresh("Editor's")
    set_in_medusa(merged.server_source, first, title=theirs)  # each differs, with no base to tell who changed
    merged.strapi.update("products", strapi_product(merged.strapi, second)["documentId"], {"title": ours})
    delete_all(merged.strapi, "merge-bases", "key")
    state = SyncState(merged.strapi, merged.server_source.identity)
    recorded = state.get(state_name("product"))
    state.record(state_name("product"), replace(recorded, digest=""), "an earlier version")
    assert forward(merged) == 0  # without a base the forward sync leaves a two-way value alone

    result = back(merged)
    assert result.since is None and result.read >= 2  # every synced entry
    assert sorted((mid, c.had_base, c.winner) for mid, c in result.conflicts) == sorted(
        [(first, False, "strapi"), (second, False, "strapi")])
    assert titles(merged, second) == (ours, ours)
    assert titles(merged, first)[1] == titles(merged, first)[0]  # strapi's value went to Medusa
    bases = MergeBases(merged.strapi, "product").read([first, second, a_product(merged.server_source)])
    assert set(bases) >= {first, second}
    settled(merged)


def test_the_plan_shows_each_direction_and_the_conflicts_it_would_record(merged):
    with merged.server_source.engine.connect() as conn:
        renamed, edited, both = [r[0] for r in conn.execute(sa.text(
            "select id from product where deleted_at is null order by id limit 3"))]
    set_in_medusa(merged.server_source, renamed, title=fresh("Renamed"))
    merged.edit_in_strapi(renamed, seo_title=fresh("SEO"))
    merged.edit_in_strapi(edited, title=fresh("Edited"))
    set_in_medusa(merged.server_source, both, title=fresh("Merchant"))
    merged.edit_in_strapi(both, title=fresh("Editor"))
    env = {**merged.stack, "MEDUSA_DATABASE_URL": merged.server_url, "MAPPINGS_DIR": str(spec_dir(merged.mappings))}
    before = {pid: titles(merged, pid) for pid in (renamed, edited, both)}
    plan = run_cli("plan", "--only", "product", env=env)
    assert plan.returncode == 0, plan.stderr
    line = next(l for l in plan.stdout.splitlines() if l.startswith("write-back product:"))
    assert "2 update(s) to Medusa" in line and f"1 to Strapi ({renamed})" in line and "1 conflict(s) to record" in line
    assert {pid: titles(merged, pid) for pid in before} == before  # a plan writes nothing
    back(merged)
    forward(merged)
    settled(merged)


def test_the_sensors_carry_each_direction(merged, monkeypatch):
    """Dagster: a rename in Medusa reaches Strapi through the change sensor's run, an editor's change reaches Medusa
    through the write-back sensor's run; then both sensors rest."""
    from dagster import DagsterInstance, RunRequest, SkipReason, build_sensor_context

    from assets.resources import MedusaAdminResource
    from assets.write_back import build_write_back_job, build_write_back_sensor
    from pipelines.settings import Orchestration

    from .dagster_harness import SensorHarness

    with DagsterInstance.ephemeral() as instance:
        changes = SensorHarness(merged.mappings, merged.server_url, merged.stack, instance, monkeypatch)
        spec, account = merged.mappings.get("product"), merged.admin_account
        settings = Orchestration(medusa_admin_configured=True)
        edits_job, edits_sensor = build_write_back_job(spec, settings), build_write_back_sensor(spec, settings)
        resources = {**changes.resources, "medusa_admin": MedusaAdminResource(url=account.url, email=account.email,
                                                                              password=account.password)}

        def edits_tick():
            return edits_sensor(build_sensor_context(instance=instance, resources=resources))

        def rest() -> None:  # both sensors: whatever the fixture left, run it, until neither asks for a run
            for _ in range(4):
                asked = changes.tick().run_requests
                for request in asked:
                    assert changes.execute(request).success
                edit = edits_tick()
                if isinstance(edit, RunRequest):
                    assert edits_job.execute_in_process(instance=instance, resources=resources, tags=edit.tags).success
                elif not asked:
                    return
            raise AssertionError("the sensors did not come to rest")

        rest()
        product_id = a_product(merged.server_source)
        rename = fresh("Renamed for the sensor")
        set_in_medusa(merged.server_source, product_id, title=rename)
        figures = changes.tick_and_run()
        assert figures["product"]["updated"] == 1 and titles(merged, product_id) == (rename, rename)

        edited = fresh("Edited for the sensor")
        merged.edit_in_strapi(product_id, title=edited)
        request = edits_tick()
        assert isinstance(request, RunRequest)
        assert edits_job.execute_in_process(instance=instance, resources=resources, tags=request.tags).success
        assert titles(merged, product_id) == (edited, edited)
        rest()
        assert isinstance(edits_tick(), SkipReason)
