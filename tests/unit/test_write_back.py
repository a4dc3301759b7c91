"""Write-back: what a mapping may declare, who owns a field, and what the reverse sync writes (pure)."""

import textwrap

import pytest

from pipelines.mapping import MappingErrors
from pipelines.mapping.loader import load_mapping
from pipelines.sync.plan import PlanContext, plan_entry
from pipelines.sync.transform import Record
from pipelines.validate import check_write_back
from pipelines.writeback.plan import WriteBack, is_empty, plan_write_backs
from pipelines.writeback.run import write_back

PRODUCT = """\
content_type: product
plural: products
source:
  table: product
fields:
  title: title
  subtitle: subtitle
  price: {column: price, convert: minor_units, currency_column: currency}
relations:
  tags:
    target: product
    column: tag_id
cms_only:
  seo: string
write_back: [title, subtitle]
"""


def load(tmp_path, text, name="product.yaml"):
    path = tmp_path / name
    path.write_text(textwrap.dedent(text))
    return load_mapping(path)


def test_write_back_names_mapped_scalar_fields(tmp_path):
    assert load(tmp_path, PRODUCT).write_back == ("title", "subtitle")


@pytest.mark.parametrize("declared, line, fragment", [
    ("[title, seo]", 15, "'seo' is a CMS-only field"),
    ("[tags]", 15, "'tags' is a relation"),
    ("[nope]", 15, "'nope' is not a mapped field"),
    ("[price]", 15, "'price' is computed"),
])
def test_bad_write_back_is_a_file_line_error(tmp_path, declared, line, fragment):
    spec = load(tmp_path, PRODUCT.replace("write_back: [title, subtitle]", f"write_back: {declared}"))
    (error,) = check_write_back([spec])
    assert error.line == line and error.key.startswith("write_back") and fragment in error.message, str(error)
    assert str(error).startswith(f"{spec.path}:{line}: write_back")


@pytest.mark.parametrize("declared, fragment", [("[title, title]", "non-unique elements"), ("title", "expected array")])
def test_a_malformed_write_back_is_refused_when_the_file_loads(tmp_path, declared, fragment):
    with pytest.raises(MappingErrors) as caught:
        load(tmp_path, PRODUCT.replace("write_back: [title, subtitle]", f"write_back: {declared}"))
    error = caught.value.errors[0]
    assert error.line == 15 and error.key.startswith("write_back") and fragment in error.message, str(error)


def test_write_back_needs_a_table_the_admin_api_updates(tmp_path):
    (error,) = check_write_back([load(tmp_path, PRODUCT.replace("table: product", "table: region"))])
    assert "Admin API has no route" in str(error) and "product_category" in str(error)


def test_the_write_back_run_refuses_a_bad_declaration(tmp_path):
    spec = load(tmp_path, PRODUCT.replace("write_back: [title, subtitle]", "write_back: [price]"))
    with pytest.raises(MappingErrors):
        write_back(spec, source=None, client=None, admin=None)


CTX = PlanContext(content_type="product", relations={}, cms_owned=frozenset({"title"}))


def test_an_owned_field_is_set_on_create():
    plan = plan_entry(Record("prod_1", {"title": "Medusa", "subtitle": "s"}), None, CTX)
    assert plan.action == "create" and plan.data["title"] == "Medusa"


def test_an_editors_value_is_never_overwritten_but_other_fields_are():
    current = {"documentId": "d1", "title": "Editor's", "subtitle": "old"}
    plan = plan_entry(Record("prod_1", {"title": "Medusa", "subtitle": "new"}), current, CTX)
    assert plan.action == "update" and plan.data == {"subtitle": "new"}
    same = plan_entry(Record("prod_1", {"title": "Medusa", "subtitle": "old"}), current, CTX)
    assert same.action == "unchanged"  # Medusa's title differs, but Strapi owns it: nothing to write


@pytest.mark.parametrize("empty", [None, ""])
def test_an_empty_owned_field_is_filled_from_medusa(empty):
    plan = plan_entry(Record("prod_1", {"title": "Medusa"}), {"documentId": "d1", "title": empty}, CTX)
    assert plan.action == "update" and plan.data == {"title": "Medusa"}


class Spec:
    """The parts of a MappingSpec plan_write_backs reads."""

    write_back = ("title", "subtitle")
    fields = {"title": type("F", (), {"column": "title"})(), "subtitle": type("F", (), {"column": "subtitle"})()}

    @staticmethod
    def source_key(medusa_id):
        return medusa_id


def test_write_back_sends_what_differs_and_only_non_empty_values():
    entries = [
        {"medusa_id": "p1", "title": "New", "subtitle": "same"},  # title edited in Strapi
        {"medusa_id": "p2", "title": "Same", "subtitle": "Same"},  # nothing to do (a round trip settles)
        {"medusa_id": "p3", "title": "", "subtitle": None},  # empty: the forward sync fills them, never Medusa
        {"medusa_id": "gone", "title": "X", "subtitle": "Y"},  # its Medusa row is deleted: nothing
        {"medusa_id": None, "title": "X"},  # not synced
    ]
    rows = {"p1": {"title": "Old", "subtitle": "same"}, "p2": {"title": "Same", "subtitle": "Same"},
            "p3": {"title": "T", "subtitle": "S"}}
    assert plan_write_backs(entries, rows, Spec) == [WriteBack("p1", "p1", {"title": "New"})]


def test_empty_means_none_or_empty_string():
    assert is_empty(None) and is_empty("") and not is_empty(" ") and not is_empty(0)
