"""Real credentials of every kind a Strapi hands out, made through its own admin and auth APIs, for tests of
what each may do: an admin session (the stack's first admin), API tokens (read-only, custom, full-access) and
an end user's JWT. Everything made is removed by `close()`."""

from __future__ import annotations

import uuid

import requests

TIMEOUT = 30


class StrapiCredentials:
    """Makes credentials on the Strapi at `url`, logged in as its admin (`email`, `password`)."""

    def __init__(self, url: str, email: str, password: str, full_access_token: str):
        self.url = url.rstrip("/")
        self.full_access_token = full_access_token
        answer = requests.post(f"{self.url}/admin/login", json={"email": email, "password": password}, timeout=TIMEOUT)
        answer.raise_for_status()
        self.admin_jwt = answer.json()["data"]["token"]
        self._tokens: list[int] = []
        self._users: list[int] = []

    def _admin(self, method: str, path: str, **kwargs) -> requests.Response:
        return requests.request(method, f"{self.url}{path}", headers={"Authorization": f"Bearer {self.admin_jwt}"},
                                timeout=TIMEOUT, **kwargs)

    def api_token(self, kind: str, permissions: list[str] | None = None) -> str:
        """A new content-API token of `kind` (read-only, custom, full-access); `permissions` for custom ones."""
        body = {"name": f"test-{kind}-{uuid.uuid4().hex[:8]}", "description": "made by the test suite", "type": kind,
                "lifespan": None, **({"permissions": permissions} if permissions is not None else {})}
        answer = self._admin("POST", "/admin/api-tokens", json=body)
        assert answer.status_code == 201, answer.text
        data = answer.json()["data"]
        self._tokens.append(data["id"])
        return data["accessKey"]

    def end_user_jwt(self) -> str:
        """The JWT of a new, confirmed end user in Users & Permissions' default ("Authenticated") role."""
        name = f"shopper-{uuid.uuid4().hex[:8]}"
        password = "Pw-" + uuid.uuid4().hex
        full = {"Authorization": f"Bearer {self.full_access_token}"}
        roles = requests.get(f"{self.url}/api/users-permissions/roles", headers=full, timeout=TIMEOUT).json()["roles"]
        (authenticated,) = [role["id"] for role in roles if role["type"] == "authenticated"]
        answer = requests.post(f"{self.url}/api/users", timeout=TIMEOUT, headers=full, json={
            "username": name, "email": f"{name}@shop.test", "password": password, "confirmed": True, "role": authenticated})
        assert answer.status_code == 201, answer.text
        self._users.append(answer.json()["id"])
        login = requests.post(f"{self.url}/api/auth/local", json={"identifier": name, "password": password}, timeout=TIMEOUT)
        assert login.status_code == 200, login.text
        return login.json()["jwt"]

    def admin_upload(self, content: bytes, name: str, mime: str) -> int:
        """An editor's file: uploaded through the admin panel's API (into the library's root, not "API Uploads")."""
        answer = self._admin("POST", "/upload", files={"files": (name, content, mime)})
        assert answer.status_code in (200, 201), answer.text
        (file,) = answer.json()
        return file["id"]

    def close(self) -> None:
        for token in self._tokens:
            self._admin("DELETE", f"/admin/api-tokens/{token}")
        for user in self._users:
            requests.delete(f"{self.url}/api/users/{user}", headers={"Authorization": f"Bearer {self.full_access_token}"},
                            timeout=TIMEOUT)
