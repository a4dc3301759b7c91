"""Reading a whole table's paths (relations through link tables, lookups) with grouped subqueries joined to it
reads exactly what the correlated subqueries of a partial window read, row for row, for every mapping of both
Medusa versions, on their real schemas and seed data."""

from __future__ import annotations

import pytest

from pipelines.medusa.query import FULL


def rows_of(source, spec, *, grouped: bool) -> list[tuple]:
    with source.engine.connect() as conn:
        return [tuple(row) for row in conn.execute(source.query(spec).select(FULL, grouped=grouped))]


@pytest.mark.parametrize("version", ["v1", "v2"])
def test_grouped_paths_read_what_correlated_paths_read(version, request):
    source = request.getfixturevalue("source" if version == "v1" else "source_v2")
    mappings = request.getfixturevalue("mappings" if version == "v1" else "mappings_v2")
    paths = 0
    for spec in mappings:
        paths += str(source.query(spec).select(FULL)).count("GROUP BY")
        grouped, correlated = rows_of(source, spec, grouped=True), rows_of(source, spec, grouped=False)
        assert grouped == correlated, spec.content_type
        assert grouped, f"{spec.content_type}: the seed data has no rows to compare"
    assert paths >= 3  # the full window does join grouped paths (products' tags, variants' prices, ...)
