"""Throwaway Postgres databases (a copy by CREATE DATABASE ... TEMPLATE, or an empty one), for the measuring scripts and tests."""

from __future__ import annotations

import os
import subprocess
import sys
import uuid
from contextlib import contextmanager
from pathlib import Path
from typing import Iterator

import sqlalchemy as sa

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from pipelines.medusa.source import engine_url  # noqa: E402


@contextmanager
def database_copy(url: str, label: str) -> Iterator[str]:
    """Yield the URL of a fresh copy of the database at `url`; drop the copy afterwards.

    Copied as a template when nothing else is connected to it (Postgres' rule for templates); else (Medusa's
    server runs on it, say) through pg_dump | pg_restore, which reads a consistent snapshot alongside them.
    """
    with _throwaway(url, label, copy=True) as copy_url:
        yield copy_url


@contextmanager
def empty_database(url: str, label: str) -> Iterator[str]:
    """Yield the URL of a new empty database on the server of `url` (named after its database); drop it afterwards."""
    with _throwaway(url, label, copy=False) as empty_url:
        yield empty_url


def kept_copy(url: str, name: str) -> str:
    """Copy the database at `url` into `name` (replaced if it exists) through pg_dump | pg_restore, and keep it (a
    benchmark's catalog, dropped by `drop_database`); the copy's URL, password included."""
    template = engine_url(url)
    admin = sa.create_engine(template.set(database="postgres"), isolation_level="AUTOCOMMIT")
    try:
        with admin.connect() as conn:
            conn.execute(sa.text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
            conn.execute(sa.text(f'CREATE DATABASE "{name}"'))
    finally:
        admin.dispose()
    _dump_into(template, name)
    return template.set(database=name).render_as_string(hide_password=False)


def drop_database(url: str) -> None:
    """Drop the database at `url` (a `kept_copy`), whoever is connected to it."""
    target = engine_url(url)
    admin = sa.create_engine(target.set(database="postgres"), isolation_level="AUTOCOMMIT")
    try:
        with admin.connect() as conn:
            conn.execute(sa.text(f'DROP DATABASE IF EXISTS "{target.database}" WITH (FORCE)'))
    finally:
        admin.dispose()


@contextmanager
def _throwaway(url: str, label: str, copy: bool) -> Iterator[str]:
    template = engine_url(url)
    name = f"{template.database}_{label}_{uuid.uuid4().hex[:6]}"
    admin = sa.create_engine(template.set(database="postgres"), isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        if not copy:
            conn.execute(sa.text(f'CREATE DATABASE "{name}"'))
        else:
            try:
                conn.execute(sa.text(f'CREATE DATABASE "{name}" TEMPLATE "{template.database}"'))
            except sa.exc.OperationalError as exc:
                if "being accessed by other users" not in str(exc):
                    raise
                conn.execute(sa.text(f'CREATE DATABASE "{name}"'))
                _dump_into(template, name)
    try:
        yield template.set(database=name).render_as_string(hide_password=False)
    finally:
        with admin.connect() as conn:
            conn.execute(sa.text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()


def _dump_into(template: sa.URL, name: str) -> None:
    """Copy `template`'s database into the empty database `name` with pg_dump | pg_restore."""
    env = {**os.environ, "PGPASSWORD": template.password or ""}
    common = ["-h", template.host or "127.0.0.1", "-p", str(template.port or 5432), "-U", template.username or "postgres"]
    dump = subprocess.Popen(["pg_dump", "-Fc", *common, template.database], stdout=subprocess.PIPE, env=env)
    restore = subprocess.run(["pg_restore", "--no-owner", *common, "-d", name], stdin=dump.stdout, env=env,
                             capture_output=True, text=True)
    dump.stdout.close()
    if dump.wait() != 0 or restore.returncode != 0:
        raise RuntimeError(f"copying {template.database} into {name} failed: {restore.stderr.strip()[:500]}")

