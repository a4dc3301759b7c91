"""Medusa-style ids: prefix + "_" + a ULID in Crockford base32 (10 characters of time, 16 of randomness)."""

from __future__ import annotations

import random
from datetime import datetime, timedelta, timezone

CROCKFORD = "0123456789ABCDEFGHJKMNPQRSTVWXYZ"
EPOCH = datetime(1970, 1, 1, tzinfo=timezone.utc)


def crockford(value: int, length: int) -> str:
    """Encode a non-negative integer as `length` Crockford base32 characters (most significant first)."""
    chars = []
    for _ in range(length):
        value, digit = divmod(value, 32)
        chars.append(CROCKFORD[digit])
    if value:
        raise ValueError("value does not fit in the requested length")
    return "".join(reversed(chars))


def make_id(prefix: str, rng: random.Random, when: datetime) -> str:
    """A Medusa-style id: `prefix_` + ULID (10 chars of `when` in ms, 16 chars of randomness from `rng`)."""
    millis = (when - EPOCH) // timedelta(milliseconds=1)
    return f"{prefix}_{crockford(millis, 10)}{crockford(rng.getrandbits(80), 16)}"


def token(rng: random.Random, length: int = 5) -> str:
    """A short lowercase base32 token."""
    return crockford(rng.getrandbits(5 * length), length).lower()
