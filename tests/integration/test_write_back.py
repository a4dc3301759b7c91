"""Write-back of CMS-owned fields through Medusa's own Admin API (the v1 stack's Medusa server), and the
ownership rule that keeps the two directions from fighting, against the real services.

The Medusa server runs on a database of its own (MEDUSA_SERVER_DATABASE_URL, a copy of the demo made by
`scripts/stack up`), so these tests read and change that one instead of a per-test copy, with values of
their own; the mapping set is the repo's with `write_back: [title, subtitle]` on product.
"""

from __future__ import annotations

import os
import shutil
import uuid

import pytest
import sqlalchemy as sa

from pipelines.mapping import load_mappings
from pipelines.medusa.admin import AdminAccount, MedusaAdmin
from pipelines.medusa.source import MedusaSource
from pipelines.settings import REPO_MAPPINGS_DIR
from pipelines.sync.run import sync_all
from pipelines.writeback.run import write_back

from .conftest import reconcile_into
from .test_cli import run_cli


@pytest.fixture(scope="module")
def owned_mappings(tmp_path_factory):
    """The repo's mappings, product declaring `write_back: [title, subtitle]`."""
    folder = tmp_path_factory.mktemp("mappings") / "mappings"
    shutil.copytree(REPO_MAPPINGS_DIR, folder, ignore=shutil.ignore_patterns("medusa-v2"))
    product = folder / "product.yaml"
    if "write_back:" not in product.read_text():
        product.write_text(product.read_text() + "write_back: [title, subtitle]\n")
    mappings = load_mappings(folder)
    assert mappings.get("product").write_back == ("title", "subtitle")
    return mappings


@pytest.fixture(scope="module")
def admin_account(stack) -> AdminAccount:
    names = ("MEDUSA_ADMIN_URL", "MEDUSA_ADMIN_EMAIL", "MEDUSA_ADMIN_PASSWORD", "MEDUSA_SERVER_DATABASE_URL")
    if not all(os.environ.get(name) for name in names):
        message = "no Medusa server for the test stack: run the tests with scripts/test"
        if os.environ.get("REQUIRE_STACK") == "1":
            pytest.fail(message)
        pytest.skip(message)
    return AdminAccount(os.environ["MEDUSA_ADMIN_URL"], os.environ["MEDUSA_ADMIN_EMAIL"], os.environ["MEDUSA_ADMIN_PASSWORD"])


@pytest.fixture
def server_source(admin_account):
    source = MedusaSource(os.environ["MEDUSA_SERVER_DATABASE_URL"])
    yield source
    source.dispose()


@pytest.fixture
def admin(admin_account):
    client = MedusaAdmin(admin_account)
    yield client
    client.close()


@pytest.fixture
def synced(strapi, owned_mappings, server_source, admin):
    """Strapi equal to the server's Medusa, and every earlier edit of owned fields written back."""
    reconcile_into(strapi, owned_mappings, server_source)
    spec = owned_mappings.get("product")
    assert write_back(spec, server_source, strapi, admin).ok
    reconcile_into(strapi, owned_mappings, server_source)
    return strapi


def medusa_product(source: MedusaSource, product_id: str) -> dict:
    with source.engine.connect() as conn:
        return dict(conn.execute(sa.text("select title, subtitle, description, updated_at from product where id = :id"),
                                 {"id": product_id}).mappings().one())


def set_in_medusa(source: MedusaSource, product_id: str, **values) -> None:
    assignments = ", ".join(f"{column} = :{column}" for column in values)
    with source.engine.begin() as conn:
        conn.execute(sa.text(f"update product set {assignments}, updated_at = now() where id = :id"), {**values, "id": product_id})


def strapi_product(strapi, product_id: str) -> dict:
    return strapi.find_by_medusa_ids("products", [product_id], fields=["title", "subtitle", "description"])[product_id]


def a_product(source: MedusaSource) -> str:
    with source.engine.connect() as conn:
        return conn.execute(sa.text("select min(id) from product where deleted_at is null")).scalar_one()


def test_a_title_edited_in_strapi_reaches_medusa_and_the_round_trip_settles(synced, owned_mappings, server_source, admin):
    spec, product_id = owned_mappings.get("product"), a_product(server_source)
    before = medusa_product(server_source, product_id)
    title = f"Edited in Strapi ✓ {uuid.uuid4().hex[:6]}"
    synced.update("products", strapi_product(synced, product_id)["documentId"], {"title": title})

    result = write_back(spec, server_source, synced, admin)
    assert result.ok and result.written == 1, result.failures
    after = medusa_product(server_source, product_id)
    assert after["title"] == title and after["updated_at"] > before["updated_at"]  # Medusa's own update

    forward = sync_all(owned_mappings, server_source, synced, changes=True)  # what the sensor runs next
    assert all(r.ok for r in forward) and sum(r.writes for r in forward) == 0
    again = write_back(spec, server_source, synced, admin)
    assert again.ok and again.written == 0  # settled: nothing bounces back


def test_edits_of_different_fields_on_each_side_both_survive(synced, owned_mappings, server_source, admin):
    spec, product_id = owned_mappings.get("product"), a_product(server_source)
    subtitle, description = f"CMS subtitle {uuid.uuid4().hex[:6]}", f"Medusa description {uuid.uuid4().hex[:6]}"
    synced.update("products", strapi_product(synced, product_id)["documentId"], {"subtitle": subtitle})
    set_in_medusa(server_source, product_id, description=description)

    assert all(r.ok for r in sync_all(owned_mappings, server_source, synced, changes=True))
    assert write_back(spec, server_source, synced, admin).ok
    assert all(r.ok for r in sync_all(owned_mappings, server_source, synced, changes=True))

    in_strapi, in_medusa = strapi_product(synced, product_id), medusa_product(server_source, product_id)
    assert in_strapi["subtitle"] == in_medusa["subtitle"] == subtitle
    assert in_strapi["description"] == in_medusa["description"] == description


def test_the_same_field_edited_on_both_sides_keeps_strapis_value(synced, owned_mappings, server_source, admin):
    spec, product_id = owned_mappings.get("product"), a_product(server_source)
    ours, theirs = f"CMS title {uuid.uuid4().hex[:6]}", f"Medusa title {uuid.uuid4().hex[:6]}"
    synced.update("products", strapi_product(synced, product_id)["documentId"], {"title": ours})
    set_in_medusa(server_source, product_id, title=theirs)

    assert all(r.ok for r in sync_all(owned_mappings, server_source, synced, changes=True))
    assert strapi_product(synced, product_id)["title"] == ours  # the forward sync never overwrites an owned value
    assert write_back(spec, server_source, synced, admin).ok
    assert medusa_product(server_source, product_id)["title"] == ours  # the rule: Strapi's value wins


def test_an_empty_owned_field_is_filled_from_medusa(synced, owned_mappings, server_source):
    product_id = a_product(server_source)
    synced.update("products", strapi_product(synced, product_id)["documentId"], {"subtitle": None})
    subtitle = medusa_product(server_source, product_id)["subtitle"]
    assert all(r.ok for r in sync_all(owned_mappings, server_source, synced, only=["product"]))
    assert strapi_product(synced, product_id)["subtitle"] == subtitle


def test_cli_write_back_plan_and_health(synced, owned_mappings, server_source, stack, admin_account):
    product_id = a_product(server_source)
    title = f"Via the CLI {uuid.uuid4().hex[:6]}"
    synced.update("products", strapi_product(synced, product_id)["documentId"], {"title": title})
    env = {**stack, "MEDUSA_DATABASE_URL": os.environ["MEDUSA_SERVER_DATABASE_URL"], "MAPPINGS_DIR": str(spec_dir(owned_mappings)),
           "MEDUSA_ADMIN_URL": admin_account.url, "MEDUSA_ADMIN_EMAIL": admin_account.email,
           "MEDUSA_ADMIN_PASSWORD": admin_account.password}
    plan = run_cli("plan", "--only", "product", env=env)
    assert plan.returncode == 0, plan.stderr
    assert f"write-back product: 1 update(s) to Medusa ({product_id})" in plan.stdout
    done = run_cli("write-back", env=env)
    assert done.returncode == 0, done.stderr
    assert "write-back product: read=" in done.stdout and "written=1 failed=0" in done.stdout
    assert medusa_product(server_source, product_id)["title"] == title
    health = run_cli("health", env=env)
    assert "ok   medusa admin api:" in health.stdout, health.stdout
    wrong = run_cli("write-back", env={**env, "MEDUSA_ADMIN_PASSWORD": "not-the-password-42"})  # refused up front
    assert wrong.returncode == 1 and "Medusa refused the login of MEDUSA_ADMIN_EMAIL" in wrong.stderr
    assert "not-the-password-42" not in wrong.stdout + wrong.stderr


def spec_dir(mappings):
    return mappings.get("product").path.parent


def test_the_sensor_launches_a_write_back_after_an_edit_and_then_rests(synced, owned_mappings, server_source, stack,
                                                                      admin_account):
    from dagster import DagsterInstance, RunRequest, SkipReason, build_sensor_context

    from assets.resources import MedusaAdminResource, MedusaDatabase, StrapiResource
    from assets.write_back import build_write_back_job, build_write_back_sensor
    from pipelines.settings import Orchestration

    spec = owned_mappings.get("product")
    settings = Orchestration(medusa_admin_configured=True)
    target = build_write_back_job(spec, settings)
    sensor = build_write_back_sensor(spec, settings, target)
    resources = {"medusa": MedusaDatabase(url=os.environ["MEDUSA_SERVER_DATABASE_URL"]),
                 "strapi": StrapiResource(url=stack["STRAPI_URL"], api_token=stack["STRAPI_API_TOKEN"]),
                 "medusa_admin": MedusaAdminResource(url=admin_account.url, email=admin_account.email,
                                                     password=admin_account.password)}
    instance = DagsterInstance.ephemeral()

    def tick():
        return sensor(build_sensor_context(instance=instance, resources=resources))

    def run(request: RunRequest):
        result = target.execute_in_process(instance=instance, resources=resources, tags=request.tags)
        assert result.success
        (event,) = [e for e in result.all_events if e.event_type_value == "STEP_OUTPUT"]
        return {k: v.value for k, v in event.event_specific_data.metadata.items()}

    first = tick()  # the fixture's reconcile may have touched entries after its write-back: settle those first
    if isinstance(first, RunRequest):
        assert run(first)["written"] == 0
    assert isinstance(tick(), SkipReason)

    product_id = a_product(server_source)
    title = f"Through the sensor {uuid.uuid4().hex[:6]}"
    synced.update("products", strapi_product(synced, product_id)["documentId"], {"title": title})
    request = tick()
    assert isinstance(request, RunRequest)
    assert run(request)["written"] == 1
    assert medusa_product(server_source, product_id)["title"] == title
    assert isinstance(tick(), SkipReason)
