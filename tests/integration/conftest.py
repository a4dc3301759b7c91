"""Fixtures for tests against the real services: real Postgres, real Strapi over HTTP.

`scripts/test` brings up two stacks of the tests' own (never the demo's): Medusa v1 with the default
mappings, and Medusa v2 with mappings/medusa-v2, and passes their settings in the environment
(`MEDUSA_DATABASE_URL`, `STRAPI_URL`, `STRAPI_API_TOKEN`, and the same prefixed with `V2_`). Each test
gets its own copy of the Medusa demo database (CREATE DATABASE ... TEMPLATE), so tests can change
Medusa freely; each stack's Strapi is shared by its tests, and `clean_strapi` empties the synced types.
"""

from __future__ import annotations

import os
import sys
from pathlib import Path

import pytest
import requests
import sqlalchemy as sa

from pipelines.entry_versions import PLAIN, EntryVersions
from pipelines.medusa.source import MedusaSource, engine_url
from pipelines.mapping import MappingSet, load_mappings
from pipelines.settings import SHIPPED_MAPPINGS_DIR
from pipelines.strapi.bulk import BulkClient
from pipelines.strapi.client import StrapiClient, StrapiError

REPO = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(REPO / "scripts"))

from throwaway_db import database_copy  # noqa: E402  (scripts/ is not a package)


def pytest_collection_modifyitems(items):
    for item in items:
        if "tests/integration" in str(item.fspath):
            item.add_marker(pytest.mark.integration)


NAMES = ("MEDUSA_DATABASE_URL", "STRAPI_URL", "STRAPI_API_TOKEN")


def _stack_env(prefix: str = "") -> dict[str, str]:
    """The settings scripts/test exported for one stack (`prefix` "V2_" for the Medusa v2 one)."""
    env = {name: os.environ[prefix + name] for name in NAMES if os.environ.get(prefix + name)}
    if os.environ.get(prefix + "STRAPI_DATABASE_URL"):
        env["STRAPI_DATABASE_URL"] = os.environ[prefix + "STRAPI_DATABASE_URL"]  # Strapi's own tables, for counting
    return env


def owned_strapis() -> set[str]:
    """The Strapi URLs scripts/test started for the suite: the only ones its fixtures may empty."""
    return set(os.environ.get("MEDUSA_STRAPI_TEST_STACKS", "").split())


def _require(env: dict[str, str], which: str) -> dict[str, str]:
    problem = None
    if not all(name in env for name in NAMES):
        problem = f"no settings for the {which} test stack: run the tests with scripts/test (or eval \"$(scripts/test --env)\")"
    elif env["STRAPI_URL"] not in owned_strapis():
        problem = (f"{env['STRAPI_URL']} is not a Strapi the test suite started (MEDUSA_STRAPI_TEST_STACKS): run the tests "
                   "with scripts/test, which brings up stacks of their own and never touches yours")
    else:
        try:
            requests.get(f"{env['STRAPI_URL']}/_health", timeout=3).raise_for_status()
        except requests.RequestException as exc:
            problem = f"Strapi is not reachable at {env['STRAPI_URL']}: {exc}"
    if problem:
        if os.environ.get("REQUIRE_STACK") == "1":
            pytest.fail(problem)
        pytest.skip(problem)
    return env


@pytest.fixture(scope="session")
def stack() -> dict[str, str]:
    """The Medusa v1 test stack's settings; skips (or fails with REQUIRE_STACK=1) when it is not up."""
    return _require(_stack_env(), "Medusa v1")


@pytest.fixture(scope="session")
def stack_v2() -> dict[str, str]:
    """The Medusa v2 test stack's settings (mappings/medusa-v2)."""
    return _require(_stack_env("V2_"), "Medusa v2")


@pytest.fixture(scope="session")
def stack_guide() -> dict[str, str]:
    """The settings of the stack whose Strapi runs the content types of Medusa's Strapi guide as the guide designed
    them (tests/strapi_apps/medusa-guide; mappings/medusa-v2-guide)."""
    return _require(_stack_env("GUIDE_"), "Strapi guide")


@pytest.fixture(scope="session")
def mappings() -> MappingSet:
    return load_mappings(SHIPPED_MAPPINGS_DIR)


@pytest.fixture
def medusa_url(stack) -> str:
    """URL of a private copy of the demo Medusa database, dropped after the test."""
    with database_copy(stack["MEDUSA_DATABASE_URL"], "t") as url:
        yield url


@pytest.fixture
def source(medusa_url) -> MedusaSource:
    source = MedusaSource(medusa_url)
    yield source
    source.dispose()


@pytest.fixture
def medusa_sql(source):
    """Run SQL against the test's Medusa copy (committed at once)."""

    def run(statement: str, **params):
        with source.engine.begin() as conn:
            result = conn.execute(sa.text(statement), params)
            return result.fetchall() if result.returns_rows else result.rowcount

    return run


def sql_reader(database_url: str):
    """A function running SQL on a Strapi's own database (nothing committed), and the engine to dispose of."""
    engine = sa.create_engine(engine_url(database_url))

    def run(statement: str, **params):
        with engine.connect() as conn:
            return conn.execute(sa.text(statement), params).fetchall()

    return run, engine


@pytest.fixture
def strapi_sql(stack):
    """Read the v1 test stack's Strapi tables directly (link tables, order columns, duplicate counts)."""
    run, engine = sql_reader(stack["STRAPI_DATABASE_URL"])
    yield run
    engine.dispose()


@pytest.fixture
def strapi(stack) -> StrapiClient:
    client = StrapiClient(stack["STRAPI_URL"], stack["STRAPI_API_TOKEN"])
    yield client
    client.close()


def empty(strapi: StrapiClient, mappings: MappingSet) -> StrapiClient:
    """Delete every entry of the synced content types and the sync's own state (dependents first); only in a
    Strapi the suite started."""
    if strapi.base_url not in owned_strapis():
        pytest.fail(f"refusing to empty {strapi.base_url}: the test suite did not start it")
    for plural, key in (("quarantined-rows", "key"), ("sync-states", "key"), ("merge-bases", "key")):
        delete_all(strapi, plural, key)
    for spec in reversed(mappings.specs):
        delete_all(strapi, spec.plural, spec.key, spec.strapi)
    return strapi


def delete_all(strapi: StrapiClient, plural: str, key: str, versions: EntryVersions = PLAIN) -> None:
    """Delete every entry of `plural`: in batches through the bulk-upsert plugin (a DELETE per entry made
    emptying Strapi the longest part of most tests), over REST where the plugin cannot write the type (each
    document in every locale, drafts too)."""
    documents = list(dict.fromkeys(entry["documentId"] for entry in strapi.iter_entries(
        plural, fields=[key], query=versions.every_locale if versions.localized else versions.read)))
    try:
        for start in range(0, len(documents), 2000):
            BulkClient(strapi, key=key).write(plural, [], documents[start:start + 2000])
    except StrapiError:
        for document in documents:
            strapi.delete(plural, document, query=versions.delete)


@pytest.fixture
def clean_strapi(strapi, mappings) -> StrapiClient:
    """The v1 test stack's Strapi with every synced content type emptied."""
    return empty(strapi, mappings)


def reconcile_into(strapi: StrapiClient, mappings: MappingSet, source: MedusaSource) -> StrapiClient:
    """Make a Strapi the suite started equal to `source` by a reconcile: cheaper than emptying it and
    creating everything again, since the tests' databases all start from the same demo catalog."""
    if strapi.base_url not in owned_strapis():
        pytest.fail(f"refusing to reconcile into {strapi.base_url}: the test suite did not start it")
    from pipelines.sync.run import sync_all

    results = sync_all(mappings, source, strapi, delete_missing=True, allow_mass_delete=True)
    assert all(r.ok for r in results), [f for r in results for f in r.failures]
    return strapi


@pytest.fixture
def synced_strapi(strapi, mappings, source) -> StrapiClient:
    """The v1 test stack's Strapi equal to this test's Medusa copy (every watermark recorded)."""
    return reconcile_into(strapi, mappings, source)


@pytest.fixture(scope="session")
def mappings_v2() -> MappingSet:
    return load_mappings(SHIPPED_MAPPINGS_DIR / "medusa-v2")


@pytest.fixture
def medusa_v2_url(stack_v2) -> str:
    """URL of a private copy of the v2 demo Medusa database, dropped after the test."""
    with database_copy(stack_v2["MEDUSA_DATABASE_URL"], "t") as url:
        yield url


@pytest.fixture
def source_v2(medusa_v2_url) -> MedusaSource:
    source = MedusaSource(medusa_v2_url)
    yield source
    source.dispose()


@pytest.fixture
def medusa_v2_sql(source_v2):
    """Run SQL against the test's Medusa v2 copy (committed at once)."""

    def run(statement: str, **params):
        with source_v2.engine.begin() as conn:
            result = conn.execute(sa.text(statement), params)
            return result.fetchall() if result.returns_rows else result.rowcount

    return run


@pytest.fixture
def strapi_v2(stack_v2) -> StrapiClient:
    client = StrapiClient(stack_v2["STRAPI_URL"], stack_v2["STRAPI_API_TOKEN"])
    yield client
    client.close()


@pytest.fixture
def strapi_v2_sql(stack_v2):
    """Read the v2 test stack's Strapi tables directly (a document's rows per locale and status, indexes)."""
    run, engine = sql_reader(stack_v2["STRAPI_DATABASE_URL"])
    yield run
    engine.dispose()


@pytest.fixture
def clean_strapi_v2(strapi_v2, mappings_v2) -> StrapiClient:
    """The v2 test stack's Strapi with every synced content type emptied."""
    return empty(strapi_v2, mappings_v2)
