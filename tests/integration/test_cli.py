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


def test_one_result_line_per_type_a_version_and_help_that_names_the_environment(stack, medusa_url, clean_strapi):
    result = run_cli("sync", env={**stack, "MEDUSA_DATABASE_URL": medusa_url})
    assert result.returncode == 0, result.stderr
    lines = result.stdout.splitlines()
    assert sum(1 for line in lines if line.startswith("product:")) == 1  # no "so far" echo of the same figures
    assert lines[-1].startswith("done: 19 content types")
    assert "INFO" not in result.stderr
    version = run_cli("--version", env={})
    assert version.returncode == 0 and version.stdout.startswith("medusa-strapi 0.")
    for command in ("sync", "reconcile", "plan", "backfill", "quarantine"):
        text = run_cli(command, "--help", env={}).stdout
        assert "MEDUSA_DATABASE_URL, STRAPI_URL, STRAPI_API_TOKEN" in text, command
    plan_help = run_cli("plan", "--help", env={}).stdout
    assert "--concurrency" not in plan_help and "--allow-mass-delete" not in plan_help and "Writes nothing" in plan_help


def test_progress_bars_with_totals_on_a_terminal(stack, medusa_url, clean_strapi):
    """On a terminal (a pty, through `script`), each type shows a bar with rows done of the total, and an ETA."""
    env = {**os.environ, **stack, "MEDUSA_DATABASE_URL": medusa_url, "COLUMNS": "120", "TERM": "xterm"}
    command = f"{sys.executable} -m pipelines.cli reconcile --only currency --chunk-size 10"
    result = subprocess.run(["script", "-qec", command, "/dev/null"], env=env, capture_output=True, text=True, timeout=300)
    assert result.returncode == 0, result.stdout + result.stderr
    import re

    screen = re.sub(r"\x1b\[[0-9;?]*[A-Za-z]", "", result.stdout).replace(" ", "")
    assert "ETA" in screen and "/120rows" in screen, screen[-2000:]
    assert "currency:read=120" in screen  # the result line stays when the bar goes


def test_the_suite_refuses_to_empty_a_strapi_it_did_not_start(mappings):
    import pytest

    from pipelines.strapi.client import StrapiClient

    from .conftest import empty

    with pytest.raises(pytest.fail.Exception, match="refusing to empty http://127.0.0.1:1337"):
        empty(StrapiClient("http://127.0.0.1:1337", "not-used"), mappings)
