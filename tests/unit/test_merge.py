"""The three-way merge of the fields both sides edit: each case, each rule, entries without a base."""

import pytest

from pipelines.writeback.merge import MEDUSA, NEWEST, STRAPI, merge_entry, same, winner_of

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
