"""Secrets: cleaned once where they enter, remembered, and redacted from any text that leaves the process.

A value pasted with a trailing newline is stripped; one with whitespace or control characters inside is
refused with a message that names the variable, never the value. Every secret in use is remembered so
that error text from libraries (which may quote a header or a URL) can be redacted before it is printed,
logged or stored in Dagster.
"""

from __future__ import annotations

import logging
import threading
from urllib.parse import unquote

REDACTED = "***"
MIN_REDACTED_LENGTH = 4  # shorter values (e.g. a one-letter password) would redact ordinary words

_known: set[str] = set()
_lock = threading.Lock()


class SecretError(ValueError):
    """A secret's value is unusable; the message names the variable, never the value."""


def clean_secret(name: str, value: str) -> str:
    """`value` without surrounding whitespace; SecretError if whitespace or control characters remain inside."""
    cleaned = value.strip()
    if any(ch.isspace() or ord(ch) < 32 or ord(ch) == 127 for ch in cleaned):
        raise SecretError(
            f"{name} has whitespace or control characters inside it (its value is not shown); "
            "copy it again without line breaks or spaces"
        )
    if not cleaned:
        raise SecretError(f"{name} is empty")
    remember(cleaned)
    return cleaned


def remember(*secrets: str | None) -> None:
    """Add values to redact from everything this process prints, logs or stores."""
    with _lock:
        _known.update(s for s in secrets if s and len(s) >= MIN_REDACTED_LENGTH)


def remember_url(url: str | None) -> None:
    """Remember the password a URL may carry (`scheme://user:password@host`), as written and decoded, so that
    whatever quotes the URL (a client's base URL in an error, a health line) is redacted."""
    if not url or "@" not in url:
        return
    rest = url.partition("://")[2]
    userinfo = rest.rpartition("@")[0]
    password = userinfo.partition(":")[2]
    remember(password, unquote(password), *password.split("@"))


def redact(text: str) -> str:
    """`text` with every remembered secret replaced by ***."""
    with _lock:
        secrets = sorted(_known, key=len, reverse=True)
    for secret in secrets:
        if secret in text:
            text = text.replace(secret, REDACTED)
    return text


def describe_error(exc: BaseException) -> str:
    """`Type: message` of an exception, redacted; safe to print, log or put in Dagster metadata."""
    message = str(exc)
    return redact(f"{type(exc).__name__}: {message}" if message else type(exc).__name__)


class RedactingFilter(logging.Filter):
    """A logging filter that redacts remembered secrets from messages, arguments and tracebacks."""

    def filter(self, record: logging.LogRecord) -> bool:
        record.msg = redact(record.getMessage())
        record.args = None
        if record.exc_info:
            record.exc_text = redact(logging.Formatter().formatException(record.exc_info))
            record.exc_info = None
        return True
