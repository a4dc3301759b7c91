"""A throwaway copy of a Postgres database (CREATE DATABASE ... TEMPLATE), for the measuring scripts."""

from __future__ import annotations

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

    The template must have no other connection while it is copied (Postgres' rule).
    """
    template = engine_url(url)
    name = f"{template.database}_{label}_{uuid.uuid4().hex[:6]}"
    admin = sa.create_engine(template.set(database="postgres"), isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(sa.text(f'CREATE DATABASE "{name}" TEMPLATE "{template.database}"'))
    try:
        yield template.set(database=name).render_as_string(hide_password=False)
    finally:
        with admin.connect() as conn:
            conn.execute(sa.text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()
