"""How the sync proves who it is to Strapi: an API token, or a Users & Permissions service account.

A service account logs in once (`POST /api/auth/local`) and its JWT is reused by every request and thread
of the client; a request answered 401 (the JWT expired, or the user's sessions were revoked) logs in again,
once, and is sent again with the new JWT. The password and the JWT are remembered for redaction and never
logged.
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field
from typing import Any

import requests
from urllib3.exceptions import InvalidHeader
from urllib3.util.retry import Retry

from ..jwt_login import NO_AUTH, JwtLogin
from ..secrets import clean_secret, remember

__all__ = ["API_TOKEN", "LOGIN_PATH", "NO_AUTH", "SERVICE_ACCOUNT", "JwtLogin", "LoginRefused", "ServiceAccount",
           "service_account_login"]

LOGIN_PATH = "/api/auth/local"
API_TOKEN, SERVICE_ACCOUNT = "API token", "service account"  # the two kinds of credentials (StrapiAuthError.credentials)


@dataclass(frozen=True)
class ServiceAccount:
    """A Users & Permissions user the sync logs in as (STRAPI_IDENTIFIER / STRAPI_PASSWORD)."""

    identifier: str
    password: str = field(repr=False)

    def __post_init__(self) -> None:
        remember(self.password)


class LoginRefused(Exception):
    """The service account's login failed: Strapi refused it (wrong identifier or password, blocked user...;
    `refused`), or answered with an error or without a JWT (`refused` False)."""

    def __init__(self, message: str, *, refused: bool = True):
        super().__init__(message)
        self.refused = refused


LOGIN_RATE_LIMIT_WAIT = 330.0  # seconds a login answered 429 keeps trying: Strapi allows 5 logins per 5 minutes per address
LOGIN_PAUSE = 5.0  # between those tries, when Strapi gives no Retry-After


def service_account_login(session: requests.Session, base_url: str, account: ServiceAccount, timeout: Any,
                          verify: Any) -> JwtLogin:
    """The JwtLogin of `account` against Strapi at `base_url`, through `session` (its retries and TLS)."""

    def login() -> str:
        waited = 0.0
        while True:
            response = session.post(
                f"{base_url}{LOGIN_PATH}",
                json={"identifier": account.identifier, "password": account.password},
                auth=NO_AUTH, timeout=timeout, verify=verify,
            )
            if response.status_code != 429 or waited >= LOGIN_RATE_LIMIT_WAIT:
                break
            # Strapi's users-permissions lets one address log in 5 times in 5 minutes (its default ratelimit):
            # runs starting together (backfill partitions, sensors) wait for the window instead of failing.
            pause = min(_retry_after(response) or LOGIN_PAUSE, LOGIN_RATE_LIMIT_WAIT - waited)
            time.sleep(pause)
            waited += pause
        if response.status_code in (400, 401, 403):
            raise LoginRefused(f"Strapi refused the login of STRAPI_IDENTIFIER {account.identifier!r} "
                               f"({_reason(response)}): check STRAPI_IDENTIFIER and STRAPI_PASSWORD")
        if response.status_code >= 400:
            raise LoginRefused(f"the login of {account.identifier!r} failed: {LOGIN_PATH} answered "
                               f"{response.status_code} ({_reason(response)})", refused=False)
        jwt = response.json().get("jwt")
        if not jwt:
            raise LoginRefused(f"Strapi answered the login of {account.identifier!r} without a JWT", refused=False)
        return clean_secret("the service account's JWT", jwt)

    return JwtLogin(login)


def _retry_after(response: requests.Response) -> float | None:
    """Seconds the answer's Retry-After asks for (a number or an HTTP date, as urllib3 reads it), at least 0.5."""
    header = response.headers.get("Retry-After")
    try:
        return max(Retry().parse_retry_after(header), 0.5) if header else None
    except InvalidHeader:
        return None


def _reason(response: requests.Response) -> str:
    try:
        return (response.json().get("error") or {}).get("message") or response.reason
    except ValueError:
        return response.reason
