"""How a step fails. An expected failure (a mapping that does not match Medusa or Strapi, a system down,
credentials refused, rows that failed transiently) shows its message and metadata and no stack trace; a bug
shows its own stack.

Why the trick below: Dagster (1.13) serializes a step's `Failure` with `traceback.TracebackException`, so the
step failure carries the framework frames the Failure passed through, and the UI prints them under "Stack
Trace:" whenever there are any. Nothing public turns that off (Failure has no such flag, and
DAGSTER_REDACT_USER_CODE_ERRORS, for every step, masks the messages of bugs). `TracebackException` reads
`sys.tracebacklimit` when it extracts the frames, and calls `str()` on the exception right after. So an
`ExpectedFailure` sets the limit to 0 when Dagster's own code reads its metadata while handling it (to build
the step failure's user data, just before serializing the error), and puts the limit back in its `__str__`. In
between run only Dagster's code and the standard library, in the step's thread: no other step and no user code
runs before the limit is back, with the in-process executor (steps one after another in one thread) as with
the multiprocess one (a process per step). Only a read by Dagster's code while it handles this very failure
sets the limit, and never once the failure was formatted: a Dagster that read the metadata at another moment
would show the stack again rather than leave the limit at 0. The limit is process-wide: it stays 0 while any
failure holds it, and goes back to what it was when the last one lets go.
"""

from __future__ import annotations

import sys
import threading
from collections.abc import Mapping
from typing import Any

from dagster import Failure

from pipelines.errors import is_expected, refused_setting
from pipelines.secrets import describe_error, redact

_ABSENT = object()


class _NoFrames:
    """`sys.tracebacklimit = 0` while at least one expected failure is being serialized (in any thread)."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._holders: set[int] = set()
        self._saved: Any = _ABSENT

    def hold(self, holder: object) -> None:
        with self._lock:
            if not self._holders:
                self._saved = getattr(sys, "tracebacklimit", _ABSENT)
                sys.tracebacklimit = 0
            self._holders.add(id(holder))

    def release(self, holder: object) -> None:
        with self._lock:
            if id(holder) not in self._holders:
                return
            self._holders.discard(id(holder))
            if not self._holders:
                if self._saved is _ABSENT:
                    del sys.tracebacklimit
                else:
                    sys.tracebacklimit = self._saved


_no_frames = _NoFrames()


def _read_by_dagster() -> bool:
    reader = sys._getframe(2)  # 0: this function, 1: the metadata getter, 2: the code reading the metadata
    return reader.f_globals.get("__name__", "").split(".")[0] == "dagster"


class ExpectedFailure(Failure):
    """A Failure whose step failure carries its description and metadata without a stack trace."""

    def __init__(self, description: str, metadata: Mapping[str, Any] | None = None):
        self._formatted = False
        super().__init__(description=description, metadata=metadata)

    @property
    def metadata(self) -> Mapping[str, Any]:
        """The failure's metadata; Dagster reads it while handling the failure, just before serializing it."""
        if not self._formatted and sys.exc_info()[1] is self and _read_by_dagster():
            _no_frames.hold(self)
        return self._metadata

    @metadata.setter
    def metadata(self, value: Mapping[str, Any]) -> None:
        self._metadata = value

    def __str__(self) -> str:
        self._formatted = True
        _no_frames.release(self)
        return super().__str__()


class UnexpectedError(RuntimeError):
    """A bug met during a step, with its message redacted (it is raised with the bug's own traceback)."""


def failure_for(exc: BaseException, what: str) -> Exception:
    """What a step raises for `exc`, caught around the engine (raise it outside the `except` block, so no
    library's original text is chained into Dagster's storage): an ExpectedFailure with `what: ` and one
    redacted line for the errors a run expects; otherwise an UnexpectedError carrying `exc`'s traceback."""
    if is_expected(exc):
        refused = refused_setting(exc)  # e.g. "STRAPI_API_TOKEN was refused by Strapi at …"
        return ExpectedFailure(redact(f"{what}: {refused + ': ' if refused else ''}{describe_error(exc)}"))  # the URL too
    return UnexpectedError(f"{what}: unexpected {describe_error(exc)}").with_traceback(exc.__traceback__)
