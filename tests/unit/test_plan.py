"""Unchanged detection compares values the way Strapi stores them."""

import pytest

from pipelines.sync.plan import values_equal


@pytest.mark.parametrize("desired, current", [
    (None, None), ("a", "a"), (10, 10.0), (19.5, "19.5"), (True, True),
    ({"a": 1, "b": [1, {"c": None}]}, {"b": [1, {"c": None}], "a": 1}),
    ("2024-05-01T12:00:00.123456Z", "2024-05-01T12:00:00.123Z"),
    ("", ""), (2**60 + 1, str(2**60 + 1)), (19.5, "19.50"), (10, "1E+1"),
])
def test_equal(desired, current):
    assert values_equal(desired, current)


@pytest.mark.parametrize("desired, current", [
    (None, ""), ("", None), ("a", "b"), (1, 2), (True, 1), (False, 0), (True, "true"),
    ({"a": 1}, {"a": 1, "b": 2}), ([1, 2], [2, 1]), ("2024-05-01T12:00:00Z", "2024-05-01T12:00:01Z"),
    ({"a": "1"}, {"a": 1}), (0, None), (2**60 + 1, 2**60), (2**60 + 1, str(2**60)), (0.1, "0.10000001"),
])
def test_different(desired, current):
    assert not values_equal(desired, current)


from pipelines.sync.plan import PlanContext, plan_deferred_links, plan_entry  # noqa: E402
from pipelines.sync.reconcile import deletable  # noqa: E402
from pipelines.sync.transform import Record  # noqa: E402

CTX = PlanContext(
    content_type="product",
    relations={"collection": "product-collection", "tags": "product-tag", "parent": "product"},
    json_attributes=frozenset({"metadata"}),
    target_ids={"product-collection": {"pcol_1": "docC1", "pcol_2": "docC2"}, "product-tag": {"t1": "docT1", "t2": "docT2"},
                "product": {"prod_0": "docP0"}},
)


def record(**links):
    return Record("prod_1", {"title": "T", "metadata": "plain string"}, {"collection": "pcol_1", "tags": ["t1"], **links})


def current(**values):
    base = {"documentId": "doc1", "medusa_id": "prod_1", "title": "T", "metadata": '"plain string"',
            "collection": {"medusa_id": "pcol_1"}, "tags": [{"medusa_id": "t1"}]}
    return {**base, **values}


def test_a_new_record_is_created_with_its_links_as_document_ids():
    plan = plan_entry(record(), None, CTX)
    assert plan.action == "create"
    assert plan.data == {"medusa_id": "prod_1", "title": "T", "metadata": '"plain string"', "collection": "docC1", "tags": ["docT1"]}


def test_an_equal_entry_is_unchanged_and_a_difference_sends_only_itself():
    assert plan_entry(record(), current(), CTX).action == "unchanged"
    plan = plan_entry(record(tags=["t2", "t1"]), current(title="Old"), CTX)
    assert (plan.action, plan.document_id) == ("update", "doc1")
    assert plan.data == {"title": "T", "tags": ["docT2", "docT1"]}
    assert plan_entry(record(collection=None), current(), CTX).data == {"collection": None}


def test_a_target_missing_from_strapi_fails_the_row_unless_it_is_the_type_itself():
    plan = plan_entry(record(collection="pcol_9"), None, CTX)
    assert plan.action == "fail" and "collection -> product-collection 'pcol_9' is not in Strapi" in plan.reason
    deferred = plan_entry(record(parent="prod_9"), None, CTX)
    assert deferred.action == "create" and deferred.deferred == ("parent",) and "parent" not in deferred.data
    dry = PlanContext(**{**CTX.__dict__, "assume_targets": True})
    assert plan_entry(record(collection="pcol_9"), None, dry).data["collection"] == "pcol_9"


def test_second_pass_links_self_relations_or_fails_them():
    ctx = PlanContext(**{**CTX.__dict__, "target_ids": {**CTX.target_ids, "product": {"prod_9": "docP9"}}})
    plan = plan_deferred_links(record(parent="prod_9"), ["parent"], current(parent=None), ctx)
    assert (plan.action, plan.data) == ("update", {"parent": "docP9"})
    assert plan_deferred_links(record(parent="prod_9"), ["parent"], current(parent={"medusa_id": "prod_9"}), ctx).action == "unchanged"
    assert plan_deferred_links(record(parent="prod_8"), ["parent"], current(), ctx).action == "fail"


def test_a_type_keyed_by_its_own_attribute_writes_and_compares_by_it_and_its_targets_by_theirs():
    """`key: medusaId` (a schema someone else designed): the entry carries the key under its name; links compare by
    each target's own key."""
    ctx = PlanContext(**{**CTX.__dict__, "key": "medusaId", "link_keys": {"collection": "medusaId", "tags": "medusa_id"}})
    assert plan_entry(record(), None, ctx).data["medusaId"] == "prod_1"
    assert "medusa_id" not in plan_entry(record(), None, ctx).data
    entry = current(collection={"medusaId": "pcol_1"}, medusaId="prod_1")
    assert plan_entry(record(), entry, ctx).action == "unchanged"
    assert plan_entry(record(collection="pcol_2"), entry, ctx).data == {"collection": "docC2"}


def test_deletable_reads_the_types_key():
    entries = [{"medusaId": "a"}, {"medusaId": "b"}, {"medusa_id": "c"}]
    assert [e["medusaId"] for e in deletable(entries, {"a"}, set(), str, "medusaId")] == ["b"]


def test_deletable_spares_live_rows_unsynced_entries_and_rows_that_failed():
    entries = [{"medusa_id": "a"}, {"medusa_id": "b"}, {"medusa_id": None}, {"medusa_id": "c:k"}, {"medusa_id": "d:k"}]
    source_key = lambda mid: mid.split(":", 1)[0]  # noqa: E731
    assert [e["medusa_id"] for e in deletable(entries, {"a"}, {"c"}, source_key)] == ["b", "d:k"]


def test_deep_values_compare_without_recursion():
    import sys

    deep_a: object = 1
    deep_b: object = 1
    for _ in range(sys.getrecursionlimit() * 2):
        deep_a, deep_b = {"a": deep_a}, {"a": deep_b}
    assert values_equal(deep_a, deep_b)


def test_mass_deletes_are_refused_unless_ordinary():
    from pipelines.sync.reconcile import mass_delete_refusal

    assert "no live row" in mass_delete_refusal(3, 3, 0, "product_type")
    assert "refusing to delete 60 of 100" in mass_delete_refusal(60, 100, 40, "product")
    assert mass_delete_refusal(1, 1, 5, "product_tag") is None  # deleting 1 of 1 is ordinary
    assert mass_delete_refusal(10, 12, 2, "product") is None  # few: not a mass delete
    assert mass_delete_refusal(40, 100, 60, "product") is None
    assert mass_delete_refusal(0, 0, 0, "product") is None


def test_json_numbers_compare_as_strapi_stores_them():
    assert values_equal({"n": 2**60 + 1}, {"n": 2**60}, json=True)  # a JavaScript double either way
    assert not values_equal(2**60 + 1, str(2**60))  # a biginteger attribute keeps every digit
    assert not values_equal({"n": 1.5}, {"n": 2}, json=True)
