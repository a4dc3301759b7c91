"""Read rows of a mapped Medusa table with SQLAlchemy Core (reflected tables, server-side cursor)."""

from __future__ import annotations

import json
import threading
from dataclasses import dataclass
from datetime import datetime
from typing import Any, Iterable, Iterator

import sqlalchemy as sa
from sqlalchemy.engine import make_url

from ..mapping import MappingSpec, Relation
from ..secrets import remember

DEFAULT_CHUNK_SIZE = 500
IN_BATCH = 1000  # keys per `IN (...)` lookup


class SourceError(Exception):
    """Medusa's database is unreachable or lacks a mapped table or column."""


DELETED = "__deleted"  # extra column of windows that include soft-deleted rows


@dataclass(frozen=True)
class Window:
    """Which rows of a table a run covers.

    The full window (the default) holds every live row. A bounded window holds the rows whose `column`
    (default: the mapping's cursor) is in [start, end) — start inclusive, at microsecond precision —
    and, with `include_deleted`, the soft-deleted ones too, so that their deletion can be propagated.
    A table without a cursor has no bounds to apply: its window is always the whole table.
    """

    column: str | None = None
    start: datetime | None = None
    end: datetime | None = None
    include_deleted: bool = False
    keys: frozenset[str] | None = None  # only these primary-key values (as text)

    @property
    def is_full(self) -> bool:
        """True when the window covers every live row and nothing else."""
        return self.start is None and self.end is None and not self.include_deleted and self.keys is None

    @classmethod
    def of_keys(cls, keys: Iterable[Any]) -> "Window":
        """The live rows whose primary key is one of `keys` (read again at the time of the call)."""
        return cls(keys=frozenset(str(k) for k in keys))

    @classmethod
    def changes_since(cls, since: datetime | None) -> "Window":
        """Rows changed at or after `since` (all rows when None), soft-deleted ones included."""
        return cls(start=since, include_deleted=True)

    @classmethod
    def between(cls, column: str, start: datetime, end: datetime) -> "Window":
        """Rows whose `column` is in [start, end), soft-deleted ones included (a backfill partition)."""
        return cls(column=column, start=start, end=end, include_deleted=True)

    def describe(self) -> str:
        """Human-readable bounds, for logs and run metadata."""
        if self.is_full:
            return "all live rows"
        if self.keys is not None:
            return f"{len(self.keys)} live row(s) by key"
        bounds = f"{self.column or 'cursor'} in [{self.start.isoformat() if self.start else '-inf'}, " \
                 f"{self.end.isoformat() if self.end else '+inf'})"
        return bounds + (", soft-deleted included" if self.include_deleted else "")


FULL = Window()


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

    def _columns(self, spec: MappingSpec) -> tuple[sa.Table, list[sa.Column]]:
        table = self.table(spec.table, spec.schema)
        missing = [c for c in spec.source_columns if c not in table.c]
        if spec.soft_delete and spec.soft_delete not in table.c:
            missing.append(spec.soft_delete)
        if missing:
            raise SourceError(f"{spec.content_type}: table {spec.table} has no column(s) {', '.join(missing)}")
        return table, [table.c[c] for c in spec.source_columns]

    def select(self, spec: MappingSpec, window: Window = FULL) -> sa.Select:
        """The SELECT for `spec` within `window`, in (cursor, key) order.

        With `window.include_deleted`, soft-deleted rows come too, flagged in the `__deleted` column.
        """
        table, columns = self._columns(spec)
        stmt = sa.select(*columns)
        if spec.soft_delete:
            deleted = table.c[spec.soft_delete].is_not(None)
            stmt = stmt.add_columns(deleted.label(DELETED)) if window.include_deleted else stmt.where(~deleted)
        column_name = window.column or spec.cursor
        if column_name is not None:
            if column_name not in table.c:
                raise SourceError(f"{spec.content_type}: table {spec.table} has no column {column_name}")
            column = table.c[column_name]
            if window.start is not None:
                stmt = stmt.where(column >= window.start)
            if window.end is not None:
                stmt = stmt.where(column < window.end)
        if window.keys is not None:
            stmt = stmt.where(table.c[spec.primary_key].in_(_typed(table.c[spec.primary_key], window.keys)))
        order = [table.c[spec.cursor]] if spec.cursor else []
        return stmt.order_by(*order, table.c[spec.primary_key])

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
                for partition in result.partitions():
                    yield [dict(row._mapping) for row in partition]
        except sa.exc.OperationalError as exc:
            raise SourceError(f"reading {spec.table} from Medusa's database failed: {_reason(exc)}") from None

    def live_keys(self, spec: MappingSpec, keys: Iterable[Any]) -> set[str]:
        """Which of `keys` are live (not soft-deleted) rows of `spec`'s table, as strings."""
        table = self.table(spec.table, spec.schema)
        pk = table.c[spec.primary_key]
        found: set[str] = set()
        with self.engine.connect() as conn:
            for batch in _batched(_typed(pk, keys)):
                stmt = sa.select(pk).where(pk.in_(batch))
                if spec.soft_delete:
                    stmt = stmt.where(table.c[spec.soft_delete].is_(None))
                found.update(str(k) for k in conn.execute(stmt).scalars())
        return found

    def through_keys(
        self, spec: MappingSpec, relation: Relation, target: MappingSpec, source_keys: Iterable[Any]
    ) -> dict[str, list[str]]:
        """Live target keys linked to each of `spec`'s source keys through the relation's join table (sorted)."""
        through = relation.through
        join = self.table(through.table, spec.schema)
        target_table = self.table(target.table, target.schema)
        src, dst = join.c[through.source], join.c[through.target]
        linked: dict[str, list[str]] = {}
        with self.engine.connect() as conn:
            for batch in _batched(_typed(src, source_keys)):
                stmt = (
                    sa.select(src, dst)
                    .select_from(join.join(target_table, dst == target_table.c[target.primary_key]))
                    .where(src.in_(batch))
                    .order_by(src, dst)
                )
                if through.soft_delete:
                    stmt = stmt.where(join.c[through.soft_delete].is_(None))
                if target.soft_delete:
                    stmt = stmt.where(target_table.c[target.soft_delete].is_(None))
                for source_key, target_key in conn.execute(stmt):
                    linked.setdefault(str(source_key), []).append(str(target_key))
        return linked

    def count(self, spec: MappingSpec, window: Window = FULL) -> int:
        """Number of live rows of `spec` in `window`."""
        stmt = sa.select(sa.func.count()).select_from(self.select(spec, window).order_by(None).subquery())
        with self.engine.connect() as conn:
            return int(conn.execute(stmt).scalar_one())


def _typed(column: sa.Column, keys: Iterable[Any]) -> list[Any]:
    """Keys as the column's Python type (relation keys travel as strings; integer keys must not)."""
    unique = list(dict.fromkeys(k for k in keys if k is not None))
    if isinstance(column.type, sa.Integer):
        return [int(k) for k in unique if str(k).lstrip("-").isdigit()]
    return [str(k) for k in unique]


def _batched(items: list[Any]) -> Iterator[list[Any]]:
    for start in range(0, len(items), IN_BATCH):
        yield items[start:start + IN_BATCH]


def _reason(exc: sa.exc.DBAPIError) -> str:
    # The DBAPI message without SQLAlchemy's statement dump; URLs with passwords never appear here.
    return str(exc.orig).strip().splitlines()[0] if exc.orig else type(exc).__name__
