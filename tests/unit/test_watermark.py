"""Recorded watermarks: their JSON form, and tolerance of unreadable state."""

from pipelines.medusa.changes import Watermark

MARK = Watermark(lower="2026-01-01T00:00:00.000001+00:00", high="2026-01-01T00:05:00.000001+00:00", digest="abc",
                 buckets={"product_tags.product_id": {"0a": "1f2e"}})


def test_round_trip_keeps_microseconds_and_buckets():
    again = Watermark.from_dict(MARK.to_dict())
    assert again == MARK and again.lower_bound.microsecond == 1


def test_unreadable_state_means_never_synced():
    for data in (None, {}, {"lower": 1}, {"nope": True}):
        assert Watermark.from_dict(data) is None
