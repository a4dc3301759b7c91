"""The Quick start's `scripts/demo`, run on the suite's own v1 stack (its databases, ports and state folder;
CI runs it as the README says, on the demo's): it reaches the Dagster UI, and Ctrl-C or SIGTERM stop the UI
and the image host it started, also when it was started with SIGINT ignored (in the background)."""

from __future__ import annotations

import os
import shlex
import signal
import socket
import subprocess
import time
from pathlib import Path

import pytest
import requests

REPO = Path(__file__).resolve().parents[2]
IMAGE_HOST_PORT = 9180


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def answers(url: str) -> bool:
    try:
        return requests.get(url, timeout=2).ok
    except requests.RequestException:
        return False


def listening(port: int) -> bool:
    with socket.socket() as probe:
        return probe.connect_ex(("127.0.0.1", port)) == 0


@pytest.fixture
def demo_env(stack, tmp_path):
    """The environment that points scripts/demo at the suite's v1 stack, with an instance and a port of its own."""
    settings = os.environ.get("MEDUSA_STRAPI_TEST_STACK_V1")
    if not settings:
        pytest.skip("no MEDUSA_STRAPI_TEST_STACK_V1: run the tests with scripts/test")
    overrides = dict(item.split("=", 1) for item in shlex.split(settings))
    env = {**os.environ, **overrides, "DAGSTER_PORT": str(free_port()), "DAGSTER_HOME": str(tmp_path / "dagster")}
    yield env
    # after the test's own assertions: whatever a failed demo left running must not load the rest of the suite
    subprocess.run(["pkill", "-KILL", "-f", env["DAGSTER_HOME"]], check=False)


def ignore_sigint() -> None:
    signal.signal(signal.SIGINT, signal.SIG_IGN)  # as a non-interactive shell starts a command in the background
    signal.signal(signal.SIGTERM, signal.SIG_DFL)  # which leaves SIGTERM at its default, whatever the suite inherited


def default_sigint() -> None:
    # as a terminal's shell starts a command, whatever the suite itself inherited (a suite started in the
    # background ignores SIGINT, and its children would too)
    signal.signal(signal.SIGINT, signal.SIG_DFL)
    # and SIGTERM ignored, as some harnesses pass it on (CI's did): what the demo starts must still stop
    signal.signal(signal.SIGTERM, signal.SIG_IGN)


@pytest.mark.parametrize("stop", ["ctrl-c", "sigterm, started in the background"])
def test_the_demo_reaches_the_ui_and_stops_with_what_it_started(demo_env, stop):
    port = demo_env["DAGSTER_PORT"]
    demo = subprocess.Popen([str(REPO / "scripts" / "demo")], cwd=REPO, env=demo_env, start_new_session=True,
                            preexec_fn=ignore_sigint if "background" in stop else default_sigint,
                            stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    try:
        deadline = time.monotonic() + 300
        while not answers(f"http://127.0.0.1:{port}/server_info"):
            assert demo.poll() is None, f"the demo exited with {demo.returncode}:\n{demo.stdout.read()}"
            assert time.monotonic() < deadline, "the Dagster UI did not answer within 5 minutes"
            time.sleep(1)
        assert listening(IMAGE_HOST_PORT)
        if stop == "ctrl-c":
            os.killpg(demo.pid, signal.SIGINT)  # what a terminal's Ctrl-C does: SIGINT to the foreground group
        else:
            demo.send_signal(signal.SIGTERM)  # to the script alone, as a process manager does
        output, _ = demo.communicate(timeout=60)
    finally:
        if demo.poll() is None:
            os.killpg(demo.pid, signal.SIGKILL)
    assert demo.returncode == (130 if stop == "ctrl-c" else 143), output
    assert "done: 19 content types" in output and "recorded 19 materialization(s)" in output
    assert "stopping the Dagster UI" in output
    assert not listening(int(port))
    assert listening(IMAGE_HOST_PORT)  # the stack's (scripts/stack up serves the demo's pictures; `down` stops it)
    # Dagster's webserver, daemon and code servers name the instance folder on their command lines.
    left = subprocess.run(["pgrep", "-f", demo_env["DAGSTER_HOME"]], capture_output=True, text=True).stdout.split()
    assert not left, f"processes of the demo's Dagster left running: {left}"
