"""The `medusa-strapi` command line without services: its options, and the errors that name a setting."""

from __future__ import annotations

import logging

import pytest

from pipelines.cli import _parser


@pytest.mark.parametrize("argv, quiet, verbose", [
    (["sync"], False, False),
    (["-q", "sync"], True, False),
    (["sync", "-q"], True, False),
    (["sync", "--quiet"], True, False),
    (["-v", "reconcile"], False, True),
    (["reconcile", "--only", "product", "-v"], False, True),
    (["-q", "plan", "-v"], True, True),
    (["quarantine", "retry", "-q"], True, False),
    (["health", "--verbose"], False, True),
])
def test_quiet_and_verbose_go_before_or_after_the_command(argv, quiet, verbose):
    args = _parser().parse_args(argv)
    assert (args.quiet, args.verbose) == (quiet, verbose)


# --- settings errors: every missing variable at once, and values that are not URLs, named (exit 2) ---

from pipelines.cli import EXIT_USAGE, main  # noqa: E402
from pipelines.settings import Settings, SettingsError  # noqa: E402

PASSWORD = "pw-" + "7q" * 10
SETTINGS = ("MEDUSA_DATABASE_URL", "STRAPI_URL", "STRAPI_API_TOKEN", "STRAPI_IDENTIFIER", "STRAPI_PASSWORD",
            "MEDUSA_ADMIN_URL", "MEDUSA_ADMIN_EMAIL", "MEDUSA_ADMIN_PASSWORD", "MAPPINGS_DIR", "STRAPI_CA_BUNDLE",
            "WRITE_PATH_FULL", "WRITE_PATH_CHANGES", "MEDIA_ALLOWED_HOSTS", "MEDIA_ALLOW_NETWORKS", "STRAPI_MAX_WRITERS")
GOOD = {"MEDUSA_DATABASE_URL": f"postgresql://medusa:{PASSWORD}@127.0.0.1:5432/medusa", "STRAPI_URL": "http://127.0.0.1:1337",
        "STRAPI_API_TOKEN": "tok-" + "3c" * 20}
ADMIN = {"MEDUSA_ADMIN_URL": "http://127.0.0.1:9000", "MEDUSA_ADMIN_EMAIL": "admin@shop.test", "MEDUSA_ADMIN_PASSWORD": PASSWORD}


@pytest.fixture(autouse=True)
def _root_logger_restored():
    """`main` sets up logging for the process: put the root logger back for the tests after."""
    root = logging.getLogger()
    handlers, level = root.handlers[:], root.level
    yield
    root.handlers[:] = handlers
    root.setLevel(level)


@pytest.fixture
def environment(monkeypatch):
    """Set the environment to exactly the settings given (the others unset)."""

    def set_to(values: dict[str, str]) -> None:
        for name in SETTINGS:
            monkeypatch.delenv(name, raising=False)
        for name, value in values.items():
            monkeypatch.setenv(name, value)

    return set_to


def _run(capsys, *argv: str) -> tuple[int, str]:
    code = main(list(argv))
    out, err = capsys.readouterr()
    return code, out + err


COMMANDS = [["sync"], ["sync", "--changes"], ["reconcile"], ["plan"], ["quarantine"], ["quarantine", "retry"], ["health"],
            ["backfill", "--only", "product", "--from", "2024-01-01", "--to", "2024-02-01"], ["write-back"]]


@pytest.mark.parametrize("argv", COMMANDS)
def test_every_missing_variable_is_named_at_once(environment, capsys, argv):
    environment({})
    code, output = _run(capsys, *argv)
    assert code == EXIT_USAGE
    assert ("missing environment variable(s): MEDUSA_DATABASE_URL, STRAPI_URL, "
            "STRAPI_API_TOKEN (or STRAPI_IDENTIFIER + STRAPI_PASSWORD)") in output
    if argv == ["write-back"]:  # the write-back's Admin API is named with them, not in a second round
        assert "MEDUSA_ADMIN_URL, MEDUSA_ADMIN_EMAIL, MEDUSA_ADMIN_PASSWORD" in output
    assert 'eval "$(scripts/stack env)"' in output


def test_missing_and_unusable_settings_are_reported_together():
    with pytest.raises(SettingsError) as error:
        Settings.from_env({"STRAPI_URL": "127.0.0.1:1337", "STRAPI_IDENTIFIER": "sync@shop.test",
                           "MEDUSA_ADMIN_URL": "http://127.0.0.1:9000", "WRITE_PATH_FULL": "fast"})
    message = str(error.value)
    for part in ("MEDUSA_DATABASE_URL", "STRAPI_PASSWORD (STRAPI_IDENTIFIER and STRAPI_PASSWORD go together)",
                 "MEDUSA_ADMIN_EMAIL and MEDUSA_ADMIN_PASSWORD", "STRAPI_URL must be an http:// or https:// URL",
                 "WRITE_PATH_FULL must be one of"):
        assert part in message, message


@pytest.mark.parametrize("name, value, expected", [
    ("STRAPI_URL", "127.0.0.1:1337", "STRAPI_URL must be an http:// or https:// URL such as http://127.0.0.1:1337 "
                                     "(not '127.0.0.1:1337')"),
    ("STRAPI_URL", "localhost:1337", "STRAPI_URL must be an http:// or https:// URL"),
    ("STRAPI_URL", f"strapi:{PASSWORD}@127.0.0.1:1337", "STRAPI_URL must be an http:// or https:// URL such as "
                                                         "http://127.0.0.1:1337 (its value is not shown)"),
    ("MEDUSA_ADMIN_URL", "localhost:9000", "MEDUSA_ADMIN_URL must be an http:// or https:// URL such as "
                                           "http://127.0.0.1:9000 (not 'localhost:9000')"),
    ("MEDUSA_DATABASE_URL", f"127.0.0.1:5432/medusa?password={PASSWORD}", "MEDUSA_DATABASE_URL must be a Postgres URL, "
     "postgresql://user:password@host:5432/database (or postgres://, postgresql+psycopg://): it has no scheme"),
    ("MEDUSA_DATABASE_URL", f"mysql://medusa:{PASSWORD}@127.0.0.1/medusa", "MEDUSA_DATABASE_URL must be a Postgres URL"),
    ("MEDUSA_DATABASE_URL", f"postgresql+psycopg2://medusa:{PASSWORD}@h/medusa", "it starts with 'postgresql+psycopg2://'"),
])
def test_a_url_that_is_not_one_names_its_variable_and_what_is_expected(environment, capsys, name, value, expected):
    environment({**GOOD, **ADMIN, name: value})
    for argv in (["sync"], ["write-back"]):
        code, output = _run(capsys, *argv)
        assert code == EXIT_USAGE and expected in output and PASSWORD not in output, output


@pytest.mark.parametrize("url", ["postgresql://u@h/db", "postgres://u@h:5432/db", "postgresql+psycopg://u@h/db",
                                 "postgresql:///medusa?host=/var/run/postgresql"])
def test_postgres_urls_of_each_accepted_form(url):
    assert Settings.from_env({**GOOD, "MEDUSA_DATABASE_URL": url}).medusa_database_url == url


def test_validate_and_strapi_schema_name_a_database_url_that_is_not_one(environment, capsys):
    environment({"MEDUSA_DATABASE_URL": f"localhost:5432/medusa?password={PASSWORD}", "STRAPI_URL": "localhost:1337"})
    code, output = _run(capsys, "validate")
    assert "medusa: SKIPPED" in output and "MEDUSA_DATABASE_URL must be a Postgres URL" in output
    assert "strapi: STRAPI_URL must be an http:// or https:// URL" in output and PASSWORD not in output
    code, output = _run(capsys, "strapi-schema", "--check")
    assert code == EXIT_USAGE and "MEDUSA_DATABASE_URL must be a Postgres URL" in output and PASSWORD not in output
