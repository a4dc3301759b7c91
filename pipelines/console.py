"""What the command line shows while it works: a progress bar per content type (rich, with totals and ETA
when the size is known), and one result line per type when it is done.

While the bars are shown, everything else that reaches the terminal (result lines, failures, log records)
goes through the bars' console, which prints it above them: nothing is written into a bar, and the bars
are gone when the command ends.
"""

from __future__ import annotations

import logging
import sys
from contextlib import contextmanager
from typing import Any, Iterator

from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, SpinnerColumn, TextColumn, TimeElapsedColumn, TimeRemainingColumn

from .mapping import MappingSpec
from .secrets import RedactingFilter
from .sync.result import SyncResult

PLAN_VERBS = {"created": "would create", "updated": "would update", "deleted": "would delete"}
LOG_FORMAT = "%(asctime)s %(levelname)s %(message)s"


def plain_console(*, stderr: bool = False) -> Console:
    """A rich Console that prints text as given: no markup, highlighting or `:emoji:` codes (an id such as
    `prod_1:a` followed by `: reason` stays verbatim), and, when not a terminal, no wrapping at 80 columns
    (a long reason stays one line in a log or a pipe)."""
    console = Console(stderr=stderr, markup=False, emoji=False, highlight=False)
    # On a terminal rich wraps at its width, as the terminal would: a line wrapped by the terminal behind
    # rich's back would throw off where the live bars are redrawn.
    console.soft_wrap = not console.is_terminal
    return console


class StderrHandler(logging.StreamHandler):
    """A logging handler writing to `sys.stderr` as it is when each record comes, not when the handler was
    made: while the bars are shown, that is rich's proxy, which prints the record above them."""

    def __init__(self) -> None:
        logging.Handler.__init__(self)  # StreamHandler's would pin today's sys.stderr

    @property
    def stream(self):  # type: ignore[override]
        return sys.stderr

    @stream.setter
    def stream(self, _value) -> None:  # StreamHandler.setStream; the stream is always the current stderr
        pass


def configure_logging(verbose: bool = False) -> None:
    """Log to stderr (above the progress bars while they are shown), secrets redacted: INFO with `verbose`,
    else WARNING."""
    handler = StderrHandler()
    handler.addFilter(RedactingFilter())
    logging.basicConfig(level=logging.INFO if verbose else logging.WARNING, format=LOG_FORMAT, handlers=[handler], force=True)
    if not verbose:
        logging.getLogger("urllib3").setLevel(logging.ERROR)  # its retry notices: the outcome is what counts


class Display:
    """Progress bars on stderr (only on a terminal, and not with --quiet), results on stdout (printed above the
    bars while both are the terminal)."""

    def __init__(self, *, quiet: bool = False, dry_run: bool = False):
        self.dry_run = dry_run
        self.err = plain_console(stderr=True)
        self.out = plain_console()
        self.enabled = not quiet and self.err.is_terminal
        self.progress = Progress(
            SpinnerColumn(), TextColumn("{task.description:<22}"), BarColumn(), MofNCompleteColumn(),
            TextColumn("rows"), TimeElapsedColumn(), TextColumn("ETA"), TimeRemainingColumn(),
            console=self.err, transient=True, redirect_stdout=self.out.is_terminal, redirect_stderr=True,
        )
        self._tasks: dict[str, Any] = {}

    @contextmanager
    def session(self) -> Iterator["Display"]:
        """Show the bars for the duration of the command; what is printed or logged meanwhile goes above them."""
        if not self.enabled:
            yield self
            return
        with self.progress:
            yield self

    @property
    def _results(self) -> Console:
        """Where result lines go: stdout, except while the bars are shown and stdout is the terminal too; then
        through the bars' console, which prints them above the bars."""
        return self.err if self.progress.live.is_started and self.out.is_terminal else self.out

    def start(self, spec: MappingSpec) -> dict[str, Any]:
        """Per-type options for the engine: a progress callback feeding this type's bar."""
        if not self.enabled:
            return {}
        task = self.progress.add_task(spec.content_type, total=None)
        self._tasks[spec.content_type] = task

        def advance(done: int, total: int | None) -> None:
            self.progress.update(task, completed=done, total=total)

        return {"progress": advance}

    def result(self, result: SyncResult) -> None:
        """The one line of a finished content type (and its failures)."""
        if result.content_type in self._tasks:
            self.progress.remove_task(self._tasks.pop(result.content_type))
        if self.dry_run:
            parts = [f"{PLAN_VERBS[k]} {getattr(result, k)}" for k in ("created", "updated", "deleted")]
            self._results.print(f"{result.content_type}: {', '.join(parts)}, {result.unchanged} unchanged")
            for action in ("create", "update", "delete"):
                if result.samples.get(action):
                    self._results.print(f"  {action}: {', '.join(result.samples[action])}")
            return
        self._results.print(result.summary())
        for failure in result.failures:
            what = "quarantined" if failure.permanent else "failed"
            self.err.print(f"  {what} {failure.action} {failure.medusa_id}: {failure.message}")
        shown = len(result.failures)
        if result.failed + result.quarantined > shown:
            self.err.print(f"  ... and {result.failed + result.quarantined - shown} more")
