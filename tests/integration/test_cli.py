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


def test_a_run_of_some_types_is_not_stopped_by_a_typo_in_a_mapping_they_do_not_use(stack, medusa_url, tmp_path):
    import shutil

    from pipelines.settings import SHIPPED_MAPPINGS_DIR

    folder = tmp_path / "mappings"
    shutil.copytree(SHIPPED_MAPPINGS_DIR, folder, ignore=shutil.ignore_patterns("medusa-v2"))
    tag = folder / "product-tag.yaml"
    env = {**stack, "MEDUSA_DATABASE_URL": medusa_url, "MAPPINGS_DIR": str(folder)}
    for typo in (("table: product_tag", "tabel: product_tag"),  # the file does not load
                 ("value: value", "value: valeu")):  # it loads, but names a column Medusa lacks
        tag.write_text((SHIPPED_MAPPINGS_DIR / "product-tag.yaml").read_text().replace(*typo))
        currency = run_cli("sync", "--only", "currency", env=env)
        assert currency.returncode == 0, currency.stderr
        assert "currency: read=" in currency.stdout and "product-tag" not in currency.stderr
        product = run_cli("sync", "--only", "product", env=env)  # product links to product-tag: it waits for it
        assert product.returncode == 1 and "product-tag.yaml:" in product.stderr, product.stderr
        assert "nothing was written" in product.stderr


def test_a_sync_is_recorded_in_the_dagster_instance_of_dagster_home(stack, medusa_url, tmp_path):
    from dagster import DagsterInstance

    from assets.naming import strapi_key

    env = {**stack, "MEDUSA_DATABASE_URL": medusa_url, "DAGSTER_HOME": str(tmp_path)}
    result = run_cli("sync", "--only", "currency", env=env)
    assert result.returncode == 0, result.stderr
    assert f"recorded 1 materialization(s) in the Dagster instance at {tmp_path}" in result.stderr
    with DagsterInstance.from_config(str(tmp_path)) as instance:
        event = instance.get_latest_materialization_event(strapi_key("currency"))
        metadata = {k: v.value for k, v in event.asset_materialization.metadata.items()}
    assert metadata["recorded by"] == "medusa-strapi sync" and metadata["read"] > 100 and metadata["failed"] == 0
    assert stack["STRAPI_API_TOKEN"] not in str(metadata)
