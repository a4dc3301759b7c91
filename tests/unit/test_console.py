"""What the command line shows: result lines, failures and log records as whole lines above the progress
bars on a terminal (rendered by a terminal emulator), stdout untouched by the bars, ids printed verbatim."""

from __future__ import annotations

import os
import re
import select
import subprocess
import sys
import textwrap
import time
from pathlib import Path

import pytest

from pipelines.console import Display
from pipelines.row_failure import RowFailure
from pipelines.sync.result import SyncResult

pyte = pytest.importorskip("pyte")
needs_pty = pytest.mark.skipif(not hasattr(os, "openpty"), reason="no pseudo-terminals here")

REPO = Path(__file__).resolve().parents[2]
COLUMNS, LINES = 160, 60
WARNING = "Strapi answers slowly: waited 3 s for a writer slot"

# A Display session as `medusa-strapi sync` runs it (the CLI's logging set-up, bars fed from the calling thread,
# a record logged from another thread while bars are drawn), with the results `RESULTS` below.
SESSION = textwrap.dedent(f"""
    import logging, threading, time
    from types import SimpleNamespace
    from pipelines.console import Display, configure_logging
    from pipelines.row_failure import RowFailure
    from pipelines.sync.result import SyncResult

    configure_logging(False)
    display = Display()
    types = ["product", "product-variant", "collection"]
    with display.session():
        bars = {{t: display.start(SimpleNamespace(content_type=t))["progress"] for t in types}}
        for i, name in enumerate(types):
            for done in range(0, 36, 5):
                bars[name](done, None if name == "collection" else 35)
                time.sleep(0.04)
            if i == 1:
                logger = threading.Thread(target=logging.warning, args=({WARNING!r},))
                logger.start(); logger.join()
            result = SyncResult(name, read=35, created=34, seconds=1.0)
            if i == 0:
                result.record_failure(RowFailure("prod_bad_deep500:a", "convert", "cannot convert: nests deeper", True))
            display.result(result)
            time.sleep(0.15)
    print("done: 3 content types")
""")


def _results() -> list[SyncResult]:
    results = [SyncResult(name, read=35, created=34, seconds=1.0) for name in ("product", "product-variant", "collection")]
    results[0].record_failure(RowFailure("prod_bad_deep500:a", "convert", "cannot convert: nests deeper", True))
    return results


def _run_under_pty(*, stdout_to_pipe: bool = False) -> tuple[bytes, str]:
    """Run SESSION with stderr (and stdout, unless `stdout_to_pipe`) on a pseudo-terminal; its bytes and stdout's."""
    import fcntl
    import struct
    import termios

    master, slave = os.openpty()
    fcntl.ioctl(slave, termios.TIOCSWINSZ, struct.pack("HHHH", LINES, COLUMNS, 0, 0))
    env = {**os.environ, "TERM": "xterm", "COLUMNS": str(COLUMNS), "LINES": str(LINES),
           "PYTHONPATH": os.pathsep.join([str(REPO), os.environ.get("PYTHONPATH", "")])}
    for name in ("NO_COLOR", "FORCE_COLOR", "TTY_COMPATIBLE", "TTY_INTERACTIVE"):
        env.pop(name, None)
    child = subprocess.Popen([sys.executable, "-c", SESSION], stdin=slave, stderr=slave,
                             stdout=subprocess.PIPE if stdout_to_pipe else slave, env=env, cwd=REPO)
    os.close(slave)
    screen_bytes = b""
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        ready, _, _ = select.select([master], [], [], 0.5)
        if not ready:
            if child.poll() is not None:
                break
            continue
        try:
            chunk = os.read(master, 65536)
        except OSError:  # the child closed the terminal (Linux says EIO)
            break
        if not chunk:
            break
        screen_bytes += chunk
    piped = child.stdout.read().decode() if stdout_to_pipe else ""
    assert child.wait(timeout=10) == 0, screen_bytes.decode(errors="replace")
    os.close(master)
    return screen_bytes, piped


def _screen(data: bytes) -> list[str]:
    screen = pyte.Screen(COLUMNS, LINES)
    pyte.ByteStream(screen).feed(data)
    return [line.rstrip() for line in screen.display if line.strip()]


def _assert_no_bar_left(lines: list[str]) -> None:
    for line in lines:
        assert "ETA" not in line and "━" not in line and not re.search("[\u2800-\u28ff]", line), lines


@needs_pty
def test_result_lines_and_log_records_are_whole_lines_above_the_bars_on_a_terminal():
    data, _ = _run_under_pty()
    assert b"ETA" in data  # the bars were drawn
    lines = _screen(data)
    expected = [r.summary() for r in _results()]
    for line in expected:
        assert line in lines, lines
    assert "  quarantined convert prod_bad_deep500:a: cannot convert: nests deeper" in lines, lines
    assert any(re.fullmatch(rf"\d{{4}}-\d\d-\d\d [\d:,]+ WARNING {re.escape(WARNING)}", line) for line in lines), lines
    assert [line for line in lines if line in expected] == expected  # in the order they finished
    assert lines[-1] == "done: 3 content types"
    _assert_no_bar_left(lines)


@needs_pty
def test_results_go_to_stdout_untouched_when_it_is_not_a_terminal():
    data, piped = _run_under_pty(stdout_to_pipe=True)
    assert b"ETA" in data  # stderr is a terminal: the bars were drawn there
    assert piped.splitlines() == [*(r.summary() for r in _results()), "done: 3 content types"]
    lines = _screen(data)
    assert "  quarantined convert prod_bad_deep500:a: cannot convert: nests deeper" in lines, lines
    assert not any(line.startswith("product") for line in lines), lines
    _assert_no_bar_left(lines)


def test_ids_and_reasons_print_verbatim_and_unwrapped_off_a_terminal(capsys):
    reason = "cannot convert :smile: [bold]nested[/bold] value: " + "x" * 150
    result = SyncResult("product", read=2, seconds=1.0)
    result.record_failure(RowFailure("prod_bad_deep500:a", "convert", reason, permanent=True))
    result.record_failure(RowFailure("prod:thumbs_up:", "update", "Strapi said 400", permanent=False))
    Display().result(result)
    out, err = capsys.readouterr()
    assert out.splitlines() == [result.summary()]
    assert err.splitlines() == [f"  quarantined convert prod_bad_deep500:a: {reason}",
                                "  failed update prod:thumbs_up:: Strapi said 400"]


def test_a_plans_sample_ids_print_verbatim(capsys):
    result = SyncResult("product", read=3, created=2, unchanged=1)
    for medusa_id in ("prod:a:", "prod:smile:"):
        result.sample("create", medusa_id)
    Display(dry_run=True).result(result)
    assert capsys.readouterr().out.splitlines() == [
        "product: would create 2, would update 0, would delete 0, 1 unchanged", "  create: prod:a:, prod:smile:"]
