"""The mapping language's paths: multi-hop relations, lookups, row filters, required relations."""

import textwrap

import pytest
import sqlalchemy as sa
from sqlalchemy.dialects import postgresql

from pipelines.mapping import Hop, MappingErrors, load_mapping, load_mappings
from pipelines.medusa.changes import changed_buckets
from pipelines.medusa.query import Buckets, SpecQuery, Window

PRICE = """\
content_type: price
plural: prices
source:
  table: price
  where: {price_list_id: null, kind: [base, sale]}
fields:
  amount: amount
  stock:
    lookup:
      through:
        - {table: link, source: variant_id, target: item_id, soft_delete: deleted_at}
        - {table: level, source: item_id, soft_delete: deleted_at}
      column: qty
      aggregate: sum
    convert: integer
relations:
  variant:
    target: variant
    through:
      - {table: link, from: set_id, source: set_id, target: variant_id, soft_delete: deleted_at}
    to_one: true
    required: true
  region:
    target: variant
    through: {table: rule, source: price_id, target: value, where: {attribute: region_id}}
    to_one: true
"""

VARIANT = """\
content_type: variant
plural: variants
source:
  table: variant
fields:
  title: title
"""


def write(tmp_path, name, text):
    (tmp_path / f"{name}.yaml").write_text(textwrap.dedent(text))
    return tmp_path / f"{name}.yaml"


def test_paths_filters_lookups_and_required_relations_load(tmp_path):
    spec = load_mapping(write(tmp_path, "price", PRICE))
    assert spec.where == (("price_list_id", None), ("kind", ("base", "sale")))
    lookup = spec.fields["stock"].lookup
    assert lookup.aggregate == "sum" and lookup.column == "qty"
    assert lookup.path == (Hop("link", "variant_id", "item_id", soft_delete="deleted_at"), Hop("level", "item_id", soft_delete="deleted_at"))
    variant = spec.relation("variant")
    assert variant.required and variant.to_one and variant.through[0].from_column == "set_id"
    assert spec.relation("region").through == (Hop("rule", "price_id", "value", where=(("attribute", "region_id"),)),)
    assert spec.fields["stock"].row_key == "@lookup:stock" and "stock" not in spec.source_columns


BAD = [
    ("last hop without target", PRICE.replace("source: set_id, target: variant_id, soft_delete", "source: set_id, soft_delete"),
     20, "relations.variant.through.0.target", "required key is missing"),
    ("both column and lookup", PRICE.replace("    convert: integer", "    column: amount"), 8, "fields.stock", "either `column` or `lookup`"),
    ("unknown aggregate", PRICE.replace("aggregate: sum", "aggregate: avg"), 14, "fields.stock.lookup.aggregate", "is not one of"),
    ("precision without scale", PRICE.replace("  amount: amount", "  amount: {column: amount, precision: 20}"), 7, "fields.amount", "scale"),
    ("unknown hop key", PRICE.replace("target: item_id,", "target: item_id, form: x,"), 11, "fields.stock.lookup.through.0.form", "unknown key 'form'"),
    ("where value is an object", PRICE.replace("kind: [base, sale]", "kind: {a: 1}"), 5, "source.where.kind", "expected"),
    ("bad identifier in a hop", PRICE.replace("table: rule,", "table: 'rule; drop table x',"), 25, "relations.region.through.table", "not a valid name"),
]


@pytest.mark.parametrize(("name", "text", "line", "key", "fragment"), BAD, ids=[b[0] for b in BAD])
def test_bad_paths_are_refused_with_file_line_key(tmp_path, name, text, line, key, fragment):
    with pytest.raises(MappingErrors) as caught:
        load_mapping(write(tmp_path, "price", text))
    error = caught.value.errors[0]
    assert (error.line, error.key) == (line, key), str(error)
    assert fragment in error.message, str(error)


def tables():
    meta = sa.MetaData()
    made = {
        "price": sa.Table("price", meta, sa.Column("id", sa.Text, primary_key=True), sa.Column("amount", sa.Numeric),
                          sa.Column("set_id", sa.Text), sa.Column("price_list_id", sa.Text), sa.Column("kind", sa.Text),
                          sa.Column("updated_at", sa.DateTime(timezone=True)), sa.Column("deleted_at", sa.DateTime(timezone=True))),
        "link": sa.Table("link", meta, sa.Column("id", sa.Text, primary_key=True), sa.Column("set_id", sa.Text),
                         sa.Column("variant_id", sa.Text), sa.Column("item_id", sa.Text),
                         sa.Column("updated_at", sa.DateTime(timezone=True)), sa.Column("deleted_at", sa.DateTime(timezone=True))),
        "level": sa.Table("level", meta, sa.Column("id", sa.Text, primary_key=True), sa.Column("item_id", sa.Text),
                          sa.Column("qty", sa.Numeric), sa.Column("deleted_at", sa.DateTime(timezone=True))),
        "rule": sa.Table("rule", meta, sa.Column("price_id", sa.Text), sa.Column("attribute", sa.Text), sa.Column("value", sa.Text)),
        "variant": sa.Table("variant", meta, sa.Column("id", sa.Text, primary_key=True), sa.Column("title", sa.Text),
                            sa.Column("updated_at", sa.DateTime(timezone=True)), sa.Column("deleted_at", sa.DateTime(timezone=True))),
    }
    return lambda name, schema: made[name]


def sql(statement) -> str:
    return str(statement.compile(dialect=postgresql.dialect(), compile_kwargs={"literal_binds": True}))


def test_one_select_carries_links_lookups_filters_and_liveness(tmp_path):
    write(tmp_path, "price", PRICE)
    write(tmp_path, "variant", VARIANT)
    spec = load_mappings(tmp_path).get("price")
    text = sql(SpecQuery(spec, tables()).select())
    assert "price.price_list_id IS NULL" in text and "price.kind IN ('base', 'sale')" in text
    assert "sum(" in text and "@lookup:stock" in text and "@link:variant" in text and "@link:region" in text
    assert "EXISTS" in text  # the required relation is part of what is live
    assert ".attribute = 'region_id'" in text


def test_change_windows_follow_timestamped_links_and_buckets_of_untimed_ones(tmp_path):
    write(tmp_path, "price", PRICE)
    write(tmp_path, "variant", VARIANT)
    query = SpecQuery(load_mappings(tmp_path).get("price"), tables())
    assert {path[index].table for path, index, _ in query.stamped_hops()} == {"link", "level"}
    assert {path[index].table for path, index in query.untimed_hops()} == {"rule"}
    import datetime as dt

    since = dt.datetime(2024, 1, 1, tzinfo=dt.timezone.utc)
    text = sql(query.select(Window.changes_since(since, (Buckets("rule", "price_id", ("0a", "ff")),))))
    assert "price.updated_at >= '2024-01-01" in text and "updated_at >= '2024-01-01" in text.split("price.updated_at >=", 1)[1]
    assert "substr(md5(CAST(" in text and "IN ('0a', 'ff')" in text
    assert "__deleted" in text


def test_changed_buckets_are_the_ones_whose_digest_moved():
    before = {"rule.price_id": {"0a": "aaaa", "0b": "bbbb", "0c": "cccc"}}
    now = {"rule.price_id": {"0a": "aaaa", "0b": "bbbX", "0d": "dddd"}, "tags.product_id": {"10": "1111"}}
    assert changed_buckets(before, now) == (
        Buckets("rule", "price_id", ("0b", "0c", "0d")),
        Buckets("tags", "product_id", ("10",)),
    )
    assert changed_buckets(now, now) == ()
