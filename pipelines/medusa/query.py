"""The SQL of a mapping: a window of rows with their relation keys and lookups, and which rows are live.

Everything a record needs comes from one SELECT per window, streamed in chunks: the mapped columns,
each relation's live target key(s) and each lookup's value, as correlated subqueries over the
relation's or lookup's path of hops. A row is live when it is not soft-deleted, matches the mapping's
`where`, and has a live target through every `required` relation.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any, Callable, Iterable

import sqlalchemy as sa
from sqlalchemy.dialects import postgresql
from sqlalchemy.dialects.postgresql import aggregate_order_by

from ..mapping import MappingSpec, Relation
from ..mapping.aggregates import AGGREGATES
from ..mapping.spec import DEFAULT_CURSOR, Condition, Hop, HopPath, TargetTable

Tables = Callable[[str, str], sa.Table]  # (name, schema) -> reflected table

# The type of values taken as psycopg reads them: a text[] comes as a list already, which SQLAlchemy's ARRAY
# type would copy again element by element in Python (half the time of reading a product with its links).
AS_DRIVER_READS = sa.types.NullType()
DELETED = "__deleted"  # extra column of windows that include rows that are not live
BUCKET_CHARS = 2  # untimed link tables are compared in 16^2 = 256 buckets of their rows


@dataclass(frozen=True)
class Buckets:
    """Rows of an untimed link table, grouped by a hash of `column`, whose content changed."""

    table: str
    column: str
    ids: tuple[str, ...]


@dataclass(frozen=True)
class Window:
    """Which rows of a table a run covers.

    The full window (the default) holds every live row. A bounded window holds the rows whose `column`
    (default: the mapping's cursor) is in [start, end) — start inclusive, at microsecond precision —
    and, with `include_deleted`, the rows that are not live too, so that their deletion can be
    propagated. With `follow_links`, rows whose path rows (link tables, prices, rules...) changed at or
    after `start` are in the window too, as are rows reached by the `buckets` of untimed link tables.
    A table without a cursor has no bounds to apply: its window is always the whole table.
    """

    column: str | None = None
    start: datetime | None = None
    end: datetime | None = None
    include_deleted: bool = False
    keys: frozenset[str] | None = None  # only these primary-key values (as text)
    follow_links: bool = False
    buckets: tuple[Buckets, ...] = ()

    @property
    def is_full(self) -> bool:
        """True when the window covers every live row and nothing else."""
        return self.start is None and self.end is None and not self.include_deleted and self.keys is None

    @classmethod
    def of_keys(cls, keys: Iterable[Any]) -> "Window":
        """The live rows whose primary key is one of `keys` (read again at the time of the call)."""
        return cls(keys=frozenset(str(k) for k in keys))

    @classmethod
    def changes_since(cls, since: datetime | None, buckets: tuple[Buckets, ...] = ()) -> "Window":
        """Rows changed at or after `since` (all rows when None), or whose linked rows did; deleted ones included."""
        return cls(start=since, include_deleted=True, follow_links=True, buckets=buckets)

    @classmethod
    def between(cls, column: str, start: datetime, end: datetime) -> "Window":
        """Rows whose `column` is in [start, end), deleted ones included (a backfill partition)."""
        return cls(column=column, start=start, end=end, include_deleted=True)

    def describe(self) -> str:
        """The window in words, for logs and run metadata."""
        if self.is_full:
            return "all live rows"
        if self.keys is not None:
            return f"{len(self.keys)} row(s) by key"
        column = self.column or "the cursor"
        if self.start is None and self.end is None:
            words = "all rows (nothing recorded yet)"
        elif self.end is None and self.column is None:
            words = f"rows changed at or after {_moment(self.start)}"
        elif self.end is None:
            words = f"rows whose {column} is at or after {_moment(self.start)}"
        elif self.start is None:
            words = f"rows whose {column} is before {_moment(self.end)}"
        else:
            words = f"rows whose {column} is from {_moment(self.start)} to {_moment(self.end)} (excluded)"
        if self.follow_links and self.start is not None:
            words += " (or whose linked rows did)"
        if self.buckets:
            words += f", and the rows behind {sum(len(b.ids) for b in self.buckets)} changed bucket(s) of untimed links"
        return words + (", deleted ones included" if self.include_deleted else "")


def _moment(value: datetime) -> str:
    return value.strftime("%Y-%m-%d %H:%M:%S.%f UTC" if value.microsecond else "%Y-%m-%d %H:%M:%S UTC")


FULL = Window()


class SpecQuery:
    """Builds the SQL of one mapping against reflected tables."""

    def __init__(self, spec: MappingSpec, tables: Tables):
        self.spec = spec
        self.tables = tables
        self.source = tables(spec.table, spec.schema)

    # -- what is live ---------------------------------------------------------------------------

    def live(self, table: sa.FromClause | None = None) -> list[sa.ColumnElement]:
        """Conditions a row of the source table (or an alias of it) meets when it is live."""
        table = self.source if table is None else table
        found = conditions(table, self.spec.where)
        if self.spec.soft_delete:
            found.append(table.c[self.spec.soft_delete].is_(None))
        found += [self._reaches(rel, table) for rel in self.spec.relations if rel.required]
        return found

    def _reaches(self, rel: Relation, table: sa.FromClause) -> sa.ColumnElement:
        froms, where, _ = self._targets(rel, table)
        return sa.exists(sa.select(sa.literal(1)).select_from(*froms).where(*where))

    # -- values computed per row ----------------------------------------------------------------

    def link(self, rel: Relation) -> sa.ColumnElement:
        """The live target key(s) of `rel` for each source row, as text (a list for to-many), labelled."""
        if rel.column:
            key = self.source.c[rel.column]
            return sa.case((self._reaches(rel, self.source), sa.cast(key, sa.Text)), else_=None).label(rel.row_key)
        froms, where, value = self._link_value(rel, self.source)
        return sa.select(value).select_from(*froms).where(*where).scalar_subquery().label(rel.row_key)

    def _link_value(self, rel: Relation, table: sa.FromClause | None
                    ) -> tuple[list[sa.FromClause], list[sa.ColumnElement], sa.ColumnElement]:
        froms, where, key = self._targets(rel, table)
        text = sa.cast(key, sa.Text)
        if rel.to_one:
            return froms, where, postgresql.array_agg(aggregate_order_by(text, key))[1]
        return froms, where, sa.type_coerce(postgresql.array_agg(aggregate_order_by(sa.distinct(text), text)), AS_DRIVER_READS)

    def lookup(self, attribute: str) -> sa.ColumnElement:
        """The aggregated value a lookup field reads for each source row, labelled."""
        aliases, where, aggregated = self._lookup_value(attribute, self.source)
        return sa.select(aggregated).select_from(*aliases).where(*where).scalar_subquery().label(self.spec.read_fields[attribute].row_key)

    def _lookup_value(self, attribute: str, table: sa.FromClause | None
                      ) -> tuple[list[sa.FromClause], list[sa.ColumnElement], sa.ColumnElement]:
        f = self.spec.read_fields[attribute]
        aliases, where = self.follow(f.lookup.path, table)
        last = aliases[-1]
        value = last.c[f.lookup.column]
        order = [*([last.c[f.lookup.order]] if f.lookup.order else []), *(list(last.primary_key) or [value])]
        return aliases, where, AGGREGATES[f.lookup.aggregate].sql(value, order)

    def per_row(self, path: HopPath, values: tuple[list[sa.FromClause], list[sa.ColumnElement], sa.ColumnElement]
                ) -> tuple[sa.Subquery, sa.ColumnElement]:
        """A path's aggregate for every source row at once: a subquery grouped by the first hop's column, and the
        condition joining it to the source table. Read once for a whole table, it is a hash join where the
        same aggregate as a correlated subquery costs index lookups per row (5 times slower on 89,000 prices)."""
        froms, where, value = values
        first = path[0]
        key = froms[0].c[first.source]
        grouped = sa.select(key.label("key"), value.label("value")).select_from(*froms).where(*where).group_by(key).subquery()
        return grouped, grouped.c.key == self.source.c[first.from_column or self.spec.primary_key]

    def follow(self, path: HopPath, start_table: sa.FromClause | None, *, filtered: bool = True, upto: int | None = None
               ) -> tuple[list[sa.FromClause], list[sa.ColumnElement]]:
        """Aliases and join conditions of `path` from a row of `start_table` (up to hop `upto`, included); with
        no start table, from every row (the first hop's column not tied to one: see `per_row`).

        Unfiltered (for change detection), hops' `where` and soft deletes are ignored: a link that was
        just soft-deleted or changed its attribute must still lead back to its row.
        """
        aliases: list[sa.FromClause] = []
        where: list[sa.ColumnElement] = []
        previous = None
        for index, hop in enumerate(path[: None if upto is None else upto + 1]):
            alias = self.tables(hop.table, self.spec.schema).alias()
            if previous is None:
                if start_table is not None:
                    where.append(alias.c[hop.source] == start_table.c[hop.from_column or self.spec.primary_key])
            else:
                where.append(alias.c[hop.source] == previous.c[hop.from_column or path[index - 1].target])
            if filtered:
                where += conditions(alias, hop.where)
                if hop.soft_delete:
                    where.append(alias.c[hop.soft_delete].is_(None))
            aliases.append(alias)
            previous = alias
        return aliases, where

    def _targets(self, rel: Relation, table: sa.FromClause | None
                 ) -> tuple[list[sa.FromClause], list[sa.ColumnElement], sa.ColumnElement]:
        """FROM items, conditions and key column of the live targets `rel` reaches from a row of `table`."""
        target = self._target_alias(rel.target_table)
        key = _key(target, rel.target_table)
        if rel.column:
            return [target], [key == table.c[rel.column], *target_live(target, rel.target_table)], key
        aliases, where = self.follow(rel.through, table)
        where += [key == aliases[-1].c[rel.through[-1].target], *target_live(target, rel.target_table)]
        return [*aliases, target], where, key

    def _target_alias(self, target: TargetTable) -> sa.FromClause:
        return self.tables(target.table, target.schema).alias()

    # -- change detection through paths ---------------------------------------------------------

    def stamped_hops(self) -> list[tuple[HopPath, int, list[str]]]:
        """(path, hop index, timestamp columns) of every hop whose table records when its rows change."""
        found = []
        for _, path in self.spec.paths():
            for index, hop in enumerate(path):
                stamps = hop_stamps(self.tables(hop.table, self.spec.schema), hop, self.spec)
                if stamps:
                    found.append((path, index, stamps))
        return found

    def untimed_hops(self) -> list[tuple[HopPath, int]]:
        """(path, hop index) of every hop whose table has no timestamps (compared by bucket digests)."""
        return [
            (path, index) for _, path in self.spec.paths() for index, hop in enumerate(path)
            if not hop_stamps(self.tables(hop.table, self.spec.schema), hop, self.spec)
        ]

    def linked_change(self, since: datetime | None, buckets: tuple[Buckets, ...]) -> list[sa.ColumnElement]:
        """Conditions true for source rows whose path rows changed at or after `since`, or fall in `buckets`."""
        found = []
        if since is not None:
            for path, index, stamps in self.stamped_hops():
                aliases, where = self.follow(path, self.source, filtered=False, upto=index)
                changed = sa.or_(*(aliases[-1].c[c] >= since for c in stamps))
                found.append(sa.exists(sa.select(sa.literal(1)).select_from(*aliases).where(*where, changed)))
        for path, index in self.untimed_hops():
            hop = path[index]
            wanted = [b for b in buckets if (b.table, b.column) == (hop.table, hop.source)]
            ids = sorted({i for b in wanted for i in b.ids})
            if ids:
                aliases, where = self.follow(path, self.source, filtered=False, upto=index)
                in_bucket = bucket_of(aliases[-1].c[hop.source]).in_(ids)
                found.append(sa.exists(sa.select(sa.literal(1)).select_from(*aliases).where(*where, in_bucket)))
        return found

    # -- the window ----------------------------------------------------------------------------

    def select(self, window: Window = FULL, *, grouped: bool | None = None) -> sa.Select:
        """Rows of the window with their mapped columns, relation keys and lookups, in (cursor, key) order.

        With `window.include_deleted`, rows that are not live come too, flagged in the `__deleted` column.
        Paths are read by grouped subqueries (`per_row`) when `grouped`, by correlated ones otherwise; by
        default grouped for the full window only. Both read the same values.
        """
        grouped = window.is_full if grouped is None else grouped
        src = self.source
        columns: list[Any] = [src.c[c] for c in self.spec.source_columns]
        joined: sa.FromClause = src
        # Paths through other tables: for a whole table, one grouped subquery each, joined (see `per_row`); for a
        # window of some rows, a correlated subquery each, which reads only those rows' paths.
        for rel in self.spec.relations:
            if grouped and not rel.column:
                per_row, on = self.per_row(rel.through, self._link_value(rel, None))
                joined = joined.outerjoin(per_row, on)
                columns.append(per_row.c.value.label(rel.row_key))
            else:
                columns.append(self.link(rel))
        for f in self.spec.read_fields.values():
            if f.lookup and grouped:
                per_row, on = self.per_row(f.lookup.path, self._lookup_value(f.attribute, None))
                joined = joined.outerjoin(per_row, on)
                of_nothing = AGGREGATES[f.lookup.aggregate].of_nothing  # a row the join finds nothing for
                value = per_row.c.value if of_nothing is None else sa.func.coalesce(per_row.c.value, of_nothing)
                columns.append(value.label(f.row_key))
            elif f.lookup:
                columns.append(self.lookup(f.attribute))
        stmt = sa.select(*columns).select_from(joined)
        live = self.live()
        if window.include_deleted:
            stmt = stmt.add_columns((sa.not_(sa.and_(*live)) if live else sa.false()).label(DELETED))
        else:
            stmt = stmt.where(*live)
        column = src.c[window.column or self.spec.cursor] if (window.column or self.spec.cursor) else None
        if column is not None and window.start is not None:
            alternatives = [column >= window.start]
            if window.follow_links:
                alternatives += self.linked_change(window.start, window.buckets)
            stmt = stmt.where(sa.or_(*alternatives))
        if column is not None and window.end is not None:
            stmt = stmt.where(column < window.end)
        if window.keys is not None:
            stmt = stmt.where(src.c[self.spec.primary_key].in_(typed(src.c[self.spec.primary_key], window.keys)))
        order = [src.c[self.spec.cursor]] if self.spec.cursor else []
        return stmt.order_by(*order, src.c[self.spec.primary_key])

    def count(self) -> sa.Select:
        """SELECT count(*) of the live rows."""
        return sa.select(sa.func.count()).select_from(self.source).where(*self.live())


def conditions(table: sa.FromClause, where: Iterable[Condition]) -> list[sa.ColumnElement]:
    """SQL for fixed conditions: equal, IS NULL (None), IN (a tuple)."""
    found = []
    for name, value in where:
        column = table.c[name]
        if value is None:
            found.append(column.is_(None))
        elif isinstance(value, tuple):
            found.append(column.in_(list(value)))
        else:
            found.append(column == value)
    return found


def target_live(table: sa.FromClause, target: TargetTable) -> list[sa.ColumnElement]:
    """Conditions a relation's target row meets when it is live (its soft delete and `where`)."""
    found = conditions(table, target.where)
    if target.soft_delete:
        found.append(table.c[target.soft_delete].is_(None))
    return found


def _key(table: sa.FromClause, target: TargetTable) -> sa.ColumnElement:
    return table.c[target.primary_key]


def hop_stamps(table: sa.Table, hop: Hop, spec: MappingSpec) -> list[str]:
    """Columns of a hop's table that move when its rows change: the mapping's cursor name and the hop's soft delete."""
    names = [spec.cursor or DEFAULT_CURSOR, hop.soft_delete]
    return [n for n in dict.fromkeys(names) if n and n in table.c]


def bucket_of(column: sa.ColumnElement) -> sa.ColumnElement:
    """The bucket (first hex digits of the md5 of the value as text) a row of an untimed table falls in."""
    return sa.func.substr(sa.func.md5(sa.cast(column, sa.Text)), 1, BUCKET_CHARS)


def typed(column: sa.Column, keys: Iterable[Any]) -> list[Any]:
    """Keys as the column's Python type (keys travel as strings; integer keys must not)."""
    unique = list(dict.fromkeys(k for k in keys if k is not None))
    if isinstance(column.type, sa.Integer):
        return [int(k) for k in unique if str(k).lstrip("-").isdigit()]
    return [str(k) for k in unique]
