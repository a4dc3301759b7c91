"""Secrets are cleaned where they enter, and redacted from whatever leaves the process."""

import logging

import pytest

from pipelines.secrets import RedactingFilter, SecretError, clean_secret, describe_error, redact, remember
from pipelines.settings import Settings, SettingsError
from pipelines.strapi.client import StrapiClient

TOKEN = "tok_" + "5e" * 20


def test_surrounding_whitespace_is_stripped():
    assert clean_secret("STRAPI_API_TOKEN", f"  {TOKEN}\n") == TOKEN
    settings = Settings.from_env({"MEDUSA_DATABASE_URL": "postgresql://u@h/db\n", "STRAPI_URL": "http://x ",
                                  "STRAPI_API_TOKEN": TOKEN + "\r\n"})
    assert settings.strapi_api_token == TOKEN and settings.strapi_url == "http://x"
    assert TOKEN not in repr(settings)


@pytest.mark.parametrize("value", [f"{TOKEN} {TOKEN}", f"{TOKEN}\n{TOKEN}", f"Bearer\t{TOKEN}", f"{TOKEN}\x00x", f"{TOKEN}\x7fx"])
def test_inner_whitespace_or_control_characters_are_refused_without_echo(value):
    with pytest.raises(SecretError) as error:
        clean_secret("STRAPI_API_TOKEN", value)
    assert "STRAPI_API_TOKEN" in str(error.value) and TOKEN not in str(error.value)
    with pytest.raises(SettingsError) as error:
        Settings.from_env({"MEDUSA_DATABASE_URL": "postgresql://u@h/db", "STRAPI_URL": "http://x", "STRAPI_API_TOKEN": value})
    assert TOKEN not in str(error.value)
    with pytest.raises(SecretError):
        StrapiClient("http://127.0.0.1:9", value)


def test_remembered_secrets_are_redacted_from_text_exceptions_and_logs(caplog):
    remember(TOKEN, "abc", None)  # too short to redact safely: ignored
    assert redact(f"header 'Bearer {TOKEN}' refused; abc") == "header 'Bearer ***' refused; abc"
    assert describe_error(ValueError(f"bad {TOKEN}")) == "ValueError: bad ***"

    logger = logging.getLogger("test-secrets")
    handler = logging.Handler()
    seen = []
    handler.emit = lambda record: seen.append(record.getMessage() + (record.exc_text or ""))
    handler.addFilter(RedactingFilter())
    logger.addHandler(handler)
    try:
        logger.warning("token %s", TOKEN)
        try:
            raise RuntimeError(TOKEN)
        except RuntimeError:
            logger.exception("failed")
    finally:
        logger.removeHandler(handler)
    assert seen and all(TOKEN not in text for text in seen)
    assert "token ***" in seen[0]


def test_database_password_is_remembered_and_a_bad_url_is_not_echoed():
    from pipelines.medusa.source import SourceError, engine_url

    engine_url("postgresql://user:pw_is_long_enough@127.0.0.1:5432/db")
    assert redact("pw_is_long_enough") == "***"
    with pytest.raises(SourceError) as error:
        engine_url("not a url with pw_secret_value")
    assert "pw_secret_value" not in str(error.value)


# --- a database URL that reads two ways is refused, showing no part of it; every echoed URL is redacted ---

CANARY = "PgCanary-5u"
AMBIGUOUS = [
    f"postgresql://medusa:{CANARY}@after-at@127.0.0.1:5432/medusa",  # SQLAlchemy: password "PgCanary-5u", host "after-at@..."
    f"postgresql://medusa:{CANARY}/after-slash@127.0.0.1:5432/medusa",  # urllib: the host ends at the '/'
    f"postgresql://medusa:{CANARY}#after-hash@127.0.0.1/medusa",
    f"postgresql://medusa:{CANARY}?after-mark@127.0.0.1/medusa",
    f"postgres://127.0.0.1:5432/medusa?options={CANARY}@after-query",  # SQLAlchemy: user "127.0.0.1", host "after-query"
]
FRAGMENTS = (CANARY, "after-at", "after-slash", "after-hash", "after-mark", "after-query")


@pytest.mark.parametrize("url", AMBIGUOUS)
def test_an_ambiguous_database_url_is_refused_showing_no_part_of_its_password(url):
    from pipelines.medusa.source import SourceError, engine_url

    with pytest.raises(SettingsError) as error:
        Settings.from_env({"MEDUSA_DATABASE_URL": url, "STRAPI_URL": "http://x", "STRAPI_API_TOKEN": TOKEN})
    message = str(error.value)
    assert "MEDUSA_DATABASE_URL is ambiguous" in message and "percent-encode the user name and password" in message
    assert not [fragment for fragment in FRAGMENTS if fragment in message], message
    with pytest.raises(SourceError) as error:  # the Dagster resource's way in: the URL reaches the engine directly
        engine_url(url)
    assert "MEDUSA_DATABASE_URL is ambiguous" in str(error.value)
    assert not [fragment for fragment in FRAGMENTS if fragment in str(error.value)]


@pytest.mark.parametrize("url, password", [
    (f"postgresql://medusa:{CANARY}%40after-at@127.0.0.1:5432/medusa", f"{CANARY}@after-at"),  # percent-encoded: one way
    (f"postgresql://medusa:{CANARY}%2Fx%23y%3Fz@127.0.0.1/medusa", f"{CANARY}/x#y?z"),
    (f"postgresql://medusa:{CANARY}:colon@127.0.0.1/medusa", f"{CANARY}:colon"),  # ':' in a password reads one way
    ("postgresql://medusa@127.0.0.1/medusa?application_name=a@b", None),  # '@' after the host is no password's
])
def test_an_encoded_password_reads_one_way_and_is_accepted(url, password):
    from pipelines.medusa.database_url import ambiguity
    from pipelines.medusa.source import engine_url

    assert ambiguity(url) is None
    assert Settings.from_env({"MEDUSA_DATABASE_URL": url, "STRAPI_URL": "http://x", "STRAPI_API_TOKEN": TOKEN})
    assert engine_url(url).password == password


def test_a_password_in_any_url_the_sync_quotes_is_redacted():
    from pipelines.health import Check
    from pipelines.medusa.admin import AdminAccount

    StrapiClient("http://sync:StrapiUrlPw-1@127.0.0.1:9", TOKEN)
    AdminAccount("http://admin:AdminUrlPw%2F2@127.0.0.1:9000", "admin@shop.test", "admin-password")
    assert redact("at http://sync:StrapiUrlPw-1@127.0.0.1:9 and AdminUrlPw/2, AdminUrlPw%2F2") == \
        "at http://sync:***@127.0.0.1:9 and ***, ***"
    assert Check("strapi", True, "http://sync:StrapiUrlPw-1@127.0.0.1:9/_health answers").line() == \
        "ok   strapi: http://sync:***@127.0.0.1:9/_health answers"  # a passing line quotes the URL too
    Settings.from_env({"MEDUSA_DATABASE_URL": "postgresql://u@h/db", "STRAPI_URL": "http://u:SettingsUrlPw-3@x",
                       "STRAPI_API_TOKEN": TOKEN})
    assert redact("SettingsUrlPw-3") == "***"
