"""The registry of aggregates a lookup may apply to the values it reaches (the JSON Schema's enum is checked
against `AGGREGATES` by a test)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Callable

import sqlalchemy as sa
from sqlalchemy.dialects import postgresql
from sqlalchemy.dialects.postgresql import aggregate_order_by


@dataclass(frozen=True)
class Aggregate:
    """How several values become one in SQL, and the Strapi attribute of the result (None: the column's)."""

    sql: Callable[[Any, list[Any]], Any]  # (value column, key columns to order by) -> SQL expression
    attribute: dict[str, Any] | None = None
    of_nothing: Any = None  # its value over no rows (a row without a path: SQL's NULL but for count's 0)


AGGREGATES: dict[str, Aggregate] = {
    "first": Aggregate(lambda value, order: postgresql.array_agg(aggregate_order_by(value, *order))[1]),
    "min": Aggregate(lambda value, order: sa.func.min(value)),
    "max": Aggregate(lambda value, order: sa.func.max(value)),
    "sum": Aggregate(lambda value, order: sa.func.sum(value)),
    "count": Aggregate(lambda value, order: sa.func.count(value), {"type": "integer"}, of_nothing=0),
    # every value, in the lookup's `order` (then the last hop's key): e.g. a product's image URLs by rank
    "list": Aggregate(lambda value, order: postgresql.array_agg(aggregate_order_by(value, *order)), {"type": "json"}),
}
