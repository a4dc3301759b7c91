"""Row -> payload: renames, relation keys, dropped columns, values unchanged."""

import datetime as dt
import sys
from decimal import Decimal

import pytest

from pipelines.mapping import Field, Hop, MappingSpec, Relation
from pipelines.mapping.converters import ConversionError
from pipelines.sync.transform import jsonable, transform

SPEC = MappingSpec(
    content_type="product",
    plural="products",
    table="product",
    fields={a: Field(a, c) for a, c in {"title": "title", "product_kind": "type", "weight": "weight", "metadata": "metadata"}.items()},
    relations=(
        Relation("product_collection", "product-collection", column="collection_id"),
        Relation("product_tags", "product-tag", through=(Hop("product_tags", "product_id", "product_tag_id"),)),
    ),
)


def row(**values):
    # as the extractor returns it: columns, and each relation's live target keys under "@link:<attribute>"
    base = {"id": "prod_1", "title": "T", "type": None, "weight": None, "metadata": None,
            "@link:product_collection": None, "@link:product_tags": None,
            "updated_at": dt.datetime(2024, 1, 1, tzinfo=dt.timezone.utc)}
    return {**base, **values}


def test_renames_and_relation_keys_and_drops():
    (record,) = transform([row(type="shirt", **{"@link:product_collection": "pcol_1", "@link:product_tags": ["t2", "t1"]},
                               created_at="x")], SPEC)
    assert record.medusa_id == "prod_1"
    assert record.attributes == {"title": "T", "product_kind": "shirt", "weight": None, "metadata": None}
    assert record.links == {"product_collection": "pcol_1", "product_tags": ["t1", "t2"]}
    assert "updated_at" not in record.attributes and "created_at" not in record.attributes


def test_lookups_are_read_from_their_label_and_converted():
    from pipelines.mapping import Hop, Lookup

    spec = MappingSpec(content_type="v", plural="vs", table="v", fields={
        "stock": Field("stock", lookup=Lookup((Hop("l", "variant_id"),), "qty", "sum"), convert="integer"),
        "admin_only": Field("admin_only", lookup=Lookup((Hop("r", "option_id"),), "value"), convert="not"),
    })
    (record,) = transform([{"id": "v1", "@lookup:stock": Decimal("12"), "@lookup:admin_only": "true", "updated_at": None}], spec)
    assert record.attributes == {"stock": 12, "admin_only": False}


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
    assert records[1].links == {"product_collection": None, "product_tags": []}


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


PRICE = MappingSpec(
    content_type="money-amount", plural="money-amounts", table="money_amount",
    fields={
        "amount": Field("amount", "amount", convert="minor_units", currency_column="currency_code"),
        "color": Field("color", "metadata", json_key="color"),
        "min_quantity": Field("min_quantity", "min_quantity", convert="string"),
    },
)


def price(**values):
    return {"id": "ma_1", "amount": 1950, "currency_code": "usd", "metadata": None, "min_quantity": None,
            "updated_at": None, **values}


def test_minor_units_and_json_key_converters():
    (usd, jpy, none) = transform([
        price(metadata={"color": "red"}, min_quantity=5),
        price(id="ma_2", currency_code="jpy", metadata={"size": "L"}),
        price(id="ma_3", amount=None),
    ], PRICE)
    assert usd.attributes == {"amount": 19.5, "color": "red", "min_quantity": "5"}
    assert jpy.attributes["amount"] == 1950 and jpy.attributes["color"] is None
    assert none.attributes["amount"] is None


METAFIELD = MappingSpec(
    content_type="product-metafield", plural="product-metafields", table="product", json_entries="metadata",
    fields={"key": Field("key", "$key"), "value": Field("value", "$value")},
    relations=(Relation("product", "product", column="id"),),
)


def test_json_entries_become_one_record_per_key():
    rows = [
        {"id": "prod_1", "metadata": {"color": "red", "specs": {"cotton": 0.9}}, "@link:product": "prod_1", "updated_at": None},
        {"id": "prod_2", "metadata": None, "@link:product": "prod_2", "updated_at": None},
        {"id": "prod_3", "metadata": {}, "@link:product": "prod_3", "updated_at": None},
    ]
    records = transform(rows, METAFIELD)
    assert [r.medusa_id for r in records] == ["prod_1:color", "prod_1:specs"]
    assert records[1].attributes == {"key": "specs", "value": {"cotton": 0.9}}
    assert records[0].links == {"product": "prod_1"}


def test_a_value_the_converter_refuses_marks_the_record():
    spec = MappingSpec(content_type="x", plural="xs", table="x", fields={"n": Field("n", "n", convert="integer")})
    (good, bad) = transform([{"id": 1, "n": "7", "updated_at": None}, {"id": 2, "n": "7.5", "updated_at": None}], spec)
    assert good.attributes == {"n": 7} and good.error is None
    assert "not a whole number" in bad.error


STRAPI_KINDS = MappingSpec(content_type="x", plural="xs", table="x", fields={
    "handle": Field("handle", "handle", convert="uid"), "description": Field("description", "description", convert="richtext"),
    "body": Field("body", "description", convert="blocks"), "email": Field("email", "email", convert="email"),
    "status": Field("status", "status", convert="enumeration", values=("draft", "published")),
})


def test_values_of_strapis_own_attribute_kinds():
    (row,) = transform([{"id": 1, "handle": "blue-shirt_2.0~", "description": "**Soft** cotton.\nMade here.\n\nSecond part.",
                         "email": "shop@example.com", "status": "draft", "updated_at": None}], STRAPI_KINDS)
    assert row.error is None
    assert row.attributes["handle"] == "blue-shirt_2.0~"
    assert row.attributes["description"] == "**Soft** cotton.\nMade here.\n\nSecond part."  # Markdown as it is
    assert row.attributes["body"] == [
        {"type": "paragraph", "children": [{"type": "text", "text": "**Soft** cotton.\nMade here."}]},
        {"type": "paragraph", "children": [{"type": "text", "text": "Second part."}]},
    ]
    assert (row.attributes["email"], row.attributes["status"]) == ("shop@example.com", "draft")
    (empty,) = transform([{"id": 2, "handle": "", "description": None, "email": None, "status": None, "updated_at": None}], STRAPI_KINDS)
    assert empty.error is None and set(empty.attributes.values()) == {None}


@pytest.mark.parametrize("column, value, reason", [
    ("handle", "blue shirt", "is not a valid uid"),
    ("handle", "chemise-bleue-é", "is not a valid uid"),
    ("email", "not an address", "is not an email address"),
    ("status", "archived", "'archived' is not one of draft, published"),
])
def test_a_value_strapi_would_refuse_for_its_kind_fails_its_row(column, value, reason):
    row = {"id": 1, "handle": "ok", "description": None, "email": None, "status": None, "updated_at": None, column: value}
    (record,) = transform([row], STRAPI_KINDS)
    assert reason in record.error


def test_media_urls_read_from_medusa_travel_apart_from_the_attributes():
    from pipelines.mapping import MediaAttribute
    from pipelines.mapping.spec import Lookup

    spec = MappingSpec(content_type="product", plural="products", table="product", fields={"title": Field("title", "title")},
                       media={"thumbnail": MediaAttribute("thumbnail", column="thumbnail"),
                              "images": MediaAttribute("images", lookup=Lookup((Hop("image", "product_id"),), "url", order="rank"),
                                                       multiple=True)})
    assert "thumbnail" in spec.source_columns and spec.read_fields["@media:images"].lookup.aggregate == "list"
    (record,) = transform([{"id": "p1", "title": "T", "thumbnail": "http://h/t.png",
                            "@lookup:@media:images": ["http://h/1.png", "http://h/0.png"], "updated_at": None}], spec)
    assert record.attributes == {"title": "T"}
    assert record.media == {"thumbnail": "http://h/t.png", "images": ["http://h/1.png", "http://h/0.png"]}


def nested(depth: int) -> dict:
    value: object = 1
    for _ in range(depth):
        value = {"a": value}
    return value


def nested_text(depth: int) -> str:
    return '{"a": ' * depth + "1" + "}" * depth


def test_deep_json_fails_its_row_only_and_needs_no_recursion():
    from pipelines.medusa.source import UnreadableJson, load_json

    past_recursion = load_json(nested_text(3000))  # would overflow any recursive walk
    past_limit, at_limit = load_json(nested_text(101)), load_json(nested_text(100).encode())
    assert isinstance(past_recursion, UnreadableJson) and isinstance(past_limit, UnreadableJson)
    assert "deeper than 100 levels" in past_limit.reason and at_limit == nested(100)
    records = transform([row(metadata=past_limit), row(id="prod_2", metadata=load_json(nested_text(50)))], SPEC)
    assert records[0].error and "deeper than 100 levels" in records[0].error
    assert records[1].error is None and records[1].attributes["metadata"] == nested(50)
    deep_list: list = []
    for _ in range(sys.getrecursionlimit() * 3):
        deep_list = [deep_list]
    with pytest.raises(ConversionError, match="deeper than 100 levels"):  # the copy of lists walks without recursion
        jsonable(deep_list)


def test_loaded_json_is_json_safe_and_taken_as_it_is():
    from pipelines.medusa.source import load_json

    value = load_json(b'{"big": 1e400, "tiny": -1e400, "n": 1.5, "brackets": "[[[[' + b"[" * 200 + b'", "list": [[1]]}')
    assert value == {"big": None, "tiny": None, "n": 1.5, "brackets": "[[[[" + "[" * 200, "list": [[1]]}
    (record,) = transform([row(metadata=value)], SPEC)
    assert record.attributes["metadata"] is value  # no copy: the loader vouched for it


def test_jsonable_copies_without_recursion_and_keeps_key_order():
    value = {"b": [1, Decimal("2.5"), {"z": None, "a": dt.date(2024, 1, 2)}], "a": float("nan")}
    copy = jsonable(value)
    assert copy == {"b": [1, 2.5, {"z": None, "a": "2024-01-02"}], "a": None}
    assert list(copy) == ["b", "a"] and list(copy["b"][2]) == ["z", "a"]
    assert jsonable(nested(100)) == nested(100)


def test_unreadable_json_and_any_other_surprise_fail_the_row():
    from pipelines.medusa.source import UnreadableJson, load_json

    assert load_json('{"a": 1}') == {"a": 1}
    assert isinstance(load_json("[" * 100000 + "]" * 100000), UnreadableJson)
    assert isinstance(load_json("{nope"), UnreadableJson)

    class Exploding:
        def __str__(self):
            raise RuntimeError("boom")

    records = transform([row(metadata=UnreadableJson("JSON nested too deeply to be read")), row(id="prod_2", title=Exploding()),
                         row(id="prod_3")], SPEC)
    assert "nested too deeply" in records[0].error
    assert "RuntimeError: boom" in records[1].error
    assert records[2].error is None


def test_json_entries_of_a_too_deep_object_fail_only_the_deep_keys():
    from pipelines.medusa.source import load_json

    metadata = load_json('{"ok": "red", "deep": ' + nested_text(150) + "}")
    records = transform([{"id": "prod_1", "metadata": metadata, "@link:product": "prod_1", "updated_at": None}], METAFIELD)
    assert [(r.medusa_id, r.error) for r in records] == [
        ("prod_1:ok", None), ("prod_1:deep", "cannot convert: metadata: JSON value nests deeper than 100 levels")]
