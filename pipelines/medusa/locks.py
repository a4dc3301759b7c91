"""Advisory locks in Medusa's Postgres: per content type, so a reconcile's deletes never race other runs; and
writer slots, so that at most N runs write to one Strapi at once.

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
    """Another run kept a content type's lock (or every writer slot) longer than we were willing to wait."""


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


def slot_key(strapi: str, slot: int) -> int:
    """The advisory lock key of writer slot `slot` of the Strapi at URL `strapi`."""
    return lock_key(f"strapi-writer:{strapi.rstrip('/')}:{slot}")


class WriterSlots:
    """At most `limit` runs write to one Strapi at once, whatever runs them (the CLI, Dagster runs in any process
    or host): `limit` advisory locks per Strapi URL, of which a run holds one while it writes.

    A run takes the first free slot with pg_try_advisory_lock (atomic: two runs never hold one slot), else waits,
    reporting every 10 s and giving up after 30 min. Dagster's `strapi` pool caps its steps the same way and
    shows them waiting in its UI, but its slot claim is a check-then-update that two steps starting at the same
    moment can both pass; this cap is the one that holds. Take it before a content type's lock, never inside it.
    """

    POLL_SECONDS = 0.25

    def __init__(self, engine: sa.Engine, strapi: str, limit: int, *, log: logging.Logger | object = logger,
                 label: str = "", max_wait_seconds: float = DEFAULT_MAX_WAIT_SECONDS):
        self.engine = engine
        self.strapi = strapi
        self.limit = limit
        self.log = log
        self.label = label
        self.max_wait_seconds = max_wait_seconds

    @contextmanager
    def held(self) -> Iterator[int]:
        """Hold a free slot (1-based, yielded) while the block runs."""
        with self.engine.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
            slot = self._acquire(conn)
            self.log.info(f"{self.label}: writer slot {slot} of {self.limit} taken")
            try:
                yield slot
            finally:
                conn.execute(sa.text("select pg_advisory_unlock(:key)"), {"key": slot_key(self.strapi, slot)})
                self.log.info(f"{self.label}: writer slot {slot} of {self.limit} released")

    def _acquire(self, conn: sa.Connection) -> int:
        started = reported = time.monotonic()
        while True:
            for slot in range(1, self.limit + 1):
                if conn.execute(sa.text("select pg_try_advisory_lock(:key)"), {"key": slot_key(self.strapi, slot)}).scalar():
                    return slot
            now = time.monotonic()
            if now - started > self.max_wait_seconds:
                raise LockTimeout(f"{self.label}: gave up after {now - started:.0f}s waiting for one of the "
                                  f"{self.limit} writer slots of Strapi (STRAPI_MAX_WRITERS)")
            if now - reported >= REPORT_EVERY_SECONDS:
                reported = now
                self.log.info(f"{self.label}: waiting {now - started:.0f}s for one of the {self.limit} writer slots "
                              "of Strapi (other runs are writing; STRAPI_MAX_WRITERS)")
            time.sleep(self.POLL_SECONDS)
