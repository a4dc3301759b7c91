"""The reliability suite (marker `reliability`): it tries to lose, duplicate and leak, against the real
services behind fault-injecting proxies. It shares the integration tests' stacks and fixtures."""

from __future__ import annotations

import os
import subprocess
import sys
import time
from collections import Counter
from pathlib import Path

import pytest
import sqlalchemy as sa

from tests.integration.conftest import (  # noqa: F401  (fixtures)
    clean_strapi,
    mappings,
    medusa_sql,
    medusa_url,
    source,
    stack,
    strapi,
)

REPO = Path(__file__).resolve().parents[2]
GENERATOR = REPO / "scripts" / "generate_catalog.py"


def pytest_collection_modifyitems(items):
    for item in items:
        if "tests/reliability" in str(item.fspath):
            item.add_marker(pytest.mark.reliability)


def cli(*args: str, env: dict[str, str], timeout: float = 300) -> subprocess.CompletedProcess:
    """Run `medusa-strapi` as a user would."""
    return subprocess.run([sys.executable, "-m", "pipelines.cli", *args], env={**os.environ, **env},
                          capture_output=True, text=True, timeout=timeout)


def timed_cli(*args: str, env: dict[str, str]) -> tuple[subprocess.CompletedProcess, float]:
    started = time.monotonic()
    result = cli(*args, env=env)
    return result, time.monotonic() - started


def generate(url: str, products: int, seed: int) -> None:
    """Add a generated catalog to the Medusa database at `url`."""
    subprocess.run([sys.executable, str(GENERATOR), "--database-url", url, "--products", str(products), "--seed", str(seed)],
                   check=True, capture_output=True, timeout=300)


def strapi_duplicates(stack: dict[str, str], mappings) -> dict[str, int]:
    """Duplicate medusa_ids counted in Strapi's own tables (not through its API)."""
    engine = sa.create_engine(stack["STRAPI_DATABASE_URL"].replace("postgresql://", "postgresql+psycopg://", 1))
    found = {}
    try:
        with engine.connect() as conn:
            for spec in mappings:
                table = spec.plural.replace("-", "_")
                rows = conn.execute(sa.text(f'select medusa_id, count(*) from "{table}" group by 1 having count(*) > 1')).fetchall()
                if rows:
                    found[spec.content_type] = len(rows)
    finally:
        engine.dispose()
    return found


def entry_counts(strapi, mappings) -> Counter:
    return Counter({spec.content_type: sum(1 for _ in strapi.iter_entries(spec.plural)) for spec in mappings})
