"""R5: values Strapi refuses or that strain the pipeline load, or fail alone with their reason (quarantined);
the rest loads, and a second sync writes nothing."""

from __future__ import annotations

import json

from pipelines.sync.run import sync_all
from pipelines.sync.state import Quarantine
from tests.integration.helpers import assert_in_sync


def test_odd_and_bad_rows_load_or_fail_alone(source, clean_strapi, mappings, medusa_sql):
    ids = [r[0] for r in medusa_sql("select id from product where deleted_at is null order by id")]
    long_text, deep, big, odd, orphan = ids[:5]
    medusa_sql("update product set description = repeat('Ünïcödé 東京! ', 25000) where id = :id", id=long_text)  # 300k characters
    medusa_sql("update product set metadata = cast(:m as jsonb) where id = :id", m='{"a": ' * 150 + "1" + "}" * 150, id=deep)
    medusa_sql("update product set metadata = cast(:m as jsonb), weight = 2147483647 where id = :id",
               m=json.dumps({"big": 2**60 + 1, "small": 1e-300, "precise": 0.1 + 0.2}), id=big)
    medusa_sql("update product set title = :t where id = :id", t="\u05e2\u05d1\u05e8\u05d9\u05ea \U0001F600 \u202e RTL \u0000"[:-1], id=odd)
    collection = medusa_sql("select collection_id from product where id = :id", id=orphan)[0][0]
    if collection:
        medusa_sql("update product_collection set deleted_at = now() where id = :c", c=collection)  # points at a soft-deleted target

    results = {r.content_type: r for r in sync_all(mappings, source, clean_strapi)}
    assert all(r.ok for r in results.values()), [f for r in results.values() for f in r.failures]
    (row,) = Quarantine(clean_strapi, source.identity).rows("product")
    assert row.medusa_id == deep and "nests deeper than 100 levels" in row.reason
    loaded = clean_strapi.find_by_medusa_ids("products", [long_text, big, odd, orphan],
                                             fields=["description", "title", "metadata", "weight"],
                                             populate={"product_collection": ["medusa_id"]})
    assert len(loaded[long_text]["description"]) == 300_000
    assert loaded[big]["weight"] == 2147483647 and loaded[odd]["title"].startswith("\u05e2\u05d1\u05e8")
    assert loaded[orphan]["product_collection"] is None
    assert all(r.writes == 0 for r in sync_all(mappings, source, clean_strapi))  # JSON beyond doubles settles too
    healthy = [t for t in mappings.content_types if t not in ("product", "product-metafield", "product-variant", "product-option",
                                                              "product-option-value", "money-amount", "product-collection")]
    assert_in_sync(source, clean_strapi, mappings, only=healthy)
