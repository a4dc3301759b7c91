"""One overall deadline per fetched file (MEDIA_FETCH_DEADLINE), whatever the server does to stretch it.

Connect and read timeouts bound each wait for the network, not their sum: a server that sends a byte every
few seconds (in its headers or its body), answers 503 with a long Retry-After, or redirects from one slow
hop to the next, keeps a fetch going for as long as it likes. A `Deadline` bounds the whole fetch, redirects
and retries included:

- each request's connect and read timeouts are clamped to the time left (`Deadline.timeouts`);
- the socket of every request sent while the deadline is current in the thread is watched, and shut down when
  the deadline passes, which ends any read blocked on it (`DeadlineAdapter` installs the watching connections);
- retries stop, and their waits (backoff, Retry-After) are cut to the time left, once it has passed
  (`DeadlineRetry`).

The fetcher checks `Deadline.expired` after each request and after reading the body: a body cut short by the
shutdown is never taken for a whole one.
"""

from __future__ import annotations

import socket
import threading
import time
from typing import Any, Callable

from requests.adapters import HTTPAdapter
from urllib3.connection import HTTPConnection, HTTPSConnection
from urllib3.connectionpool import HTTPConnectionPool, HTTPSConnectionPool
from urllib3.util.retry import Retry

_current = threading.local()  # the deadline of the fetch this thread runs, if any


class Deadline:
    """A point in time after which a fetch stops; a context manager that makes it current in the thread."""

    def __init__(self, seconds: float, clock: Callable[[], float] = time.monotonic):
        self.seconds = seconds
        self.clock = clock
        self.ends = clock() + seconds
        self._lock = threading.Lock()
        self._socket: socket.socket | None = None
        self._expired = False
        self._timer: threading.Timer | None = None
        self._outer: Deadline | None = None  # the thread's deadline before this one

    def remaining(self) -> float:
        """Seconds left (0 once passed)."""
        return max(0.0, self.ends - self.clock())

    @property
    def expired(self) -> bool:
        """True once the deadline has passed."""
        return self._expired or self.remaining() <= 0

    def timeouts(self, timeout: tuple[float, float]) -> tuple[float, float]:
        """The (connect, read) timeouts of a request sent now: each at most the time left (never 0: that means
        non-blocking to the socket)."""
        left = max(self.remaining(), 0.001)
        return min(timeout[0], left), min(timeout[1], left)

    def watch(self, sock: socket.socket | None) -> None:
        """Shut `sock` down when the deadline passes (at once if it has passed): the request being answered on it."""
        with self._lock:
            self._socket = sock
            expired = self._expired
        if expired:
            _shut(sock)

    def _expire(self) -> None:
        with self._lock:
            self._expired = True
            sock = self._socket
        _shut(sock)

    def __enter__(self) -> "Deadline":
        self._timer = threading.Timer(self.remaining(), self._expire)
        self._timer.daemon = True
        self._timer.start()
        self._outer, _current.deadline = current(), self
        return self

    def __exit__(self, *exc: Any) -> None:
        _current.deadline = self._outer
        if self._timer is not None:
            self._timer.cancel()
        with self._lock:
            self._socket = None


def current() -> Deadline | None:
    """The deadline of the fetch running in this thread, if any."""
    return getattr(_current, "deadline", None)


def _shut(sock: socket.socket | None) -> None:
    """End every read blocked on `sock` (it reads end-of-file); the connection is then discarded by the pool.

    socket.socket.shutdown, not the TLS socket's own: that one drops its TLS state under a reading thread."""
    if sock is None:
        return
    try:
        socket.socket.shutdown(sock, socket.SHUT_RDWR)
    except OSError:
        pass  # already closed


class _Watched:
    """A connection whose socket the current deadline watches while a response is awaited and read."""

    sock: socket.socket | None

    def getresponse(self, *args: Any, **kwargs: Any) -> Any:
        deadline = current()
        if deadline is not None:
            deadline.watch(self.sock)
        return super().getresponse(*args, **kwargs)  # type: ignore[misc]


class WatchedHTTPConnection(_Watched, HTTPConnection):
    """An http connection under the current deadline."""


class WatchedHTTPSConnection(_Watched, HTTPSConnection):
    """An https connection under the current deadline."""


class WatchedHTTPConnectionPool(HTTPConnectionPool):
    """Pools http connections under the current deadline."""

    ConnectionCls = WatchedHTTPConnection


class WatchedHTTPSConnectionPool(HTTPSConnectionPool):
    """Pools https connections under the current deadline."""

    ConnectionCls = WatchedHTTPSConnection


class DeadlineAdapter(HTTPAdapter):
    """A requests adapter whose connections are watched by the current deadline."""

    def init_poolmanager(self, *args: Any, **kwargs: Any) -> None:
        super().init_poolmanager(*args, **kwargs)
        self.poolmanager.pool_classes_by_scheme = {"http": WatchedHTTPConnectionPool, "https": WatchedHTTPSConnectionPool}


class DeadlineRetry(Retry):
    """urllib3's retries, exhausted once the current deadline has passed, and waiting at most the time left."""

    def is_exhausted(self) -> bool:
        deadline = current()
        return super().is_exhausted() or (deadline is not None and deadline.expired)

    def get_retry_after(self, response: Any) -> float | None:
        after = super().get_retry_after(response)
        return None if after is None else min(after, self.backoff_max, _left())

    def get_backoff_time(self) -> float:
        return min(super().get_backoff_time(), _left())


def _left() -> float:
    deadline = current()
    return deadline.remaining() if deadline is not None else float("inf")
