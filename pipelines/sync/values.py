"""Whether a value the sync would write equals the value Strapi holds, the way Strapi stores it (pure)."""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal
from typing import Any


def values_equal(desired: Any, current: Any, *, json: bool = False) -> bool:
    """Compare a value we would write with the value Strapi holds, the way Strapi stores it.

    Numbers compare by value (10 == 10.0, Decimal strings), exactly for typed attributes (a biginteger keeps
    every digit) and as doubles inside JSON (`json`: Strapi's JavaScript stores JSON numbers as doubles,
    so 2**60 + 1 comes back as 2**60 and must not look like a change on every run). JSON compares by
    parsed structure (key order ignored), datetimes at Strapi's millisecond precision. Nested values are
    walked without recursion.
    """
    pending = [(desired, current)]
    while pending:
        a, b = pending.pop()
        if isinstance(a, dict) and isinstance(b, dict):
            if a.keys() != b.keys():
                return False
            pending.extend((a[k], b[k]) for k in a)
        elif isinstance(a, list) and isinstance(b, list):
            if len(a) != len(b):
                return False
            pending.extend(zip(a, b))
        elif not _scalars_equal(a, b, json):
            return False
    return True


def _scalars_equal(desired: Any, current: Any, json: bool = False) -> bool:
    if desired is None or current is None:
        return desired is None and current is None
    if isinstance(desired, bool) or isinstance(current, bool):
        return desired is current or desired == current and type(desired) is type(current)
    if isinstance(desired, (int, float)) and isinstance(current, (int, float, str)):
        try:  # exactly, not through float: 2**60 + 1 is not 2**60 (Strapi returns bigintegers as text)
            if json and not isinstance(current, str):
                return float(desired) == float(current)
            return Decimal(str(desired)) == Decimal(str(current))
        except (ArithmeticError, ValueError, OverflowError):
            return False
    if isinstance(desired, str) and isinstance(current, str):
        return desired == current or _same_instant(desired, current)
    return desired == current


def _same_instant(a: str, b: str) -> bool:
    if len(a) < 19 or len(b) < 19 or a[4] != "-" or b[4] != "-" or "T" not in a[:11] or "T" not in b[:11]:
        return False
    try:
        x = datetime.fromisoformat(a.replace("Z", "+00:00"))
        y = datetime.fromisoformat(b.replace("Z", "+00:00"))
    except ValueError:
        return False
    if (x.tzinfo is None) != (y.tzinfo is None):
        return False
    return x.replace(microsecond=x.microsecond // 1000 * 1000) == y.replace(microsecond=y.microsecond // 1000 * 1000)
