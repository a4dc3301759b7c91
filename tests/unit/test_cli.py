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


def test_a_database_url_with_an_unencoded_at_leaks_nothing_in_validate_sync_or_health(environment, capsys):
    # SQLAlchemy splits at the first '@': the rest of the password became the host, quoted by "cannot resolve host"
    environment({**GOOD, "MEDUSA_DATABASE_URL": f"postgresql://medusa:{PASSWORD}@rest-of-it@127.0.0.1:9/medusa"})
    code, output = _run(capsys, "validate")
    assert "medusa: SKIPPED" in output and "MEDUSA_DATABASE_URL is ambiguous" in output and "percent-encode" in output
    assert PASSWORD not in output and "rest-of-it" not in output, output
    for argv in (["sync"], ["health"]):
        code, output = _run(capsys, *argv)
        assert code == EXIT_USAGE and "MEDUSA_DATABASE_URL is ambiguous" in output, output
        assert PASSWORD not in output and "rest-of-it" not in output, output


def test_validate_redacts_the_password_the_database_driver_quotes(environment, capsys):
    # the driver quotes a connection parameter it refuses, which here holds the password
    environment({**GOOD, "MEDUSA_DATABASE_URL": f"postgresql://medusa:{PASSWORD}@127.0.0.1:9/medusa?sslmode={PASSWORD}"})
    code, output = _run(capsys, "validate")
    assert "medusa: SKIPPED" in output and "invalid sslmode value" in output, output
    assert PASSWORD not in output, output


# --- credentials Strapi refuses: named by their variables, on every command that talks to Strapi ---

from pipelines import validate  # noqa: E402

from .fake_http import ScriptedServer  # noqa: E402

TOKEN = GOOD["STRAPI_API_TOKEN"]
UNAUTHORIZED = (401, {}, {"data": None, "error": {"status": 401, "name": "UnauthorizedError",
                                                   "message": "Missing or invalid credentials"}})


def _strapi_refusing_credentials(method: str, path: str):
    """A Strapi that is up and refuses every credential; beside it, a Medusa Admin API that lets its admin in."""
    if path == "/_health":
        return 204, {}, None
    if path == "/auth/user/emailpass":
        return 200, {}, {"token": "medusa-admin-jwt-" + "8k" * 10}
    if path == "/api/auth/local":
        return 400, {}, {"data": None, "error": {"status": 400, "name": "ValidationError",
                                                 "message": "Invalid identifier or password"}}
    return UNAUTHORIZED


@pytest.fixture
def refusing_strapi(environment, monkeypatch):
    """The settings of a Strapi that refuses the credentials; Medusa's database taken as matching the mappings
    (no database here: the runs' checks meet Strapi's refusal first)."""
    monkeypatch.setattr(validate, "check_database", lambda *args, **kwargs: [])
    with ScriptedServer(_strapi_refusing_credentials) as server:
        environment({**GOOD, "MEDUSA_DATABASE_URL": f"postgresql://medusa:{PASSWORD}@127.0.0.1:9/medusa",
                     "STRAPI_URL": server.url, **ADMIN, "MEDUSA_ADMIN_URL": server.url})
        yield server


@pytest.mark.parametrize("argv", [["sync"], ["sync", "--changes"], ["reconcile"], ["plan"], ["quarantine"],
                                  ["quarantine", "retry"], ["write-back"], ["write-back", "--dry-run"],
                                  ["backfill", "--only", "product", "--from", "2024-01-01", "--to", "2024-02-01"]])
def test_a_refused_token_is_named_as_the_setting(refusing_strapi, capsys, argv):
    code, output = _run(capsys, *argv)
    assert code == 1
    assert f"error: STRAPI_API_TOKEN was refused by Strapi at {refusing_strapi.url}: GET /api/" in output, output
    assert output.rstrip().endswith("-> 401: Missing or invalid credentials"), output
    assert TOKEN not in output and PASSWORD not in output


def test_a_refused_service_account_login_is_named_as_its_settings(refusing_strapi, monkeypatch, capsys):
    monkeypatch.delenv("STRAPI_API_TOKEN")
    monkeypatch.setenv("STRAPI_IDENTIFIER", "sync@shop.test")
    monkeypatch.setenv("STRAPI_PASSWORD", PASSWORD)
    code, output = _run(capsys, "sync")
    assert code == 1
    assert (f"error: the login of STRAPI_IDENTIFIER/STRAPI_PASSWORD was refused by Strapi at {refusing_strapi.url}: "
            "POST /api/auth/local -> 401: Strapi refused the login of STRAPI_IDENTIFIER 'sync@shop.test' "
            "(Invalid identifier or password)") in output, output
    assert PASSWORD not in output


def test_health_and_validate_name_the_refused_token(refusing_strapi, capsys):
    code, output = _run(capsys, "health")
    assert code == 1
    assert (f"FAIL strapi credentials: STRAPI_API_TOKEN was refused by Strapi at {refusing_strapi.url}: "
            "GET /api/sync-states -> 401: Missing or invalid credentials") in output, output
    code, output = _run(capsys, "validate")
    assert (f"strapi: {refusing_strapi.url} not usable (STRAPI_API_TOKEN was refused by Strapi at {refusing_strapi.url}: "
            "GET /api/content-type-builder/content-types -> 401: Missing or invalid credentials)") in output, output
    assert TOKEN not in output and PASSWORD not in output


def test_a_missing_permission_is_not_taken_for_refused_credentials(capsys):
    from pipelines.errors import error_text
    from pipelines.strapi.client import StrapiAuthError

    lacking = StrapiAuthError("GET", "/api/products", 403, "the API token lacks the permission(s) delete on products",
                              credentials="API token", base_url="http://127.0.0.1:1337")
    assert error_text(lacking) == "GET /api/products -> 403: the API token lacks the permission(s) delete on products"


def test_the_help_says_what_scripts_stack_env_sets():
    import re
    from pathlib import Path

    from pipelines.cli import ENVIRONMENT

    stack = (Path(__file__).resolve().parents[2] / "scripts" / "stack").read_text()
    cmd_env = stack[stack.index("\ncmd_env() {"):]
    cmd_env = cmd_env[:cmd_env.index("\n}\n")]
    exported = set(re.findall(r"\$\{prefix\}([A-Z_]+)=", cmd_env))
    assert {"MEDUSA_DATABASE_URL", "STRAPI_URL", "STRAPI_API_TOKEN", "MAPPINGS_DIR"} <= exported
    local_stack = ENVIRONMENT[ENVIRONMENT.index("local stack:"):]
    for name in exported | {"MEDIA_ALLOWED_HOSTS", "MEDIA_ALLOW_NETWORKS"}:  # MEDIA_*: the demo's, exported by another change
        assert name in local_stack, name
    assert "all four" not in ENVIRONMENT
