"""A product's images (and its thumbnail, which is the first image or, rarely, a URL with no image row)."""

from __future__ import annotations

import random
from datetime import timedelta

from catalog.ids import make_id, token
from catalog.moments import stamps
from catalog.values import maybe, weighted_count


def add_images(rng: random.Random, product: dict, rows: dict[str, list[dict]]) -> None:
    """Append 0-4 image and product_images rows for `product` and set its thumbnail."""
    for position in range(weighted_count(rng, {0: 15, 1: 35, 2: 25, 3: 15, 4: 10})):
        when = stamps(rng, product["created_at"], timedelta(hours=2))
        image_id = make_id("img", rng, when["created_at"])
        view = rng.choice(("front", "back", "détail", "側面"))
        url = f"https://cdn.example.com/catalog/{image_id.lower()}/{view}-{position}.jpg"
        rows["image"].append({
            "id": image_id, "url": url, **when, "deleted_at": None,
            "metadata": maybe(rng, 0.2, lambda: {"alt": product["title"][:80]}),
        })
        rows["product_images"].append({"product_id": product["id"], "image_id": image_id})
        if position == 0:
            product["thumbnail"] = url
    if product["thumbnail"] is None and rng.random() < 0.05:
        product["thumbnail"] = f"https://cdn.example.com/missing/{token(rng, 12)}.png"
