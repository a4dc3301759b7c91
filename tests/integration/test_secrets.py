"""Secrets never reach output, logs or Dagster's storage; a pasted token with a trailing newline works."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[2]
CANARY = "canary" + "7f3a9c" * 6


def run(*args: str, env: dict[str, str], cwd: Path = REPO) -> subprocess.CompletedProcess:
    return subprocess.run(list(args), env={**os.environ, **env}, capture_output=True, text=True, timeout=300, cwd=cwd)


def cli(*args: str, env: dict[str, str]) -> subprocess.CompletedProcess:
    return run(sys.executable, "-m", "pipelines.cli", *args, env=env)


def test_token_with_a_trailing_newline_is_stripped(stack, medusa_url, clean_strapi):
    """Issue 7.3: `STRAPI_API_TOKEN="$TOKEN"$'\\n'` made requests raise InvalidHeader, printing the token."""
    result = cli("sync", "--only", "currency", env={**stack, "MEDUSA_DATABASE_URL": medusa_url,
                                                    "STRAPI_API_TOKEN": stack["STRAPI_API_TOKEN"] + "\n"})
    assert result.returncode == 0, result.stderr
    assert stack["STRAPI_API_TOKEN"] not in result.stdout + result.stderr


@pytest.mark.parametrize("token", [f"{CANARY} {CANARY}", f"{CANARY}\n{CANARY}", f"Bearer\t{CANARY}", f"{CANARY}\r{CANARY}"])
def test_token_with_inner_whitespace_is_refused_without_echoing_it(stack, medusa_url, token):
    result = cli("sync", "--only", "currency", env={**stack, "MEDUSA_DATABASE_URL": medusa_url, "STRAPI_API_TOKEN": token})
    assert result.returncode == 2
    assert "STRAPI_API_TOKEN" in result.stderr
    assert CANARY not in result.stdout + result.stderr


def test_database_password_is_never_printed(stack, medusa_url):
    url = medusa_url.replace("postgresql://postgres@", f"postgresql://postgres:{CANARY}@").replace("5432", "9")
    result = cli("sync", "--only", "currency", env={**stack, "MEDUSA_DATABASE_URL": url})
    assert result.returncode != 0
    assert CANARY not in result.stdout + result.stderr
    malformed = cli("sync", env={**stack, "MEDUSA_DATABASE_URL": f"postgresql://postgres:{CANARY}@127.0.0.1:notaport/x"})
    assert malformed.returncode != 0
    assert CANARY not in malformed.stdout + malformed.stderr


def _grep(root: Path, needle: str) -> list[str]:
    hits = []
    for path in root.rglob("*"):
        if path.is_file() and needle.encode() in path.read_bytes():
            hits.append(str(path.relative_to(root)))
    return hits


@pytest.mark.parametrize("suffix", ["\n", f" {CANARY}"])
def test_dagster_runs_store_no_token(stack, medusa_url, clean_strapi, tmp_path, suffix):
    """A run with a pasted token (trailing newline: works; inner whitespace: refused) leaves no trace of it
    in Dagster's run storage, event log or compute logs."""
    home = tmp_path / "dagster_home"
    home.mkdir()
    token = stack["STRAPI_API_TOKEN"] + suffix
    result = run(
        str(REPO / ".venv" / "bin" / "dagster"), "asset", "materialize", "-m", "assets.definitions",
        "--select", "strapi/currency",
        env={**stack, "MEDUSA_DATABASE_URL": medusa_url, "STRAPI_API_TOKEN": token, "DAGSTER_HOME": str(home)},
    )
    output = result.stdout + result.stderr
    if suffix == "\n":
        assert result.returncode == 0, output[-3000:]
    else:
        assert result.returncode != 0
        assert "STRAPI_API_TOKEN" in output
    for secret in (stack["STRAPI_API_TOKEN"], CANARY):
        assert secret not in output
        assert _grep(home, secret) == [], f"{secret[:6]}… stored in Dagster's files"
    assert any(home.rglob("*.db")), "the run left no storage to check"
