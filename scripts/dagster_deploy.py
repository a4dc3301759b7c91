"""A deployment (scripts/deploy: webserver + daemon on Postgres storage) and its Celery workers (scripts/celery-workers)
driven from Python, on a Dagster database and a state folder of the caller's own: for the tests
(tests/integration/test_deployment.py, test_celery.py) and scripts/benchmark_celery.py. What it leaves behind is
found through /proc; what ran where is read from Dagster's event log."""

from __future__ import annotations

import json
import os
import re
import signal
import socket
import subprocess
import sys
import time
import urllib.request
from contextlib import contextmanager
from pathlib import Path
from typing import Iterator
from urllib.parse import urlsplit

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))

from dagster import DagsterEventType, DagsterInstance  # noqa: E402

from pipelines.medusa.source import engine_url  # noqa: E402

sys.path.insert(0, str(REPO / "scripts"))
from dagster_dev import wait_for  # noqa: E402,F401 - one poll loop for the scripts (and their tests import it from here)

DEPLOY = REPO / "scripts" / "deploy"
WORKERS = REPO / "scripts" / "celery-workers"
WORKSPACE = REPO / "workspace.yaml"
BIN = Path(sys.executable).parent  # the virtualenv's executables: dagster, dagster-webserver, celery
# What the caller's environment may hold that a deployment of its own must not inherit: a user's instance, and the
# write-back's Admin API (its sensors would write through the stack's Medusa server, not the caller's copy).
NOT_INHERITED = ("DAGSTER_HOME", "DAGSTER_PORT", "DEPLOY_DIR", "MEDUSA_ADMIN_URL", "MEDUSA_ADMIN_EMAIL",
                 "MEDUSA_ADMIN_PASSWORD", "MEDIA_ALLOWED_HOSTS", "MEDIA_ALLOW_NETWORKS", "DAGSTER_EXECUTOR")
SLOT_LINE = re.compile(r"writer slot (\d+) of \d+ (taken|released)$")  # pipelines/medusa/locks.py's WriterSlots


def free_port(preferred: int) -> int:
    """`preferred` when nothing listens on it on 127.0.0.1, else a port the system picks."""
    for port in (preferred, 0):
        with socket.socket() as probe:
            try:
                probe.bind(("127.0.0.1", port))
            except OSError:
                continue
            return probe.getsockname()[1]
    raise RuntimeError("no free port")


def webserver_port(strapi_url: str, offset: int = 2000) -> int:
    """A webserver port derived from the stack's Strapi port (1339 -> 3339), so that stacks running side by side do
    not clash; another when that one is taken."""
    return free_port((urlsplit(strapi_url).port or 1337) + offset)


def storage_url(database_url: str) -> str:
    """A database's URL as Dagster's Postgres storage takes it: postgresql://, password included."""
    return engine_url(database_url).set(drivername="postgresql").render_as_string(hide_password=False)


class Deployment:
    """One `scripts/deploy` deployment (and its `scripts/celery-workers`): its environment, state folder and port."""

    def __init__(self, settings: dict[str, str], folder: Path, port: int):
        """`settings`: the deployment's own variables, over this process's environment (less NOT_INHERITED)."""
        self.folder, self.port = folder, port
        self.home = folder / "dagster"
        self.env = {**{k: v for k, v in os.environ.items() if k not in NOT_INHERITED}, **settings,
                    "DEPLOY_DIR": str(folder), "DAGSTER_HOME": str(self.home), "DAGSTER_PORT": str(port),
                    "DAGSTER_BIN": str(BIN)}

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def run(self, command: str, timeout: float = 300) -> subprocess.CompletedProcess:
        """`scripts/deploy COMMAND`, its output captured."""
        return self.script(DEPLOY, command, timeout=timeout)

    def workers(self, command: str, timeout: float = 300) -> subprocess.CompletedProcess:
        """`scripts/celery-workers COMMAND`, its output captured."""
        return self.script(WORKERS, command, timeout=timeout)

    def script(self, path: Path, *args: str, timeout: float = 300) -> subprocess.CompletedProcess:
        """A script of the repository run with the deployment's environment, its output captured."""
        return subprocess.run([str(path), *args], env=self.env, cwd=REPO, capture_output=True, text=True, timeout=timeout)

    def dagster(self, *args: str, timeout: float = 300) -> subprocess.CompletedProcess:
        """Dagster's command line on the deployment's instance (from the instance folder)."""
        return subprocess.run([str(BIN / "dagster"), *args], env=self.env, cwd=self.home,
                              capture_output=True, text=True, timeout=timeout)

    def pids(self) -> dict[str, int]:
        """The pid of each process `up` started, from its pid file."""
        return {name: int((self.folder / f"{name}.pid").read_text()) for name in ("webserver", "daemon")
                if (self.folder / f"{name}.pid").exists()}

    def worker_pid(self, number: int) -> int:
        """The pid of Celery worker `number` (its session's leader: its pool's processes are in its group)."""
        return int((self.folder / "celery" / f"worker-{number}.pid").read_text())

    def kill_worker(self, number: int) -> float:
        """SIGKILL to Celery worker `number` and its pool's processes at once; when (time.time())."""
        os.killpg(self.worker_pid(number), signal.SIGKILL)
        return time.time()

    @contextmanager
    def instance(self) -> Iterator[DagsterInstance]:
        """The deployment's instance, as its processes see it (its storage URL from their environment)."""
        saved = os.environ.get("DAGSTER_POSTGRES_URL")
        os.environ["DAGSTER_POSTGRES_URL"] = self.env["DAGSTER_POSTGRES_URL"]
        try:
            with DagsterInstance.from_config(str(self.home)) as instance:
                yield instance
        finally:
            if saved is None:
                os.environ.pop("DAGSTER_POSTGRES_URL", None)
            else:
                os.environ["DAGSTER_POSTGRES_URL"] = saved

    def graphql(self, query: str, variables: dict) -> dict:
        """The webserver's GraphQL answer's `data`."""
        request = urllib.request.Request(f"{self.url}/graphql", data=json.dumps({"query": query, "variables": variables}).encode(),
                                         headers={"Content-Type": "application/json"})
        with urllib.request.urlopen(request, timeout=60) as answer:
            body = json.load(answer)
        if body.get("errors"):
            raise RuntimeError(f"GraphQL errors: {body['errors']}")
        return body["data"]

    def launch_backfill(self, job: str, partitions: list[str]) -> str:
        """A backfill of `partitions` of `job`, launched as the UI does it: the daemon's backfill launches its runs
        (and its failed runs are retried, which a `dagster job backfill` from the command line, marked complete at
        once, never are); the backfill's id."""
        data = self.graphql(LAUNCH_BACKFILL, {"params": {
            "selector": {"partitionSetName": f"{job}_partition_set",
                         "repositorySelector": {"repositoryLocationName": "assets.definitions", "repositoryName": "__repository__"}},
            "partitionNames": partitions}})["launchPartitionBackfill"]
        if data["__typename"] != "LaunchBackfillSuccess":
            raise RuntimeError(f"backfill not launched: {data}")
        return data["backfillId"]

    def processes(self) -> dict[int, str]:
        """pid -> command line of every process whose environment names this deployment's DAGSTER_HOME (the
        webserver, the daemon, their code servers and run workers, the Celery workers, whatever started them)."""
        marker = f"DAGSTER_HOME={self.home}".encode()
        found = {}
        for entry in Path("/proc").iterdir():
            if not entry.name.isdigit() or int(entry.name) == os.getpid():
                continue
            try:
                if marker in (entry / "environ").read_bytes().split(b"\0"):
                    found[int(entry.name)] = (entry / "cmdline").read_bytes().replace(b"\0", b" ").decode(errors="replace")
            except OSError:  # gone meanwhile, or not ours
                continue
        return found

    def stop_all(self) -> None:
        """The workers and the deployment stopped, and whatever of them is left killed (a failed caller's cleanup)."""
        self.workers("stop")
        self.run("down")
        for pid in self.processes():
            try:
                os.kill(pid, signal.SIGKILL)
            except OSError:
                pass


LAUNCH_BACKFILL = """
mutation Launch($params: LaunchBackfillParams!) {
  launchPartitionBackfill(backfillParams: $params) {
    __typename
    ... on LaunchBackfillSuccess { backfillId }
    ... on PythonError { message }
    ... on InvalidSubsetError { message }
  }
}"""


def celery_workers_of(instance: DagsterInstance, run_id: str) -> dict[str, str]:
    """step key -> the Celery worker that ran it (dagster-celery's engine event in the run's log)."""
    found = {}
    for entry in instance.all_logs(run_id, of_type=DagsterEventType.ENGINE_EVENT):
        metadata = entry.dagster_event.engine_event_data.metadata or {}
        if "Celery worker" in metadata:
            found[entry.step_key] = metadata["Celery worker"].value
    return found


def writing_intervals(instance: DagsterInstance, run_ids: list[str], killed_at: float = 0.0) -> list[tuple[float, float]]:
    """(taken, released) of every writer slot a step of the runs held, from their log lines; a slot whose release
    never came (its worker killed) ends at `killed_at` (Postgres releases a dead connection's advisory locks)."""
    intervals = []
    for run_id in run_ids:
        held = {}
        for entry in instance.all_logs(run_id):
            found = SLOT_LINE.search(entry.user_message or "")
            if not found:
                continue
            key = (entry.step_key, found.group(1))
            if found.group(2) == "taken":
                held[key] = entry.timestamp
            elif key in held:
                intervals.append((held.pop(key), entry.timestamp))
        intervals += [(start, max(start, killed_at)) for start in held.values()]
    return intervals


def most_at_once(intervals: list[tuple[float, float]]) -> int:
    """The most intervals open at one moment."""
    events = sorted([(start, 1) for start, _ in intervals] + [(end, -1) for _, end in intervals])
    running = peak = 0
    for _, change in events:
        running += change
        peak = max(peak, running)
    return peak
