"""What the command line shows while it works: a progress bar per content type (rich, with totals and ETA
when the size is known), and one result line per type when it is done."""

from __future__ import annotations

from contextlib import contextmanager
from typing import Any, Iterator

from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, SpinnerColumn, TextColumn, TimeElapsedColumn, TimeRemainingColumn

from .mapping import MappingSpec
from .sync.result import SyncResult

PLAN_VERBS = {"created": "would create", "updated": "would update", "deleted": "would delete"}


class Display:
    """Progress bars on stderr (only on a terminal, and not with --quiet), results on stdout."""

    def __init__(self, *, quiet: bool = False, dry_run: bool = False):
        self.dry_run = dry_run
        self.err = Console(stderr=True)
        self.out = Console(soft_wrap=True, highlight=False)
        self.enabled = not quiet and self.err.is_terminal
        self.progress = Progress(
            SpinnerColumn(), TextColumn("{task.description:<22}"), BarColumn(), MofNCompleteColumn(),
            TextColumn("rows"), TimeElapsedColumn(), TextColumn("ETA"), TimeRemainingColumn(),
            console=self.err, transient=True,
        )
        self._tasks: dict[str, Any] = {}

    @contextmanager
    def session(self) -> Iterator["Display"]:
        """Show the bars for the duration of the command."""
        if not self.enabled:
            yield self
            return
        with self.progress:
            yield self

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
            self.out.print(f"{result.content_type}: {', '.join(parts)}, {result.unchanged} unchanged", markup=False)
            for action in ("create", "update", "delete"):
                if result.samples.get(action):
                    self.out.print(f"  {action}: {', '.join(result.samples[action])}", markup=False)
            return
        self.out.print(result.summary(), markup=False)
        for failure in result.failures:
            what = "quarantined" if failure.permanent else "failed"
            self.err.print(f"  {what} {failure.action} {failure.medusa_id}: {failure.message}", markup=False, highlight=False)
        shown = len(result.failures)
        if result.failed + result.quarantined > shown:
            self.err.print(f"  ... and {result.failed + result.quarantined - shown} more", markup=False, highlight=False)
