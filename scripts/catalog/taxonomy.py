"""How products are grouped: collections, types, tags and the category tree (pure row builders)."""

from __future__ import annotations

import random
from datetime import timedelta

from catalog.ids import make_id, token
from catalog.moments import deleted_after, soft_deleted_indexes, stamps
from catalog.values import ACCENT_WORDS, CJK_WORDS, EMOJI, LOREM, PLAIN_WORDS, make_handle, metadata

TAG_WORDS = ("summer", "winter", "sale", "new", "eco", "bestseller", "gift", "limited", "été", "セール", "🔥hot", "הנחה")
TYPE_VALUES = ("T-Shirt", "Hoodie", "Mug", "Tote", "Sneaker", "Accessory", "Tasse ☕", "靴", "Gift Card", "Décor")


def build_collections(rng: random.Random, n: int, taken_handles: set[str]) -> list[dict]:
    """n product_collection rows with unique live handles, a few soft-deleted."""
    deleted = soft_deleted_indexes(rng, n)
    rows = []
    for i in range(n):
        title = rng.choice((
            f"{rng.choice(PLAIN_WORDS)} Collection", f"Été {2024 + i % 3}", "コレクション", f"Drop {i} {rng.choice(EMOJI)}",
        ))
        when = stamps(rng)
        rows.append({
            "id": make_id("pcol", rng, when["created_at"]), "title": title,
            "handle": make_handle(rng, title, taken_handles, "collection"), **when,
            "deleted_at": deleted_after(rng, when["updated_at"]) if i in deleted else None,
            "metadata": metadata(rng),
        })
    return rows


def build_types(rng: random.Random, n: int) -> list[dict]:
    """n product_type rows."""
    rows = []
    for i in range(n):
        when = stamps(rng)
        value = TYPE_VALUES[i % len(TYPE_VALUES)] + ("" if i < len(TYPE_VALUES) else f" {i}")
        rows.append({
            "id": make_id("ptyp", rng, when["created_at"]), "value": value, **when,
            "deleted_at": None, "metadata": metadata(rng),
        })
    return rows


def build_tags(rng: random.Random, n: int) -> list[dict]:
    """n product_tag rows (values may repeat, as nothing forbids it), a few soft-deleted."""
    deleted = soft_deleted_indexes(rng, n)
    rows = []
    for i in range(n):
        when = stamps(rng)
        value = rng.choice(TAG_WORDS) + ("" if i < len(TAG_WORDS) else f"-{token(rng, 3)}")
        rows.append({
            "id": make_id("ptag", rng, when["created_at"]), "value": value, **when,
            "deleted_at": deleted_after(rng, when["updated_at"]) if i in deleted else None,
            "metadata": metadata(rng),
        })
    return rows


def build_category_tree(
    rng: random.Random, taken_handles: set[str], root_rank: int = 0, roots: int = 3, depth: int = 4,
) -> list[dict]:
    """A product_category tree: `roots` roots (ranks from `root_rank`), every branch 3 levels deep, some 4.

    mpath is Medusa's materialized path (`pcat_a.pcat_b.`), ranks are 0.. among siblings.
    """
    rows: list[dict] = []

    def add(parent: dict | None, rank: int, level: int) -> None:
        """Append one category at `rank` among its siblings, then its children."""
        name = rng.choice((
            rng.choice(PLAIN_WORDS), rng.choice(ACCENT_WORDS), rng.choice(CJK_WORDS),
            f"{rng.choice(PLAIN_WORDS)} {rng.choice(EMOJI)}",
        ))
        when = stamps(rng, parent["created_at"] if parent else None, timedelta(days=30))
        cid = make_id("pcat", rng, when["created_at"])
        row = {
            "id": cid, "name": name, "handle": make_handle(rng, name, taken_handles, "category"),
            "parent_category_id": parent["id"] if parent else None,
            "mpath": (parent["mpath"] if parent else "") + cid + ".",
            "is_active": rng.random() < 0.9, "is_internal": rng.random() < 0.05, **when, "rank": rank,
            "description": rng.choice(("", "", rng.choice(LOREM))), "metadata": metadata(rng),
        }
        rows.append(row)
        if level < 3 or (level < depth and rng.random() < 0.4):
            for child_rank in range(rng.randint(2, 3)):
                add(row, child_rank, level + 1)

    for i in range(roots):
        add(None, root_rank + i, 1)
    return rows
