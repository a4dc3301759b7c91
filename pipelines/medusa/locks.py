"""Per-content-type advisory locks in Medusa's Postgres, so a reconcile's deletes never race other runs.

Every run that writes a content type (CLI, sensor, schedule, backfill) holds its lock *shared* for as
long as it reads Medusa and writes Strapi; a reconcile takes it *exclusively* for its delete phase
only (list Strapi's candidates, re-check them in Medusa, delete). So a delete phase never overlaps a
run that read a row before the re-check and writes it after, and ordinary runs never wait for each
other. The locks live in the database every writer already connects to, so they hold across
processes and hosts (Dagster run workers, the CLI); a process that dies releases its lock with its
connection.
"""

from __future__ import annotations

import hashlib
import logging
import time
from contextlib import contextmanager
from typing import Iterator

import sqlalchemy as sa

NAMESPACE = "medusa-strapi-sync:"
LOCK_NOT_AVAILABLE = "55P03"
REPORT_EVERY_SECONDS = 10.0
DEFAULT_MAX_WAIT_SECONDS = 30 * 60.0

logger = logging.getLogger(__name__)


class LockTimeout(Exception):
    """Another run kept a content type's lock longer than we were willing to wait."""


def lock_key(content_type: str) -> int:
    """A stable signed 64-bit key for `content_type` (Postgres advisory locks take a bigint)."""
    digest = hashlib.blake2b((NAMESPACE + content_type).encode(), digest_size=8).digest()
    return int.from_bytes(digest, "big", signed=True)


class ContentTypeLock:
    """The advisory lock of one content type, taken on a dedicated connection of `engine`."""

    def __init__(self, engine: sa.Engine, content_type: str, *, log: logging.Logger | object = logger,
                 max_wait_seconds: float = DEFAULT_MAX_WAIT_SECONDS):
        self.engine = engine
        self.content_type = content_type
        self.key = lock_key(content_type)
        self.log = log
        self.max_wait_seconds = max_wait_seconds

    @contextmanager
    def shared(self) -> Iterator[None]:
        """Held by every run that writes the type; many at once."""
        with self._held("pg_advisory_lock_shared", "pg_advisory_unlock_shared", "shared"):
            yield

    @contextmanager
    def exclusive(self) -> Iterator[None]:
        """Held by a delete phase; waits for the type's other writers, and they wait for it."""
        with self._held("pg_advisory_lock", "pg_advisory_unlock", "exclusive"):
            yield

    @contextmanager
    def _held(self, lock: str, unlock: str, mode: str) -> Iterator[None]:
        with self.engine.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
            self._acquire(conn, lock, mode)
            try:
                yield
            finally:
                conn.execute(sa.text(f"select {unlock}(:key)"), {"key": self.key})

    def _acquire(self, conn: sa.Connection, lock: str, mode: str) -> None:
        # A blocking request queues in Postgres, so a waiting delete phase is not starved by a stream of
        # shared holders; lock_timeout wakes us up now and then to report the wait and to give up.
        conn.execute(sa.text("select set_config('lock_timeout', :t, false)"), {"t": f"{int(REPORT_EVERY_SECONDS * 1000)}ms"})
        started = time.monotonic()
        while True:
            try:
                conn.execute(sa.text(f"select {lock}(:key)"), {"key": self.key})
                break
            except sa.exc.OperationalError as exc:
                if getattr(exc.orig, "sqlstate", None) != LOCK_NOT_AVAILABLE:
                    raise
            waited = time.monotonic() - started
            if waited > self.max_wait_seconds:
                raise LockTimeout(
                    f"{self.content_type}: gave up after {waited:.0f}s waiting for another run "
                    f"of this content type (advisory lock {self.key})"
                )
            self.log.info(f"{self.content_type}: waiting {waited:.0f}s for the {mode} lock "
                          "(another run is deleting, or is still writing before a delete)")
        conn.execute(sa.text("select set_config('lock_timeout', '0', false)"))
