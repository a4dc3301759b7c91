"""The three-way merge of the fields both sides edit: each case, each rule, entries without a base."""

import pytest

from pipelines.sync.merge import MEDUSA, NEWEST, STRAPI, merge_entry, same, winner_of

BASE = {"title": "Shirt"}


@pytest.mark.parametrize("medusa, strapi, to_strapi, to_medusa, base", [
    ("Tee", "Shirt", {"title": "Tee"}, {}, "Tee"),          # Medusa renamed it: the rename reaches Strapi
    ("Shirt", "Tee", {}, {"title": "Tee"}, "Tee"),          # an editor renamed it: the rename reaches Medusa
    ("Tee", "Tee", {}, {}, "Tee"),                          # both, to the same value: nothing to write, base moves
    ("Shirt", "Shirt", {}, {}, "Shirt"),                    # neither
])
def test_one_side_changed_or_both_alike(medusa, strapi, to_strapi, to_medusa, base):
    merged = merge_entry(["title"], BASE, {"title": medusa}, {"title": strapi})
    assert (merged.to_strapi, merged.to_medusa, merged.base, merged.conflicts) == (to_strapi, to_medusa, {"title": base}, [])


@pytest.mark.parametrize("rule, medusa_at, strapi_at, winner", [
    (STRAPI, "2025-01-02", "2025-01-01", STRAPI),
    (MEDUSA, "2025-01-01", "2025-01-02", MEDUSA),
    (NEWEST, "2025-01-02T10:00:00Z", "2025-01-02T09:00:00Z", MEDUSA),
    (NEWEST, "2025-01-02T08:00:00Z", "2025-01-02T09:00:00Z", STRAPI),
    (NEWEST, None, "2025-01-02T09:00:00Z", STRAPI),
])
def test_both_changed_to_different_values_goes_by_the_rule_and_is_recorded(rule, medusa_at, strapi_at, winner):
    merged = merge_entry(["title"], BASE, {"title": "Tee"}, {"title": "Top"}, rule, medusa_at=medusa_at, strapi_at=strapi_at)
    (conflict,) = merged.conflicts
    assert (conflict.field, conflict.base, conflict.medusa, conflict.strapi, conflict.winner) == ("title", "Shirt", "Tee", "Top", winner)
    kept = "Top" if winner == STRAPI else "Tee"
    assert merged.base == {"title": kept}
    assert (merged.to_medusa, merged.to_strapi) == (({"title": "Top"}, {}) if winner == STRAPI else ({}, {"title": "Tee"}))


def test_an_edit_of_another_field_reverts_nothing():
    """Scenario 2 of the issue: Medusa renamed, an editor changed only seo_title (not a merged field)."""
    merged = merge_entry(["title", "subtitle"], {"title": "Shirt", "subtitle": "s"}, {"title": "Tee", "subtitle": "s"},
                         {"title": "Shirt", "subtitle": "s"})
    assert merged.to_medusa == {} and merged.to_strapi == {"title": "Tee"}


def test_without_a_base_equal_values_become_it_and_different_ones_go_by_the_rule():
    agreed = merge_entry(["title"], None, {"title": "Shirt"}, {"title": "Shirt"})
    assert agreed.base == {"title": "Shirt"} and not agreed.to_strapi and not agreed.to_medusa and not agreed.conflicts
    differ = merge_entry(["title"], {}, {"title": "Tee"}, {"title": "Top"}, MEDUSA)
    (conflict,) = differ.conflicts
    assert not conflict.had_base and conflict.winner == MEDUSA and differ.to_strapi == {"title": "Tee"}


def test_empty_is_one_value_and_ties_go_to_strapi():
    assert same(None, "") and not same("", "x")
    assert merge_entry(["subtitle"], {"subtitle": None}, {"subtitle": ""}, {"subtitle": None}).base == {"subtitle": ""}
    assert winner_of(NEWEST, "2025-01-01", "2025-01-01") == STRAPI


def test_a_conflict_is_kept_until_its_field_next_changes():
    from pipelines.sync.merge import Base, Conflict, next_base

    conflict = Conflict("title", "Shirt", "Tee", "Top", STRAPI, STRAPI)
    first = next_base(Base({"title": "Shirt", "subtitle": "s"}), {"title": "Top", "subtitle": "s"}, [conflict], at="t1")
    assert first.values == {"title": "Top", "subtitle": "s"} and first.conflicts["title"]["at"] == "t1"
    assert first.conflicts["title"]["winner"] == STRAPI and first.conflicts["title"]["base"] == "Shirt"
    assert next_base(first, {"title": "Top", "subtitle": "s"}, at="t2") is None  # nothing moved: kept, nothing to write
    other = next_base(first, {"title": "Top", "subtitle": "new"}, at="t3")  # another field moved: still kept
    assert "title" in other.conflicts
    moved = next_base(other, {"title": "Polo", "subtitle": "new"}, at="t4")  # the field changed again: dropped
    assert moved.conflicts == {} and moved.values["title"] == "Polo"


@pytest.mark.parametrize("base, medusa, strapi, to_strapi, agreed", [
    ({"title": "Shirt"}, "Tee", "Shirt", {"title": "Tee"}, {"title": "Tee"}),  # Medusa changed: the forward sync writes it
    ({"title": "Shirt"}, "Shirt", "Top", {}, {}),                              # Strapi changed: the write-back's
    ({"title": "Shirt"}, "Tee", "Top", {}, {}),                                # both: the write-back's (the rule)
    ({"title": "Shirt"}, "Tee", "Tee", {}, {"title": "Tee"}),                   # both alike: the base moves
    (None, "Tee", "Top", {}, {}),                                              # no base yet, different: the write-back's
    (None, "Tee", "Tee", {}, {"title": "Tee"}),                                # no base yet, equal: taken as the base
    (None, "Tee", "", {"title": "Tee"}, {"title": "Tee"}),                     # empty in Strapi: filled
])
def test_the_forward_sync_finishes_only_medusas_own_changes(base, medusa, strapi, to_strapi, agreed):
    from pipelines.sync.merge import Base, forward_owned

    owned = forward_owned(["title"], Base(base) if base is not None else None, {"title": medusa}, {"title": strapi})
    assert (owned.to_strapi, owned.agreed) == (to_strapi, agreed)


def test_an_empty_strapi_value_is_filled_from_medusa_never_carried_to_it():
    merged = merge_entry(["title"], {"title": "Shirt"}, {"title": "Tee"}, {"title": ""})
    assert (merged.to_strapi, merged.to_medusa) == ({"title": "Tee"}, {})


def test_newest_compares_moments_not_texts():
    from datetime import datetime, timezone

    assert winner_of(NEWEST, datetime(2025, 1, 2, 10, tzinfo=timezone.utc), "2025-01-02T09:59:59.999Z") == MEDUSA
    assert winner_of(NEWEST, datetime(2025, 1, 2, 9), "2025-01-02T09:00:00.001Z") == STRAPI  # naive: UTC
