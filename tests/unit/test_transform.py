"""Row -> payload: renames, relation keys, dropped columns, values unchanged."""

import datetime as dt
from decimal import Decimal

from pipelines.mapping import MappingSpec, Relation
from pipelines.transform import jsonable, transform

SPEC = MappingSpec(
    content_type="product",
    plural="products",
    table="product",
    fields={"title": "title", "product_kind": "type", "weight": "weight", "metadata": "metadata"},
    relations=(Relation("product_collection", "product-collection", "collection_id"),),
)


def row(**values):
    base = {"id": "prod_1", "title": "T", "type": None, "weight": None, "metadata": None, "collection_id": None,
            "updated_at": dt.datetime(2024, 1, 1, tzinfo=dt.timezone.utc)}
    return {**base, **values}


def test_renames_and_relation_keys_and_drops():
    (record,) = transform([row(type="shirt", collection_id="pcol_1", created_at="x")], SPEC)
    assert record.medusa_id == "prod_1"
    assert record.attributes == {"title": "T", "product_kind": "shirt", "weight": None, "metadata": None}
    assert record.links == {"product_collection": "pcol_1"}
    assert "updated_at" not in record.attributes and "created_at" not in record.attributes


def test_values_arrive_unchanged():
    metadata = {"ключ": [1, {"nested": None, "emoji": "🍵"}], "flag": True, "ratio": 0.25}
    long_text = "Café Crème — 東京 " * 500
    records = transform(
        [row(title=long_text, metadata=metadata, weight=250), row(id="prod_2", weight=None, title="")], SPEC
    )
    assert records[0].attributes["title"] == long_text
    assert records[0].attributes["metadata"] == metadata
    assert records[0].attributes["weight"] == 250 and type(records[0].attributes["weight"]) is int
    # a nullable integer column with nulls never becomes a float NaN (requests refuses NaN)
    assert records[1].attributes["weight"] is None
    assert records[1].attributes["title"] == ""
    assert records[1].links == {"product_collection": None}


def test_empty_chunk():
    assert transform([], SPEC) == []


def test_integer_keys_become_strings():
    (record,) = transform([row(id=42)], SPEC)
    assert record.medusa_id == "42"


def test_jsonable_conversions():
    assert jsonable(Decimal("19.50")) == 19.5
    assert jsonable(Decimal("1950")) == 1950 and type(jsonable(Decimal("1950"))) is int
    assert jsonable(Decimal("NaN")) is None
    assert jsonable(float("nan")) is None
    assert jsonable(dt.datetime(2024, 5, 1, 12, 0, 0, 123456, tzinfo=dt.timezone.utc)) == "2024-05-01T12:00:00.123456Z"
    assert jsonable(dt.datetime(2024, 5, 1, 14, 0, tzinfo=dt.timezone(dt.timedelta(hours=2)))) == "2024-05-01T12:00:00Z"
    assert jsonable(dt.date(2024, 5, 1)) == "2024-05-01"
    assert jsonable({"a": [Decimal("1.5"), None]}) == {"a": [1.5, None]}
