"""What the servers `scripts/stack up` starts expose: loopback only, no stack traces in answers, no secret on
any process's command line (where every local user can read it)."""

from __future__ import annotations

import os
from pathlib import Path
from urllib.parse import urlsplit

import pytest
import requests

LISTEN = "0A"
LOOPBACK = {"0100007F", "00000000000000000000000001000000"}  # 127.0.0.1 and ::1 as /proc/net/tcp{,6} write them


def listening_addresses(port: int) -> set[str]:
    """The local addresses (hex, as the kernel writes them) of the sockets listening on `port`."""
    found = set()
    for table in ("/proc/net/tcp", "/proc/net/tcp6"):
        for line in Path(table).read_text().splitlines()[1:]:
            fields = line.split()
            address, hex_port = fields[1].split(":")
            if fields[3] == LISTEN and int(hex_port, 16) == port:
                found.add(address)
    return found


VERSIONS = {"v1": "", "v2": "V2_"}  # the prefix of each test stack's settings


def stack_url(version: str, name: str) -> str:
    url = os.environ.get(VERSIONS[version] + name)
    if not url:
        message = f"no {name} for the {version} test stack: run the tests with scripts/test"
        if os.environ.get("REQUIRE_STACK") == "1":
            pytest.fail(message)
        pytest.skip(message)
    return url


@pytest.mark.parametrize("version", VERSIONS)
@pytest.mark.parametrize("name", ["STRAPI_URL", "MEDUSA_ADMIN_URL"])
def test_servers_listen_on_loopback_only(version, name):
    addresses = listening_addresses(urlsplit(stack_url(version, name)).port)
    assert addresses and addresses <= LOOPBACK, addresses


@pytest.mark.parametrize("version", VERSIONS)
def test_medusa_answers_bad_requests_without_a_stack_trace(version):
    url = stack_url(version, "MEDUSA_ADMIN_URL")
    for path in ("/admin/auth/token", "/auth/user/emailpass", "/admin/products"):
        answer = requests.post(f"{url}{path}", data="{not json", headers={"Content-Type": "application/json"}, timeout=30)
        assert answer.status_code >= 400
        assert "node_modules" not in answer.text and "    at " not in answer.text, (path, answer.text[:500])


def test_no_secret_is_on_a_command_line(stack):
    secrets = [value for name, value in os.environ.items()
               if value and len(value) >= 12 and (name.endswith("PASSWORD") or name.endswith("TOKEN"))]
    assert stack["STRAPI_API_TOKEN"] in secrets
    for cmdline in Path("/proc").glob("[0-9]*/cmdline"):
        try:
            text = cmdline.read_bytes().replace(b"\0", b" ").decode(errors="replace")
        except OSError:
            continue
        assert not any(secret in text for secret in secrets), cmdline.parent.name


@pytest.mark.parametrize("version", VERSIONS)
def test_strapi_serves_its_admin_panel_and_its_login_takes_the_stacks_admin(version):
    """The panel `scripts/stack up` builds is served at /admin, and the first admin the stack created logs in."""
    url = stack_url(version, "STRAPI_URL")
    page = requests.get(f"{url}/admin", timeout=30)
    assert page.status_code == 200 and "text/html" in page.headers["Content-Type"] and "<title>Strapi Admin</title>" in page.text
    email, password = os.environ.get(VERSIONS[version] + "STRAPI_ADMIN_EMAIL"), os.environ.get(VERSIONS[version] + "STRAPI_ADMIN_PASSWORD")
    if not (email and password):
        pytest.fail("no STRAPI_ADMIN_EMAIL / STRAPI_ADMIN_PASSWORD for the test stack: run the tests with scripts/test")
    login = requests.post(f"{url}/admin/login", json={"email": email, "password": password}, timeout=30)
    assert login.status_code == 200 and login.json()["data"]["token"], login.text
    wrong = requests.post(f"{url}/admin/login", json={"email": email, "password": password + "x"}, timeout=30)
    assert wrong.status_code in (400, 401) and "token" not in wrong.text


def test_a_second_stack_up_does_not_build_the_admin_panel_again():
    """The build is cached by a hash of what it is built from; `up` on a running stack skips it."""
    import shlex
    import subprocess

    settings = os.environ.get("MEDUSA_STRAPI_TEST_STACK_V1")
    if not settings:
        pytest.skip("no MEDUSA_STRAPI_TEST_STACK_V1: run the tests with scripts/test")
    repo = Path(__file__).resolve().parents[2]
    overrides = dict(item.split("=", 1) for item in shlex.split(settings))
    up = subprocess.run([str(repo / "scripts" / "stack"), "up"], cwd=repo, env={**os.environ, **overrides},
                        capture_output=True, text=True, timeout=300)
    assert up.returncode == 0, up.stderr
    assert "strapi build" not in up.stderr and "strapi already running" in up.stderr, up.stderr
    assert (repo / "strapi" / "build" / ".built-from").is_file()
