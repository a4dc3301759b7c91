"""A Strapi app (by default the bundled one, strapi/) booted on a throwaway database of its own, for tests of what
its bootstrap does with a given environment (the service account, the first admin) and of an app that is not ours
(the plugin installed from its npm package). Generated secrets; loopback only."""

from __future__ import annotations

import os
import secrets
import socket
import subprocess
import time
import uuid
from pathlib import Path

import requests

REPO = Path(__file__).resolve().parents[2]
APP = REPO / "strapi"


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


class BundledStrapi:
    """Boots the Strapi app in `app` (default `strapi/`) on a new database (dropped by `close()`); `boot(env)` starts
    it, `stop()` stops it."""

    def __init__(self, pg_host: str = "127.0.0.1", pg_port: int = 5432, pg_user: str = "postgres", app: Path = APP):
        self.app = app
        self.database = f"strapi_boot_{uuid.uuid4().hex[:8]}"
        self.pg = {"PGHOST": pg_host, "PGPORT": str(pg_port), "PGUSER": pg_user}
        subprocess.run(["createdb", self.database], check=True, env={**os.environ, **self.pg})
        self.secrets = {"APP_KEYS": f"{secrets.token_urlsafe(16)},{secrets.token_urlsafe(16)}",
                        **{name: secrets.token_urlsafe(24) for name in
                           ("API_TOKEN_SALT", "ADMIN_JWT_SECRET", "TRANSFER_TOKEN_SALT", "JWT_SECRET", "ENCRYPTION_KEY")}}
        self.port = _free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.process: subprocess.Popen | None = None
        self.log = b""

    def boot(self, env: dict[str, str], timeout: float = 120) -> bool:
        """Start with `env` added; True once healthy, False if it exited (its output in `self.log`)."""
        full = {"PATH": os.environ["PATH"], "HOME": os.environ.get("HOME", "/tmp"), **self.secrets, "HOST": "127.0.0.1",
                "PORT": str(self.port), "NODE_ENV": "production", "STRAPI_TELEMETRY_DISABLED": "true",
                "DATABASE_HOST": self.pg["PGHOST"], "DATABASE_PORT": self.pg["PGPORT"], "DATABASE_NAME": self.database,
                "DATABASE_USERNAME": self.pg["PGUSER"], **env}
        self.process = subprocess.Popen(["node", "node_modules/@strapi/strapi/bin/strapi.js", "start"], cwd=self.app, env=full,
                                        stdout=subprocess.PIPE, stderr=subprocess.STDOUT, start_new_session=True)
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                self.log = self.process.stdout.read()
                return False
            try:
                if requests.get(f"{self.url}/_health", timeout=2).status_code == 204:
                    return True
            except requests.RequestException:
                pass
            time.sleep(0.5)
        raise TimeoutError(f"the Strapi app in {self.app} did not come up in {timeout:.0f} s")

    def stop(self) -> None:
        if self.process and self.process.poll() is None:
            os.killpg(self.process.pid, 15)
            try:
                self.process.wait(30)
            except subprocess.TimeoutExpired:
                os.killpg(self.process.pid, 9)
                self.process.wait()
        if self.process and self.process.stdout:
            self.log += self.process.stdout.read() or b""
        self.process = None

    def close(self) -> None:
        self.stop()
        subprocess.run(["dropdb", "--force", "--if-exists", self.database], env={**os.environ, **self.pg}, check=False)
