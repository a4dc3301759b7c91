"""The sensor cursor: serialization, confirm/abandon, and tolerance of unreadable state."""

from pipelines.medusa.changes import Pending, SensorCursor, Watermark

MARK = Watermark(lower="2026-01-01T00:00:00.000001+00:00", high="2026-01-01T00:05:00.000001+00:00", digest="abc")
NEXT = Watermark(lower="2026-01-01T00:10:00+00:00", high="2026-01-01T00:15:00+00:00", digest="def")


def test_round_trip_keeps_microseconds():
    cursor = SensorCursor(MARK, Pending("launch-1", "2026-01-01T00:16:00+00:00", MARK.lower, NEXT))
    again = SensorCursor.from_json(cursor.to_json())
    assert again == cursor
    assert again.confirmed.lower_bound.microsecond == 1


def test_confirm_moves_the_watermark_only_through_the_pending_run():
    cursor = SensorCursor(MARK, Pending("launch-1", "2026-01-01T00:16:00+00:00", MARK.lower, NEXT))
    assert cursor.confirm() == SensorCursor(NEXT, None)
    assert cursor.abandon() == SensorCursor(MARK, None)


def test_unreadable_cursor_starts_over():
    for text in (None, "", "not json", '{"confirmed": {"lower": 1}}', "[]"):
        assert SensorCursor.from_json(text) == SensorCursor()
