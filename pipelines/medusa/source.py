"""Read rows of a mapped Medusa table with SQLAlchemy Core (reflected tables, server-side cursor)."""

from __future__ import annotations

import json
import math
import threading
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any, Iterator, Mapping, Sequence

import sqlalchemy as sa
from sqlalchemy.engine import make_url

from ..mapping import MappingSpec
from ..secrets import redact, remember
from .database_url import ambiguity, ambiguity_message
from .query import DELETED, FULL, Buckets, SpecQuery, Window

__all__ = ["DELETED", "FULL", "Buckets", "Window", "MedusaSource", "Rows", "SourceError", "UnreadableJson", "engine_url", "MAX_JSON_DEPTH", "too_deep"]

DEFAULT_CHUNK_SIZE = 500
IN_BATCH = 1000  # keys per `IN (...)` lookup


class SourceError(Exception):
    """Medusa's database is unreachable or lacks a mapped table or column."""




def engine_url(url: str) -> sa.URL:
    """Parse a Postgres URL, naming the psycopg 3 driver when none is given.

    The password is remembered for redaction; a URL that does not parse, or reads two ways (`database_url`), is
    refused without echoing it (SQLAlchemy's own message would quote it, password included).
    """
    why = ambiguity(url.strip())
    if why:
        raise SourceError(ambiguity_message(why))
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
    """A json/jsonb value that cannot be synced as it is, in place of the value, so that its row fails on its
    own in the transform: Python could not parse it (`value` None), or it nests deeper than MAX_JSON_DEPTH
    (`value`: what was parsed, whose shallower parts, a `json_entries` key, may still be synced).
    """

    reason: str
    value: Any = None


MAX_JSON_DEPTH = 100  # deeper values fail their row: Python's JSON encoder and Strapi's reader are recursive
TOO_DEEP = f"JSON value nests deeper than {MAX_JSON_DEPTH} levels"


def load_json(text: str | bytes) -> Any:
    """json.loads for the database driver, returning JSON-safe values only; any other becomes UnreadableJson.

    Safe means: nested at most MAX_JSON_DEPTH levels, and no non-finite number (a `json` column keeps
    `1e400` as written; it reads as None, as the transform turns any non-finite float). So the transform
    takes the objects this returns as they are, without copying them (a full sync reads millions).
    """
    try:
        value = _DECODER.decode(text.decode() if isinstance(text, (bytes, bytearray)) else text)  # Postgres sends UTF-8
    except RecursionError:
        return UnreadableJson("JSON nested too deeply to be read")
    except ValueError as exc:
        return UnreadableJson(f"invalid JSON: {exc}")
    brackets = (b"{", b"[") if isinstance(text, (bytes, bytearray)) else ("{", "[")
    # Nesting needs an opening bracket per level, so most values are cleared by two counts in C.
    if text.count(brackets[0]) + text.count(brackets[1]) > MAX_JSON_DEPTH and _nests_deeper(value, MAX_JSON_DEPTH):
        return UnreadableJson(TOO_DEEP, value)
    return value


def _finite_float(literal: str) -> float | None:
    number = float(literal)
    return number if math.isfinite(number) else None


def _no_constant(_literal: str) -> None:
    return None  # NaN, Infinity: Postgres's JSON refuses them; read as None were one to appear


def too_deep(value: Any) -> Any:
    """`value` (a part of a parsed JSON value), or UnreadableJson holding it when it nests too deep."""
    return UnreadableJson(TOO_DEEP, value) if _nests_deeper(value, MAX_JSON_DEPTH) else value


_DECODER = json.JSONDecoder(parse_float=_finite_float, parse_constant=_no_constant)  # json.loads would build one a call


def _nests_deeper(value: Any, max_depth: int) -> bool:
    """Whether a parsed JSON value has containers more than `max_depth` deep (iterative: no recursion)."""
    stack = [(value, 1)] if isinstance(value, (dict, list)) else []
    while stack:
        node, depth = stack.pop()
        if depth > max_depth:
            return True
        children = node.values() if isinstance(node, dict) else node
        stack.extend((child, depth + 1) for child in children if isinstance(child, (dict, list)))
    return False


@dataclass(frozen=True)
class Rows:
    """A chunk of extracted rows: their column labels, and each row's values in that order (as the driver
    reads them; a dict per row would cost as much as the whole transform of a plain row)."""

    columns: tuple[str, ...]
    values: Sequence[Sequence[Any]]

    def __len__(self) -> int:
        return len(self.values)

    @classmethod
    def of_dicts(cls, rows: Sequence[Mapping[str, Any]]) -> "Rows":
        """Rows given as dicts (a key one row lacks reads as None in it)."""
        columns = tuple(dict.fromkeys(column for row in rows for column in row))
        return cls(columns, [tuple(row.get(column) for column in columns) for row in rows])


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
    ) -> Iterator[Rows]:
        """Yield the rows of `spec`'s table in `window`, `chunk_size` at a time.

        Uses a server-side cursor, so memory stays bounded by the chunk size whatever the table size.
        """
        stmt = self.select(spec, window)
        try:
            with self.engine.connect() as conn:
                result = conn.execution_options(stream_results=True, yield_per=chunk_size).execute(stmt)
                columns = tuple(result.keys())
                for partition in result.partitions():
                    yield Rows(columns, partition)
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
    # The DBAPI message without SQLAlchemy's statement dump, redacted: the driver quotes connection parameters
    # (`invalid sslmode value: "..."`), which a URL may have taken from a misplaced password.
    return redact(str(exc.orig).strip().splitlines()[0] if exc.orig else type(exc).__name__)
