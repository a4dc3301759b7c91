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
