"""One bad row fails itself, with its reason; the rest of its chunk and every later type still load."""

from __future__ import annotations

import pytest

from pipelines.medusa.source import Window
from pipelines.sync.run import sync_all

from .helpers import assert_in_sync


def nested(depth: int) -> str:
    return '{"a": ' * depth + "1" + "}" * depth


@pytest.mark.parametrize("depth", [500, 5000])
def test_deeply_nested_metadata_fails_only_its_row(source, clean_strapi, mappings, medusa_sql, depth):
    """Issue 7.2: 500 levels of JSON raised RecursionError in the transform and stopped every run."""
    bad = medusa_sql("select id from product where deleted_at is null order by id limit 1")[0][0]
    medusa_sql("update product set metadata = cast(:m as jsonb), updated_at = now() where id = :id", m=nested(depth), id=bad)

    results = {r.content_type: r for r in sync_all(mappings, source, clean_strapi)}

    assert [r.content_type for r in results.values()] == mappings.content_types  # no type was skipped
    product = results["product"]
    assert product.ok and product.quarantined == 1 and product.failures[0].medusa_id == bad  # quarantined, the run goes on
    assert "nest" in product.failures[0].message
    # its metafields: the deep key fails (500), or, when not even Python's parser can read it, the whole row (5000)
    metafield = results["product-metafield"]
    assert [f.medusa_id for f in metafield.failures] == [f"{bad}:a" if depth == 500 else f"{bad}:*"]
    downstream = {"product", "product-metafield", "product-variant", "product-option", "product-option-value", "money-amount"}
    others = [t for t in mappings.content_types if t not in downstream]
    assert all(results[t].failed == 0 and results[t].quarantined == 0 for t in others)
    assert all(r.ok for r in results.values())  # what waits for the bad product is quarantined with it, not failed
    assert_in_sync(source, clean_strapi, mappings, only=others)
    live = {r[0] for r in medusa_sql("select id from product where deleted_at is null and id <> :id", id=bad)}
    assert live <= set(clean_strapi.find_by_medusa_ids("products", live))

    # soft-deleting it: incremental runs over it go through (there is nothing to delete, nothing fails)
    medusa_sql("update product set deleted_at = now(), updated_at = now() where id = :id", id=bad)
    for spec_name in ("product", "product-metafield"):
        (result,) = sync_all(mappings, source, clean_strapi, only=[spec_name], window=Window.changes_since(None))
        assert result.ok, result.failures
