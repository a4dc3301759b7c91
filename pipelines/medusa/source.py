"""Read rows of a mapped Medusa table with SQLAlchemy Core (reflected tables, server-side cursor)."""

from __future__ import annotations

import json
import threading
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any, Iterator

import sqlalchemy as sa
from sqlalchemy.engine import make_url

from ..mapping import MappingSpec
from ..secrets import remember
from .query import DELETED, FULL, Buckets, SpecQuery, Window

__all__ = ["DELETED", "FULL", "Buckets", "Window", "MedusaSource", "SourceError", "UnreadableJson", "engine_url"]

DEFAULT_CHUNK_SIZE = 500
IN_BATCH = 1000  # keys per `IN (...)` lookup


class SourceError(Exception):
    """Medusa's database is unreachable or lacks a mapped table or column."""




def engine_url(url: str) -> sa.URL:
    """Parse a Postgres URL, naming the psycopg 3 driver when none is given.

    The password is remembered for redaction; a URL that does not parse is refused without echoing it
    (SQLAlchemy's own message would quote it, password included).
    """
    try:
        parsed = make_url(url.strip())
    except (sa.exc.ArgumentError, ValueError):
        raise SourceError("MEDUSA_DATABASE_URL is not a valid database URL (its value is not shown)") from None
    remember(parsed.password)
    if parsed.drivername in ("postgres", "postgresql"):
        parsed = parsed.set(drivername="postgresql+psycopg")
    return parsed


@dataclass(frozen=True)
class UnreadableJson:
    """A json/jsonb value Python could not parse (e.g. nested deeper than its recursion limit).

    The extractor returns it in place of the value, so the row fails on its own in the transform.
    """

    reason: str


def load_json(text: str | bytes) -> Any:
    """json.loads for the database driver; a value it cannot parse becomes UnreadableJson, not an error."""
    try:
        return json.loads(text)
    except RecursionError:
        return UnreadableJson("JSON nested too deeply to be read")
    except ValueError as exc:
        return UnreadableJson(f"invalid JSON: {exc}")


class MedusaSource:
    """Medusa's Postgres, read-only: reflects mapped tables once and streams their rows."""

    def __init__(self, url: str, *, connect_timeout: int = 10):
        self.engine = sa.create_engine(
            engine_url(url),
            pool_pre_ping=True,
            json_deserializer=load_json,
            connect_args={"connect_timeout": connect_timeout, "application_name": "medusa-strapi-sync"},
        )
        sa.event.listen(self.engine, "connect", _session_settings)
        url_ = self.engine.url
        self.identity = f"{url_.host or 'localhost'}:{url_.port or 5432}/{url_.database}"  # no credentials
        self._metadata = sa.MetaData()
        self._tables: dict[tuple[str, str], sa.Table] = {}
        self._reflect_lock = threading.Lock()  # concurrent reflection into one MetaData yields empty tables

    def dispose(self) -> None:
        """Close pooled connections."""
        self.engine.dispose()

    def table(self, name: str, schema: str = "public") -> sa.Table:
        """The reflected table, cached; SourceError when it does not exist or the database is down."""
        key = (schema, name)
        with self._reflect_lock:
            return self._tables[key] if key in self._tables else self._reflect(key)

    def _reflect(self, key: tuple[str, str]) -> sa.Table:
        schema, name = key
        try:
            self._tables[key] = sa.Table(name, self._metadata, schema=schema, autoload_with=self.engine)
        except sa.exc.NoSuchTableError:
            raise SourceError(f"table {schema}.{name} does not exist in Medusa's database") from None
        except sa.exc.OperationalError as exc:
            raise SourceError(f"cannot connect to Medusa's database: {_reason(exc)}") from None
        return self._tables[key]

    def query(self, spec: MappingSpec) -> SpecQuery:
        """The SQL builder of `spec` over this database's reflected tables."""
        try:
            return SpecQuery(spec, self.table)
        except KeyError as exc:
            raise SourceError(f"{spec.content_type}: a mapped column does not exist in Medusa's database: {exc}") from None

    def select(self, spec: MappingSpec, window: Window = FULL, *, grouped: bool | None = None) -> sa.Select:
        """The SELECT of `spec`'s rows within `window` (see `SpecQuery.select`, and its `grouped`)."""
        try:
            return self.query(spec).select(window, grouped=grouped)
        except KeyError as exc:
            raise SourceError(f"{spec.content_type}: a mapped column does not exist in Medusa's database: {exc}") from None

    def iter_chunks(
        self, spec: MappingSpec, window: Window = FULL, chunk_size: int = DEFAULT_CHUNK_SIZE
    ) -> Iterator[list[dict[str, Any]]]:
        """Yield the rows of `spec`'s table in `window` as lists of dicts, `chunk_size` at a time.

        Uses a server-side cursor, so memory stays bounded by the chunk size whatever the table size.
        """
        stmt = self.select(spec, window)
        try:
            with self.engine.connect() as conn:
                result = conn.execution_options(stream_results=True, yield_per=chunk_size).execute(stmt)
                columns = list(result.keys())
                for partition in result.partitions():
                    yield [dict(zip(columns, row)) for row in partition]
        except sa.exc.OperationalError as exc:
            raise SourceError(f"reading {spec.table} from Medusa's database failed: {_reason(exc)}") from None

    def count(self, spec: MappingSpec) -> int:
        """Number of live rows of `spec`."""
        with self.engine.connect() as conn:
            return int(conn.execute(self.query(spec).count()).scalar_one())


SESSION_SETTINGS = (
    # The mapped SELECTs are cheap per row but costed high (correlated subqueries over whole tables), so
    # Postgres's JIT compiles them for longer than they run: 0.5 s of a 0.86 s product read (PG 15).
    "SET jit = off",
)


def _session_settings(dbapi_connection: Any, _record: Any) -> None:
    """Per-connection settings of the read sessions; a server that lacks one (Postgres < 11) is left as it is."""
    for statement in SESSION_SETTINGS:
        try:
            with dbapi_connection.cursor() as cursor:
                cursor.execute(statement)
            dbapi_connection.commit()  # a SET inside a transaction that is rolled back would be undone
        except Exception:  # noqa: BLE001 - a setting is an optimisation, never a reason to fail
            dbapi_connection.rollback()


@contextmanager
def database_errors(what: str) -> Iterator[None]:
    """Turn a database failure anywhere in `what` (a lost connection, a server gone) into one SourceError line."""
    try:
        yield
    except sa.exc.DBAPIError as exc:
        raise SourceError(f"{what}: Medusa's database failed: {_reason(exc)}") from None


def _reason(exc: sa.exc.DBAPIError) -> str:
    # The DBAPI message without SQLAlchemy's statement dump; URLs with passwords never appear here.
    return str(exc.orig).strip().splitlines()[0] if exc.orig else type(exc).__name__
