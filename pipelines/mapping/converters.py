"""The registry of named converters a mapping may apply to a value (no code in YAML).

Each converter is written once here, with the Strapi attribute it produces; the JSON Schema's
`convert` enum is checked against `CONVERTERS` by a test.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from decimal import Decimal
from typing import Any, Callable, Sequence

MONEY_DECIMAL = (20, 2)  # any Medusa integer amount in major units, exactly (minor units are hundredths at most)
WIDE_DECIMAL = (30, 10)  # numeric values without a declared precision

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


def negate(value: Any) -> bool | None:
    """A boolean (as `to_boolean` reads it), negated: e.g. Medusa v2's `enabled_in_store` as v1's `admin_only`."""
    flag = to_boolean(value)
    return None if flag is None else not flag


# Strapi 5's own rules for these attribute types (@strapi/utils' uid and email validators)
UID_PATTERN = re.compile(r"^[A-Za-z0-9\-_.~]*$")
EMAIL_PATTERN = re.compile(r"^[^\s@]+@[^\s@]+\.[^\s@]+$")


def _matching(value: Any, pattern: re.Pattern[str], refusal: str) -> str | None:
    """Text that matches `pattern` (empty text is no value); ConversionError with `refusal` otherwise."""
    text = to_string(value)
    if text is None or text == "":
        return None
    if not pattern.match(text):
        raise ConversionError(f"{text!r} {refusal}")
    return text


def to_uid(value: Any) -> str | None:
    """Text as a Strapi `uid` (letters, digits and `-_.~` only, as Strapi checks them); refuses anything else."""
    return _matching(value, UID_PATTERN, "is not a valid uid (Strapi allows letters, digits and -_.~ only)")


def to_email(value: Any) -> str | None:
    """Text as a Strapi `email`; refuses what is not an address."""
    return _matching(value, EMAIL_PATTERN, "is not an email address")


def to_blocks(value: Any) -> list[dict[str, Any]] | None:
    """Plain text as Strapi 5's rich text (blocks): one paragraph per blank-line-separated part, its line breaks
    kept as text breaks. Empty text is no content (None)."""
    text = to_string(value)
    if text is None or not text.strip():
        return None
    paragraphs = [part.strip("\n") for part in re.split(r"\n\s*\n", text.replace("\r\n", "\n")) if part.strip()]
    return [{"type": "paragraph", "children": [{"type": "text", "text": paragraph}]} for paragraph in paragraphs]


def to_enumeration(value: Any, values: Sequence[str]) -> str | None:
    """Text that must be one of `values` (the mapping's, as the Strapi attribute declares them)."""
    text = to_string(value)
    if text is None or text == "":
        return None
    if text not in values:
        raise ConversionError(f"{text!r} is not one of {', '.join(values)}")
    return text


def decimal_attribute(precision: int, scale: int) -> dict[str, Any]:
    """A Strapi decimal with an explicit column size: Strapi's default numeric(10,2) overflows at 10^8."""
    return {"type": "decimal", "column": {"args": [precision, scale]}}


@dataclass(frozen=True)
class Converter:
    """A named conversion: the function applied to each value, and the Strapi attribute it fills."""

    apply: Callable[..., Any]
    attribute: dict[str, Any]
    needs_currency: bool = False  # called with the row's currency code as a second argument
    needs_values: bool = False  # called with the field's `values` as a second argument (and its attribute lists them)


CONVERTERS: dict[str, Converter] = {
    "minor_units": Converter(minor_units, decimal_attribute(*MONEY_DECIMAL), needs_currency=True),
    "string": Converter(to_string, {"type": "text"}),
    "integer": Converter(to_integer, {"type": "integer"}),
    "decimal": Converter(to_decimal, decimal_attribute(*WIDE_DECIMAL)),
    "boolean": Converter(to_boolean, {"type": "boolean"}),
    "not": Converter(negate, {"type": "boolean"}),
    "uid": Converter(to_uid, {"type": "uid"}),
    "richtext": Converter(to_string, {"type": "richtext"}),  # Medusa's text, as Markdown (plain text is Markdown)
    "blocks": Converter(to_blocks, {"type": "blocks"}),
    "email": Converter(to_email, {"type": "email"}),
    "enumeration": Converter(to_enumeration, {"type": "enumeration"}, needs_values=True),
}
