"""The `medusa-strapi` console script against the real stack."""

from __future__ import annotations

import os
import subprocess
import sys


def run_cli(*args: str, env: dict[str, str]) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-m", "pipelines.cli", *args],
        env={**os.environ, **env}, capture_output=True, text=True, timeout=300,
    )


def test_sync_prints_counts_and_is_idempotent(stack, medusa_url, clean_strapi):
    env = {**stack, "MEDUSA_DATABASE_URL": medusa_url}
    first = run_cli("sync", env=env)
    assert first.returncode == 0, first.stderr
    assert "product: read=" in first.stdout and "failed=0" in first.stdout
    second = run_cli("sync", "--only", "product", env=env)
    assert second.returncode == 0, second.stderr
    assert "created=0 updated=0" in second.stdout
    assert stack["STRAPI_API_TOKEN"] not in first.stdout + first.stderr + second.stdout + second.stderr


def test_sync_exits_non_zero_when_a_row_fails(stack, medusa_url, clean_strapi):
    # no collection in Strapi: products that belong to one cannot be linked
    result = run_cli("sync", "--only", "product", env={**stack, "MEDUSA_DATABASE_URL": medusa_url})
    assert result.returncode == 1
    assert "is not in Strapi" in result.stderr


def test_unreachable_strapi_is_a_clear_error(stack, medusa_url):
    result = run_cli("sync", env={**stack, "MEDUSA_DATABASE_URL": medusa_url, "STRAPI_URL": "http://127.0.0.1:9"})
    assert result.returncode == 1
    assert "Strapi at http://127.0.0.1:9 is unreachable" in result.stderr


def test_wrong_token_is_a_clear_error(stack, medusa_url):
    result = run_cli("sync", env={**stack, "MEDUSA_DATABASE_URL": medusa_url, "STRAPI_API_TOKEN": "wrong"})
    assert result.returncode == 1
    assert "401" in result.stderr


def test_unknown_only_type_is_a_usage_error(stack, medusa_url):
    result = run_cli("sync", "--only", "prodcut", env={**stack, "MEDUSA_DATABASE_URL": medusa_url})
    assert result.returncode == 2
    assert "unknown content type 'prodcut'" in result.stderr


def test_missing_environment_is_named():
    env = {k: v for k, v in os.environ.items() if k not in ("MEDUSA_DATABASE_URL", "STRAPI_URL", "STRAPI_API_TOKEN")}
    result = subprocess.run([sys.executable, "-m", "pipelines.cli", "sync"], env=env, capture_output=True, text=True)
    assert result.returncode == 2
    assert "MEDUSA_DATABASE_URL" in result.stderr
