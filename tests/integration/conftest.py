"""Fixtures for tests against the real stack (scripts/stack up): real Postgres, real Strapi over HTTP.

Each test gets its own copy of the Medusa demo database (CREATE DATABASE ... TEMPLATE), so tests can
change Medusa freely; Strapi is shared, and `clean_strapi` empties the synced content types.
"""

from __future__ import annotations

import os
import shlex
import subprocess
import sys
from pathlib import Path

import pytest
import requests
import sqlalchemy as sa

from pipelines.medusa.source import MedusaSource
from pipelines.mapping import MappingSet, load_mappings
from pipelines.settings import REPO_MAPPINGS_DIR
from pipelines.strapi.client import StrapiClient

REPO = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(REPO / "scripts"))

from throwaway_db import database_copy  # noqa: E402  (scripts/ is not a package)


def pytest_collection_modifyitems(items):
    for item in items:
        if "tests/integration" in str(item.fspath):
            item.add_marker(pytest.mark.integration)


def _stack_env() -> dict[str, str]:
    names = ("MEDUSA_DATABASE_URL", "STRAPI_URL", "STRAPI_API_TOKEN")
    if all(os.environ.get(n) for n in names):
        return {n: os.environ[n] for n in names}
    out = subprocess.run([str(REPO / "scripts" / "stack"), "env"], capture_output=True, text=True)
    env = {}
    if out.returncode == 0:
        for word in shlex.split(out.stdout.replace("export ", "", 1)):
            key, _, value = word.partition("=")
            env[key] = value
    return env


@pytest.fixture(scope="session")
def stack() -> dict[str, str]:
    """The running stack's settings; skips (or fails with REQUIRE_STACK=1) when it is not up."""
    env = _stack_env()
    problem = None
    if not env.get("STRAPI_URL"):
        problem = "no stack settings: run `scripts/stack up`"
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
def mappings() -> MappingSet:
    return load_mappings(REPO_MAPPINGS_DIR)


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


@pytest.fixture
def strapi(stack) -> StrapiClient:
    client = StrapiClient(stack["STRAPI_URL"], stack["STRAPI_API_TOKEN"])
    yield client
    client.close()


@pytest.fixture
def clean_strapi(strapi, mappings) -> StrapiClient:
    """Strapi with every synced content type emptied (dependents first)."""
    for spec in reversed(mappings.specs):
        for entry in list(strapi.iter_entries(spec.plural, fields=["medusa_id"])):
            strapi.delete(spec.plural, entry["documentId"])
    return strapi
