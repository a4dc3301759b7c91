"""Row timestamps from a fixed anchor (never the clock), and which rows are soft-deleted."""

from __future__ import annotations

import random
from datetime import datetime, timedelta, timezone

#: Fixed "now" of the generated history (not the clock, so runs are reproducible).
ANCHOR = datetime(2026, 6, 30, 12, 0, 0, tzinfo=timezone.utc)
HISTORY = timedelta(days=730)
START = ANCHOR - HISTORY
#: Moments of simulated bulk edits: rows updated then share exactly the same updated_at.
BULK_EDITS = tuple(
    ANCHOR - timedelta(days=d, seconds=3 * d + 17, microseconds=123_457 + d) for d in (0, 2, 31, 180, 400)
)
SOFT_DELETE_RATE = 0.015


def random_moment(rng: random.Random, start: datetime = START, end: datetime = ANCHOR) -> datetime:
    """A moment in [start, end] with microsecond precision."""
    span = max((end - start) // timedelta(microseconds=1), 0)
    return start + timedelta(microseconds=rng.randint(0, span))


def updated_after(rng: random.Random, created: datetime) -> datetime:
    """An updated_at >= created: equal 20 %, a shared bulk-edit moment 10 %, otherwise later (till ANCHOR)."""
    roll = rng.random()
    if roll < 0.2:
        return created
    if roll < 0.3:
        later = [moment for moment in BULK_EDITS if moment >= created]
        if later:
            return rng.choice(later)
    return random_moment(rng, created, ANCHOR)


def stamps(rng: random.Random, after: datetime | None = None, within: timedelta | None = None) -> dict[str, datetime]:
    """created_at (in the history, or shortly after `after`) and updated_at >= created_at."""
    if after is None:
        created = random_moment(rng)
    else:
        created = random_moment(rng, after, min(after + (within or HISTORY), ANCHOR))
    return {"created_at": created, "updated_at": updated_after(rng, created)}


def deleted_after(rng: random.Random, updated: datetime) -> datetime:
    """A deleted_at at or after updated_at."""
    return random_moment(rng, updated, ANCHOR)


def soft_deleted_indexes(rng: random.Random, n: int, rate: float = SOFT_DELETE_RATE) -> set[int]:
    """Which of n rows to soft-delete: about `rate` of them, at least one when n >= 5."""
    count = max(1 if n >= 5 else 0, round(n * rate))
    return set(rng.sample(range(n), count))
