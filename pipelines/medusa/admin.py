"""Medusa's Admin API, for the write-back: Medusa validates the change, emits its events and sets
`updated_at` as if an admin had edited the row in Medusa's dashboard.

One requests session with the sync's bounded retries; an admin user logs in once (Medusa v2:
`POST /auth/user/emailpass`; v1: `POST /admin/auth/token`, tried when v2's route is absent) and the JWT is
shared by threads and renewed once on 401. Credentials come from MEDUSA_ADMIN_EMAIL / MEDUSA_ADMIN_PASSWORD.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any
from urllib.parse import quote

import requests
from requests.adapters import HTTPAdapter

from ..jwt_login import NO_AUTH, JwtLogin
from ..secrets import clean_secret, remember, remember_url
from ..http_retry import TIMEOUT, build_retry
from .admin_routes import ADMIN_ROUTES

V2_LOGIN, V1_LOGIN = "/auth/user/emailpass", "/admin/auth/token"


class MedusaAdminError(Exception):
    """Medusa's Admin API refused a request (`status`: its HTTP status), or cannot be reached (`status` None)."""

    def __init__(self, message: str, *, status: int | None = None):
        super().__init__(message)
        self.status = status


@dataclass(frozen=True)
class AdminAccount:
    """A Medusa admin user (MEDUSA_ADMIN_EMAIL / MEDUSA_ADMIN_PASSWORD)."""

    url: str
    email: str
    password: str = field(repr=False)

    def __post_init__(self) -> None:
        remember(self.password)
        remember_url(self.url)


class MedusaAdmin:
    """Updates rows through Medusa's Admin API as an admin user."""

    def __init__(self, account: AdminAccount, *, timeout: tuple[float, float] = TIMEOUT, retries: int = 4):
        self.base_url = account.url.rstrip("/")
        self.timeout = timeout
        self.session = requests.Session()
        adapter = HTTPAdapter(max_retries=build_retry(retries), pool_maxsize=8)
        self.session.mount("http://", adapter)
        self.session.mount("https://", adapter)
        self.session.headers.update({"Accept": "application/json", "User-Agent": "medusa-strapi-sync"})
        self._account = account
        self.login = JwtLogin(self._login)
        self.session.auth = self.login

    def __repr__(self) -> str:
        return f"MedusaAdmin({self.base_url!r})"

    def close(self) -> None:
        """Close pooled connections."""
        self.session.close()

    def _login(self) -> str:
        body = {"email": self._account.email, "password": self._account.password}
        for path, field_name in ((V2_LOGIN, "token"), (V1_LOGIN, "access_token")):
            response = self._send("POST", path, json=body, auth=NO_AUTH)
            if response.status_code == 404:
                continue  # the other Medusa major version's route
            if response.status_code in (400, 401, 403):
                raise MedusaAdminError(f"Medusa refused the login of MEDUSA_ADMIN_EMAIL {self._account.email!r} "
                                       f"({_reason(response)}): check MEDUSA_ADMIN_EMAIL and MEDUSA_ADMIN_PASSWORD")
            if response.status_code >= 400:
                raise MedusaAdminError(f"the Admin API login answered {response.status_code} ({_reason(response)})")
            token = response.json().get(field_name)
            if token:
                return clean_secret("Medusa's admin JWT", token)
        raise MedusaAdminError(f"{self.base_url} has no Medusa admin login route ({V2_LOGIN} or {V1_LOGIN})")

    def _send(self, method: str, path: str, **kwargs: Any) -> requests.Response:
        try:
            return self.session.request(method, f"{self.base_url}{path}", timeout=self.timeout, **kwargs)
        except (requests.ConnectionError, requests.Timeout) as exc:
            raise MedusaAdminError(f"Medusa's Admin API at {self.base_url} is unreachable: {type(exc).__name__}") from None

    def check_login(self) -> None:
        """Log in now (MedusaAdminError when refused), instead of at the first write."""
        self.login.current()

    def reachable(self) -> bool:
        """GET /health answers 200."""
        return self._send("GET", "/health", auth=NO_AUTH).status_code == 200

    def update(self, table: str, key: str, values: dict[str, Any]) -> None:
        """POST the new `values` of the row `key` of `table` to its Admin API route."""
        path = ADMIN_ROUTES[table].format(id=quote(str(key), safe=""))
        response = self._send("POST", path, json=values)
        if response.status_code >= 400:
            raise MedusaAdminError(f"POST {path} -> {response.status_code}: {_reason(response)}", status=response.status_code)


def _reason(response: requests.Response) -> str:
    try:
        body = response.json()
    except ValueError:
        return response.text[:300] or response.reason
    return str(body.get("message") or (body.get("error") or {}).get("message") or body.get("type") or response.reason)[:300]
