"""Random column values: text in several scripts, unique handles, nested jsonb metadata, weighted counts."""

from __future__ import annotations

import random
import re
import unicodedata
from typing import Any, Callable

from catalog.ids import token

PLAIN_WORDS = (
    "Classic", "Organic", "Vintage", "Everyday", "Premium", "Cotton", "Linen", "Wool", "Canvas", "Leather",
    "Ceramic", "Bamboo", "Travel", "Studio", "Urban", "Alpine", "Coastal", "Midnight", "Sunrise", "Heritage",
    "Shirt", "Hoodie", "Mug", "Tote", "Sneaker", "Cap", "Scarf", "Lamp", "Backpack", "Notebook", "Teapot",
    "Jacket", "Socks", "Blanket", "Bottle", "Pillow", "Sweater", "Candle", "Wallet", "Belt",
)
ACCENT_WORDS = (
    "Crème", "Café", "Façade", "Über", "Ñandú", "Smörgås", "Żółć", "Déjà-vu", "Ærø", "Crêpe", "Mañana", "Größe",
)
CJK_WORDS = ("木製", "茶碗", "ティーシャツ", "한국 가방", "抹茶", "手作り", "靴下", "陶器", "风格", "잠옷")
EMOJI = ("🔥", "👕", "☕", "🚀", "✨", "🏳️‍🌈", "👍🏽", "🇯🇵", "🧶", "❤️")
RTL_WORDS = ("قميص قطني", "حقيبة جلدية", "כוס קפה", "חולצה", "שמיכה", "مصباح")
LOREM = (
    "Soft to the touch and built to last.", "Made in small batches by people who care.",
    "Lávese a 30 °C; no usar secadora.", "お手入れは簡単です。", "Der Klassiker für jeden Tag.",
    "يمكن غسله في الغسالة.", "מתאים לכל עונה.", "Ships in recycled packaging 📦.",
    "Includes <b>HTML</b> & \"quotes\" and a backslash \\ too.", "Line one\nline two\ttabbed.",
)


def slugify(text: str, max_length: int = 48) -> str:
    """ASCII slug of `text` (accents folded, other scripts dropped); may be empty."""
    folded = unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode("ascii").lower()
    slug = re.sub(r"[^a-z0-9]+", "-", folded).strip("-")
    return slug[:max_length].rstrip("-")


def unique_value(make: Callable[[], str], taken: set[str]) -> str:
    """Call `make` until it returns a value not in `taken`; record and return it."""
    while True:
        value = make()
        if value not in taken:
            taken.add(value)
            return value


def make_handle(rng: random.Random, title: str, taken: set[str], fallback: str = "item") -> str:
    """A handle `slug-token` unique in `taken` (and added to it)."""
    base = slugify(title) or fallback
    return unique_value(lambda: f"{base}-{token(rng)}", taken)


def maybe(rng: random.Random, probability: float, make: Callable[[], Any]) -> Any:
    """`make()` with the given probability, else None."""
    return make() if rng.random() < probability else None


def weighted_count(rng: random.Random, weights: dict[int, int]) -> int:
    """Draw a count from {count: weight}."""
    return rng.choices(list(weights), weights=list(weights.values()))[0]


def product_title(rng: random.Random) -> str:
    """A product title in one of several scripts; about 2 % are longer than 255 characters."""
    plain = lambda n: " ".join(rng.choice(PLAIN_WORDS) for _ in range(n))  # noqa: E731
    roll = rng.random()
    if roll < 0.50:
        return plain(rng.randint(2, 4))
    if roll < 0.64:
        return f"{rng.choice(ACCENT_WORDS)} {plain(rng.randint(1, 2))}"
    if roll < 0.74:
        return "".join(rng.choice(CJK_WORDS) for _ in range(rng.randint(1, 3)))
    if roll < 0.84:
        return f"{plain(2)} {rng.choice(EMOJI)}"
    if roll < 0.92:
        return rng.choice(RTL_WORDS)
    if roll < 0.98:
        return f"{rng.choice(ACCENT_WORDS)} {rng.choice(CJK_WORDS)} {rng.choice(RTL_WORDS)} {rng.choice(EMOJI)}"
    words = []
    while sum(len(w) + 1 for w in words) < 256 + rng.randint(0, 200):
        words.append(rng.choice(PLAIN_WORDS + ACCENT_WORDS + CJK_WORDS))
    return " ".join(words)


def description(rng: random.Random) -> str | None:
    """NULL (15 %), empty (5 %), over 2000 characters (5 %) or a few sentences."""
    roll = rng.random()
    if roll < 0.15:
        return None
    if roll < 0.20:
        return ""
    if roll < 0.25:
        parts: list[str] = []
        target = 2001 + rng.randint(0, 3000)
        while sum(len(p) + 1 for p in parts) < target:
            parts.append(rng.choice(LOREM))
        return " ".join(parts)
    return " ".join(rng.choice(LOREM) for _ in range(rng.randint(1, 3)))


def metadata(rng: random.Random) -> dict[str, Any] | None:
    """jsonb metadata: NULL (35 %), {} (10 %) or a nested object with arrays of objects and unicode keys."""
    roll = rng.random()
    if roll < 0.35:
        return None
    if roll < 0.45:
        return {}
    value: dict[str, Any] = {"source": "generate_catalog", "rank": rng.randint(0, 100)}
    if rng.random() < 0.6:
        value["attributes"] = [
            {"name": "fit", "value": rng.choice(["slim", "regular", "oversize"])},
            {"name": "größe", "values": ["S", "M", {"custom": True}]},
            {},
        ]
    if rng.random() < 0.5:
        value["ñandú"] = {"nested": {"deep": [1, 2.5, True, None, "x"], "empty": {}}, "list": []}
    if rng.random() < 0.3:
        value["🔥"] = rng.choice(EMOJI)
        value["عربي"] = "قيمة"
        value["中文"] = {"键": "值"}
    if rng.random() < 0.2:
        value["null_value"] = None
        value["quote\"key"] = "back\\slash"
    return value
