"""The fixed set of named converters a mapping may apply to a value (no code in YAML)."""

from __future__ import annotations

from decimal import Decimal
from typing import Any, Callable

# ISO 4217 currencies without minor units, as Medusa v1 stores their amounts (1 JPY is stored as 1).
ZERO_DECIMAL_CURRENCIES = frozenset({
    "bif", "clp", "djf", "gnf", "isk", "jpy", "kmf", "krw", "pyg", "rwf", "ugx", "vnd", "vuv", "xaf", "xof", "xpf",
})


class ConversionError(ValueError):
    """A value the named converter cannot convert."""


def minor_units(value: Any, currency: str | None = None) -> Decimal | None:
    """Integer minor units to a decimal amount in major units: 1950 -> 19.50 (jpy 1950 -> 1950)."""
    if value is None:
        return None
    digits = 0 if currency and currency.lower() in ZERO_DECIMAL_CURRENCIES else 2
    return Decimal(int(value)).scaleb(-digits)


def to_string(value: Any) -> str | None:
    """Any value as text (None stays None)."""
    return None if value is None else str(value)


def to_integer(value: Any) -> int | None:
    """A number or numeric text as an integer; refuses fractions."""
    if value is None or value == "":
        return None
    number = Decimal(str(value))
    if number != number.to_integral_value():
        raise ConversionError(f"{value!r} is not a whole number")
    return int(number)


def to_decimal(value: Any) -> Decimal | None:
    """A number or numeric text as a decimal."""
    if value is None or value == "":
        return None
    try:
        return Decimal(str(value))
    except ArithmeticError:
        raise ConversionError(f"{value!r} is not a number") from None


def to_boolean(value: Any) -> bool | None:
    """true/false, 1/0, yes/no (any case) as a boolean."""
    if value is None or isinstance(value, bool):
        return value
    text = str(value).strip().lower()
    if text in ("true", "1", "yes", "t", "y"):
        return True
    if text in ("false", "0", "no", "f", "n"):
        return False
    raise ConversionError(f"{value!r} is not a boolean")


CONVERTERS: dict[str, Callable[..., Any]] = {
    "minor_units": minor_units,
    "string": to_string,
    "integer": to_integer,
    "decimal": to_decimal,
    "boolean": to_boolean,
}
