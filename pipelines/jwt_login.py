"""Bearer-JWT authentication for a requests session: log in once, share the JWT between threads, and log
in again once when an answer is 401. Used for Strapi's service account and Medusa's Admin API."""

from __future__ import annotations

import threading
from typing import Any, Callable

import requests
from requests.auth import AuthBase


class _NoAuth(AuthBase):
    """Sends a request without the session's authentication (the login itself, health probes)."""

    def __call__(self, request: requests.PreparedRequest) -> requests.PreparedRequest:
        return request


NO_AUTH = _NoAuth()


class JwtLogin(AuthBase):
    """requests authentication with a cached JWT, shared by the threads of one session; renewed once on 401.

    `login()` returns a fresh JWT (it is called under a lock: concurrent requests that all find the JWT
    stale wait for one login).
    """

    def __init__(self, login: Callable[[], str]):
        self._login = login
        self._jwt: str | None = None
        self._lock = threading.Lock()
        self.logins = 0  # how many times this process logged in (tests and metrics)

    def __repr__(self) -> str:
        return "JwtLogin(<jwt hidden>)"

    def current(self, stale: str | None = None) -> str:
        """The JWT in use; a new one when there is none yet, or when the caller found `stale` refused."""
        with self._lock:
            if self._jwt is None or (stale is not None and self._jwt == stale):
                self._jwt = self._login()
                self.logins += 1
            return self._jwt

    def __call__(self, request: requests.PreparedRequest) -> requests.PreparedRequest:
        jwt = self.current()
        request.headers["Authorization"] = f"Bearer {jwt}"
        request.register_hook("response", self._renew_on_401)
        return request

    def _renew_on_401(self, response: requests.Response, **send_kwargs: Any) -> requests.Response:
        request = response.request
        if response.status_code != 401 or request.headers.get("X-Medusa-Sync-Login-Renewed"):
            return response
        used = request.headers.get("Authorization", "").removeprefix("Bearer ")
        jwt = self.current(stale=used)
        response.content  # noqa: B018 - read it so the connection goes back to the pool
        response.close()
        again = request.copy()
        again.headers["Authorization"] = f"Bearer {jwt}"
        again.headers["X-Medusa-Sync-Login-Renewed"] = "1"  # once: a second 401 is the answer
        retried = response.connection.send(again, **send_kwargs)
        retried.history.append(response)
        retried.request = again
        return retried
