"""Unchanged detection compares values the way Strapi stores them."""

import pytest

from pipelines.sync import values_equal


@pytest.mark.parametrize("desired, current", [
    (None, None), ("a", "a"), (10, 10.0), (19.5, "19.5"), (True, True),
    ({"a": 1, "b": [1, {"c": None}]}, {"b": [1, {"c": None}], "a": 1}),
    ("2024-05-01T12:00:00.123456Z", "2024-05-01T12:00:00.123Z"),
    ("", ""),
])
def test_equal(desired, current):
    assert values_equal(desired, current)


@pytest.mark.parametrize("desired, current", [
    (None, ""), ("", None), ("a", "b"), (1, 2), (True, 1), (False, 0), (True, "true"),
    ({"a": 1}, {"a": 1, "b": 2}), ([1, 2], [2, 1]), ("2024-05-01T12:00:00Z", "2024-05-01T12:00:01Z"),
    ({"a": "1"}, {"a": 1}), (0, None),
])
def test_different(desired, current):
    assert not values_equal(desired, current)
