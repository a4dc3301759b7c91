"""Strapi on two nodes: the v1 test stack's Strapi app run by two `strapi start` processes on its one database, behind
a real load balancer (nginx, scripts/strapi-nodes), with the sync pointed at the balancer.

A full sync through the bulk plugin and one over REST each end exact: every live Medusa row once in Strapi, with equal
values and relations, and 0 duplicate medusa_id per content type, locale and state, counted in Strapi's own tables;
both nodes served them. Node 2 killed with SIGKILL mid-sync (the node scripts/strapi-nodes started, never the stack's)
costs retries, not data: the same run still ends exact, and the balancer's log and the run's own (`-v`) show the
retries. `.venv/bin/pytest -s tests/integration/test_two_nodes.py` prints the figures (docs/operations.md).
"""

from __future__ import annotations

import os
import re
import shlex
import signal
import subprocess
import sys
import time
from collections import Counter
from dataclasses import dataclass
from pathlib import Path
from typing import NamedTuple

import pytest
import requests

from pipelines.strapi.client import StrapiClient

from .conftest import empty
from .helpers import assert_in_sync

REPO = Path(__file__).resolve().parents[2]
NODES = REPO / "scripts" / "strapi-nodes"
GENERATOR = REPO / "scripts" / "generate_catalog.py"
# Products generated besides the demo catalog, per write path: ~24,000 entries through the bulk plugin (some 4,000 a
# second: enough to be killed mid-way), ~3,000 over REST (some 120 a second).
PRODUCTS = {"bulk": 1000, "rest": 100}
RETRY_LINE = re.compile(r" INFO retrying (\S+) (\S+) after (.+) \(\d+ retries left\)")
ACCESS_LINE = re.compile(r"^\S+ (\S+) (\S+) (\d+) \S+ upstream=(.*) upstream_status=(.*)$")


class Passage(NamedTuple):
    """One request through the balancer, from its access log: the node(s) it went to and what each answered."""

    method: str
    path: str
    status: int
    upstreams: list[str]
    statuses: list[str]


@dataclass
class Nodes:
    """Node 2 and the balancer scripts/strapi-nodes started beside the stack's own Strapi."""

    env: dict[str, str]  # the stack's settings, as scripts/strapi-nodes and scripts/stack take them
    url: str  # the balancer
    stack_dir: Path

    def run(self, command: str) -> subprocess.CompletedProcess:
        """`scripts/strapi-nodes COMMAND` on the test stack."""
        return subprocess.run([str(NODES), command], cwd=REPO, env=self.env, capture_output=True, text=True, timeout=300)

    def up(self) -> None:
        """Node 2 and the balancer running (again, after a kill)."""
        started = self.run("up")
        assert started.returncode == 0, started.stderr

    def node2_pid(self) -> int:
        """Node 2's pid: checked to be a `strapi start`, and not the stack's own node."""
        pid = int((self.stack_dir / "nodes" / "strapi-2.pid").read_text())
        assert pid != int((self.stack_dir / "strapi.pid").read_text()), "node 2's pid is the stack's own Strapi"
        assert "strapi.js\0start" in Path(f"/proc/{pid}/cmdline").read_text(), f"pid {pid} is not a strapi start"
        return pid

    def access_log(self) -> Path:
        """nginx's access log (scripts/strapi-nodes' `balanced` format)."""
        return self.stack_dir / "nodes" / "nginx-access.log"

    def log_size(self) -> int:
        """Where the access log ends now: what is logged later is read from there."""
        return self.access_log().stat().st_size if self.access_log().exists() else 0

    def requests_since(self, offset: int) -> list[Passage]:
        """The balancer's requests logged past `offset`."""
        with self.access_log().open() as log:
            log.seek(offset)
            found = []
            for line in log:
                match = ACCESS_LINE.match(line.strip())
                if match:
                    method, path, status, upstreams, statuses = match.groups()
                    found.append(Passage(method, path, int(status), upstreams.split(", "), statuses.split(", ")))
            return found


@pytest.fixture(scope="module")
def nodes(stack, mappings):
    """A second node and an nginx in front of both on the v1 test stack, stopped after the module (also on failure);
    the synced types emptied after, so that the suite's other tests find the Strapi they expect."""
    settings = os.environ.get("MEDUSA_STRAPI_TEST_STACK_V1")
    if not settings:
        pytest.skip("no MEDUSA_STRAPI_TEST_STACK_V1: run the tests with scripts/test")
    env = {**os.environ, **dict(item.split("=", 1) for item in shlex.split(settings))}
    stack_dir = Path(subprocess.run([str(REPO / "scripts" / "stack"), "dir"], cwd=REPO, env=env, capture_output=True,
                                    text=True, check=True).stdout.strip())
    pair = Nodes(env, "", stack_dir)
    try:
        pair.up()
        exported = pair.run("env")
        assert exported.returncode == 0, exported.stderr
        pair.url = dict(item.split("=", 1) for item in shlex.split(exported.stdout)[1:])["STRAPI_URL"]
        assert pair.url != stack["STRAPI_URL"]
        yield pair
    finally:
        stopped = pair.run("down")
        client = StrapiClient(stack["STRAPI_URL"], stack["STRAPI_API_TOKEN"])
        try:
            empty(client, mappings)
        finally:
            client.close()
        assert stopped.returncode == 0, stopped.stderr


def generate(url: str, products: int, seed: int) -> None:
    """Add a generated catalog to the Medusa database at `url`."""
    subprocess.run([sys.executable, str(GENERATOR), "--database-url", url, "--products", str(products), "--seed", str(seed)],
                   check=True, capture_output=True, timeout=300)


def sync_command(nodes: Nodes, stack: dict[str, str], medusa_url: str, write_path: str, out: Path) -> subprocess.Popen:
    """A full sync by the command line, as a user runs it, pointed at the balancer; its output (`-v`: the retries too)
    in `out`."""
    env = {**os.environ, **stack, "MEDUSA_DATABASE_URL": medusa_url, "STRAPI_URL": nodes.url}
    for name in ("MEDIA_ALLOWED_HOSTS", "MEDIA_ALLOW_NETWORKS", "DAGSTER_HOME"):
        env.pop(name, None)
    with out.open("w") as sink:
        return subprocess.Popen([sys.executable, "-m", "pipelines.cli", "sync", "-q", "-v", "--write-path", write_path],
                                cwd=REPO, env=env, stdout=sink, stderr=subprocess.STDOUT)


def finished(process: subprocess.Popen, out: Path, timeout: float = 600) -> str:
    """The sync's output, once it has ended well."""
    process.wait(timeout=timeout)
    output = out.read_text()
    assert process.returncode == 0, output[-3000:]
    assert re.search(r"done: 19 content types, \d+ rows read, 0 failed, 0 quarantined", output), output[-3000:]
    return output


def duplicates(strapi_sql, spec) -> list:
    """(medusa_id, locale, draft) groups of more than one row in the type's own table."""
    table = spec.plural.replace("-", "_")
    return strapi_sql(f'select medusa_id, locale, published_at is null, count(*) from "{table}" '
                      "group by 1, 2, 3 having count(*) > 1 limit 5")


def assert_exact(source, strapi, mappings, strapi_sql) -> dict[str, int]:
    """Strapi equals the Medusa copy (values, relations: `assert_in_sync`), and, counted in Strapi's tables, each type
    holds exactly the expected entries with no duplicate per locale and state; the counts per type."""
    counts = assert_in_sync(source, strapi, mappings)
    for spec in mappings:
        table = spec.plural.replace("-", "_")
        entries, expected = strapi_sql(f'select count(distinct medusa_id) from "{table}"')[0][0], counts[spec.content_type]
        assert entries == expected, f"{spec.content_type}: {entries} in Strapi's table, {expected} expected"
        assert duplicates(strapi_sql, spec) == [], spec.content_type
    return counts


def wait_for(process: subprocess.Popen, out: Path, condition, what: str, pause: float = 0.05, timeout: float = 120) -> None:
    """Until `condition()` holds, while the sync runs."""
    deadline = time.monotonic() + timeout
    while not condition():
        assert process.poll() is None, f"the sync ended before {what}:\n{out.read_text()[-3000:]}"
        assert time.monotonic() < deadline, f"no {what} within {timeout:.0f}s"
        time.sleep(pause)


def local_ports(pid: int) -> list[int]:
    """The local ports of process `pid`'s TCP connections (its Postgres pool's among them), from /proc."""
    inodes = set()
    for fd in Path(f"/proc/{pid}/fd").iterdir():
        try:
            target = os.readlink(fd)
        except OSError:
            continue
        if target.startswith("socket:["):
            inodes.add(target[len("socket:["):-1])
    ports = []
    for table in ("/proc/net/tcp", "/proc/net/tcp6"):
        for line in Path(table).read_text().splitlines()[1:]:
            fields = line.split()
            if fields[9] in inodes:
                ports.append(int(fields[1].rsplit(":", 1)[1], 16))
    return ports


def writing(strapi_sql, pid: int) -> bool:
    """Whether Strapi's process `pid` holds a write transaction open in its database (a write request in flight)."""
    ports = local_ports(pid)
    return bool(ports) and strapi_sql("select count(*) from pg_stat_activity where datname = current_database() "
                                      "and client_port = any(:ports) and backend_xid is not null", ports=ports)[0][0] > 0


def retries_in(output: str) -> Counter:
    """The run's retries (its `-v` log), by reason."""
    return Counter(match.group(3) for match in RETRY_LINE.finditer(output))


def per_node(seen: list[Passage]) -> Counter:
    """Requests each node answered."""
    return Counter(passage.upstreams[-1] for passage in seen)


SECRETS = ("APP_KEYS", "API_TOKEN_SALT", "ADMIN_JWT_SECRET", "JWT_SECRET", "TRANSFER_TOKEN_SALT", "ENCRYPTION_KEY",
           "STRAPI_API_TOKEN", "STRAPI_PASSWORD", "STRAPI_ADMIN_PASSWORD")
SHARED = ("DATABASE_HOST", "DATABASE_PORT", "DATABASE_NAME", *SECRETS)  # the same for both nodes


def environ(pid: int) -> dict[str, str]:
    """Process `pid`'s environment, from /proc."""
    items = Path(f"/proc/{pid}/environ").read_bytes().decode(errors="replace").split("\0")
    return dict(item.split("=", 1) for item in items if "=" in item)


def listening_on(port: int) -> set[str]:
    """The local addresses (hex, as the kernel writes them) of the sockets listening on `port`."""
    return {line.split()[1].split(":")[0] for table in ("/proc/net/tcp", "/proc/net/tcp6")
            for line in Path(table).read_text().splitlines()[1:]
            if line.split()[3] == "0A" and int(line.split()[1].split(":")[1], 16) == port}


def test_node_2_shares_the_database_and_secrets_and_both_listen_on_loopback_only(nodes, stack):
    nodes.up()
    node1, node2 = int((nodes.stack_dir / "strapi.pid").read_text()), nodes.node2_pid()
    first, second = environ(node1), environ(node2)
    assert all(first.get(name) and second.get(name) == first[name] for name in SHARED), "node 2 runs with other settings"
    assert first["PORT"] != second["PORT"]
    nginx = int((nodes.stack_dir / "nodes" / "nginx.pid").read_text())
    for pid in (node2, nginx):
        text = Path(f"/proc/{pid}/cmdline").read_bytes().decode(errors="replace")
        assert not any(first[name] in text for name in SECRETS), f"a secret on pid {pid}'s command line"
    loopback = {"0100007F", "00000000000000000000000001000000"}
    for port in (int(second["PORT"]), int(nodes.url.rsplit(":", 1)[1])):
        assert listening_on(port) and listening_on(port) <= loopback, (port, listening_on(port))
    assert requests.get(f"{nodes.url}/_health", timeout=5).status_code == 204


@pytest.mark.parametrize("write_path", ["bulk", "rest"])
def test_a_full_sync_through_the_balancer_is_exact_with_no_duplicate(nodes, stack, medusa_url, source, clean_strapi,
                                                                      mappings, strapi_sql, write_path, tmp_path):
    nodes.up()
    generate(medusa_url, PRODUCTS[write_path], seed=28)
    offset, started = nodes.log_size(), time.monotonic()
    output = finished(sync_command(nodes, stack, medusa_url, write_path, tmp_path / "sync.log"), tmp_path / "sync.log")
    seconds = time.monotonic() - started
    if write_path == "bulk":
        assert len(re.findall(r"^[\w-]+: read=.* via bulk$", output, re.M)) == len(mappings.specs), output[-3000:]
    counts = assert_exact(source, clean_strapi, mappings, strapi_sql)
    served = per_node(nodes.requests_since(offset))
    print(f"\ntwo nodes, {write_path}: {sum(counts.values())} entries in {len(counts)} types, {seconds:.1f}s, "
          f"requests per node {dict(served)}, retries {sum(retries_in(output).values())}, duplicates 0")
    assert len(served) == 2 and min(served.values()) > 0, f"one node served everything: {served}"


@pytest.mark.parametrize("write_path", ["rest", "bulk"])
def test_node_2_killed_mid_sync_costs_retries_not_data(nodes, stack, medusa_url, source, clean_strapi, mappings,
                                                       strapi_sql, write_path, tmp_path):
    nodes.up()
    generate(medusa_url, PRODUCTS[write_path], seed=29)
    victim = nodes.node2_pid()
    offset, started = nodes.log_size(), time.monotonic()
    out = tmp_path / "sync.log"
    process = sync_command(nodes, stack, medusa_url, write_path, out)
    try:
        # Once products are in Strapi (mid-run: their options, variants and prices come after them), killed in the
        # middle of a write: while one of its Postgres connections holds a write transaction open, a request in flight.
        wait_for(process, out, lambda: strapi_sql("select count(*) from products")[0][0], "a product in Strapi")
        wait_for(process, out, lambda: writing(strapi_sql, victim), "node 2 in a write transaction", pause=0.005)
        os.kill(victim, signal.SIGKILL)
        killed_at = time.monotonic() - started
        output = finished(process, out)
    finally:
        if process.poll() is None:
            process.kill()
    seconds = time.monotonic() - started
    assert requests.get(f"{stack['STRAPI_URL']}/_health", timeout=5).ok  # the stack's own node is still up
    counts = assert_exact(source, clean_strapi, mappings, strapi_sql)
    seen = nodes.requests_since(offset)
    passed_on = [p for p in seen if len(p.upstreams) > 1]  # nginx found node 2 gone and sent the request to node 1
    answered_502 = [p for p in seen if p.status == 502]  # a POST in flight on node 2: nginx does not resend it, the sync does
    client_retries = retries_in(output)
    print(f"\ntwo nodes, {write_path}, node 2 killed at {killed_at:.1f}s: {sum(counts.values())} entries, {seconds:.1f}s, "
          f"requests per node {dict(per_node(seen))}, retries: {len(passed_on)} by the balancer "
          f"({', '.join(sorted({p.method for p in passed_on})) or 'none'}), {sum(client_retries.values())} by the sync "
          f"({dict(client_retries)}; {len(answered_502)} 502 answered), duplicates 0")
    assert len(answered_502) <= sum(client_retries.values())  # each 502 the sync got, it retried
    assert passed_on or client_retries, "node 2 was killed mid-sync and nothing was retried"
