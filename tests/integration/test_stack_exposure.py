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
