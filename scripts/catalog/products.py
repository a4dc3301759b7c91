"""Batches of products with their options, variants, option values and links (pure: no database).

Images come from catalog.media and prices from catalog.pricing; all draw from the generator's one RNG.
"""

from __future__ import annotations

import itertools
import random
from datetime import timedelta

from catalog.ids import make_id, token
from catalog.media import add_images
from catalog.model import Catalog, Taken
from catalog.moments import SOFT_DELETE_RATE, deleted_after, stamps
from catalog.pricing import add_prices
from catalog.values import LOREM, description, make_handle, maybe, metadata, product_title, unique_value, weighted_count

#: Insert order of one batch of products (parents first).
PRODUCT_TABLES = (
    "image", "product", "product_images", "product_option", "product_variant", "product_option_value",
    "money_amount", "product_variant_money_amount", "product_tags", "product_category_product",
    "product_sales_channel", "product_shipping_profile",
)
MATERIALS = ("Cotton", "Baumwolle 100 %", "綿", "Laine mérinos", "Polyester ♻", "Leder", "Ceramic", "Bamboo")
COUNTRIES = ("us", "de", "fr", "jp", "cn", "se", "br", "it", "pt", "in", "kr", "il")
OPTION_KINDS = (
    ("Size", ("XS", "S", "M", "L", "XL", "XXL")),
    ("Color", ("Black", "White", "Crème", "Navy", "Olive", "赤", "Rosé")),
    ("Material", ("Cotton", "Wool", "Linen", "Silk", "Bamboo")),
    ("Größe", ("36", "38", "40", "42", "44")),
    ("色 / Colour", ("藍", "白", "黒", "緑")),
    ("Pack", ("1", "3", "6", "12")),
)


class ProductGenerator:
    """Generates batches of product rows (and all their children) from a seeded RNG."""

    def __init__(self, rng: random.Random, taken: Taken, catalog: Catalog):
        self.rng = rng
        self.taken = taken
        self.catalog = catalog
        tag_weights = [1 / (rank + 1) ** 0.8 for rank in range(len(catalog.tags))]
        self._tag_cum = list(itertools.accumulate(tag_weights))
        self._live_handles: list[str] = []
        self._live_skus: list[str] = []
        self._sku_counter = 0

    def batch(self, start: int, count: int) -> dict[str, list[dict]]:
        """Rows of products start .. start+count-1 and their children, keyed by table name."""
        rows: dict[str, list[dict]] = {name: [] for name in PRODUCT_TABLES}
        for index in range(start, start + count):
            self._product(index, rows)
        return rows

    def _product(self, index: int, rows: dict[str, list[dict]]) -> None:
        """Append one product with its options, variants, prices, images and links."""
        rng, catalog = self.rng, self.catalog
        when = stamps(rng)
        deleted_at = deleted_after(rng, when["updated_at"]) if index % 64 == 7 else None
        title = product_title(rng)
        if deleted_at and self._live_handles and rng.random() < 0.5:
            handle = rng.choice(self._live_handles)  # live rows only must be unique: Medusa allows this
        else:
            handle = make_handle(rng, title, self.taken.product_handles, "product")
            if deleted_at is None and len(self._live_handles) < 1000:
                self._live_handles.append(handle)
        is_giftcard = rng.random() < 0.02
        product = {
            "id": make_id("prod", rng, when["created_at"]), "title": title,
            "subtitle": maybe(rng, 0.5, lambda: rng.choice(LOREM)), "description": description(rng),
            "handle": handle, "is_giftcard": is_giftcard, "thumbnail": None,
            **self._dimensions(),
            "hs_code": maybe(rng, 0.4, lambda: f"{rng.randint(1000, 9999)}.{rng.randint(10, 99)}"),
            "origin_country": maybe(rng, 0.5, lambda: rng.choice(COUNTRIES)),
            "mid_code": maybe(rng, 0.1, lambda: token(rng, 8).upper()),
            "material": maybe(rng, 0.5, lambda: rng.choice(MATERIALS)), **when, "deleted_at": deleted_at,
            "metadata": metadata(rng),
            "collection_id": maybe(rng, 0.75, lambda: rng.choice(catalog.collections)) if catalog.collections else None,
            "type_id": maybe(rng, 0.7, lambda: rng.choice(catalog.types)) if catalog.types else None,
            "discountable": rng.random() < 0.9, "status": self._status(),
            "external_id": maybe(rng, 0.05, lambda: f"ext-{token(rng, 10)}"),
        }
        rows["product"].append(product)
        add_images(rng, product, rows)
        variants = weighted_count(rng, {1: 15, 2: 20, 3: 30, 4: 20, 5: 15})
        options = self._options(product, variants, rows)
        self._variants(product, options, variants, rows)
        self._links(product, rows)

    def _dimensions(self) -> dict[str, int | None]:
        """weight/length/height/width, each NULL 40 % of the time."""
        dimensions = ("weight", "length", "height", "width")
        return {key: maybe(self.rng, 0.6, lambda: self.rng.randint(1, 20000)) for key in dimensions}

    def _status(self) -> str:
        """Mostly 'published', sometimes any other value of the status enum."""
        statuses = self.catalog.statuses
        if "published" in statuses and self.rng.random() < 0.8:
            return "published"
        return self.rng.choice(statuses)

    def _options(self, product: dict, variants: int, rows: dict[str, list[dict]]) -> list[tuple[dict, list[str]]]:
        """1-3 product options, each with the 2+ values its variants will use (enough for `variants` combinations)."""
        rng = self.rng
        kinds = rng.sample(OPTION_KINDS, weighted_count(rng, {1: 45, 2: 40, 3: 15}))
        sizes = [rng.randint(2, min(4, len(values))) for _, values in kinds]
        if len(kinds) == 1:
            sizes[0] = max(sizes[0], min(variants, len(kinds[0][1])))
        options = []
        for (title, values), size in zip(kinds, sizes):
            when = stamps(rng, product["created_at"], timedelta(minutes=5))
            option = {
                "id": make_id("opt", rng, when["created_at"]), "title": title, **when,
                "deleted_at": product["deleted_at"], "metadata": maybe(rng, 0.1, lambda: {}),
                "product_id": product["id"],
            }
            rows["product_option"].append(option)
            options.append((option, rng.sample(values, size)))
        return options

    def _variants(
        self, product: dict, options: list[tuple[dict, list[str]]], count: int, rows: dict[str, list[dict]],
    ) -> None:
        """`count` variants (distinct combinations of option values), one option value per option each."""
        rng = self.rng
        combos = list(itertools.product(*(values for _, values in options)))
        rng.shuffle(combos)
        for rank, combo in enumerate(combos[:count]):
            variant = self._variant(product, combo, rank)
            rows["product_variant"].append(variant)
            for (option, _), value in zip(options, combo):
                rows["product_option_value"].append({
                    "id": make_id("optval", rng, variant["created_at"]), "value": value, "option_id": option["id"],
                    "variant_id": variant["id"],
                    "created_at": variant["created_at"], "updated_at": variant["updated_at"],
                    "deleted_at": variant["deleted_at"], "metadata": maybe(rng, 0.05, lambda: {"swatch": "#ff0000"}),
                })
            add_prices(rng, self.catalog, variant, rows)

    def _variant(self, product: dict, combo: tuple[str, ...], rank: int) -> dict:
        """One product_variant row; soft-deleted with its product, or on its own ~1.5 % of the time."""
        rng, taken = self.rng, self.taken
        when = stamps(rng, product["created_at"], timedelta(days=3))
        deleted_at = product["deleted_at"]
        if deleted_at is None and rng.random() < SOFT_DELETE_RATE:
            deleted_at = deleted_after(rng, when["updated_at"])
        if deleted_at and self._live_skus and rng.random() < 0.5:
            sku = rng.choice(self._live_skus)  # a deleted variant may carry a live variant's SKU
        elif rng.random() < 0.1:
            sku = None
        else:
            self._sku_counter += 1
            sku = unique_value(lambda: f"SKU-{self._sku_counter:06d}-{token(rng, 4).upper()}", taken.skus)
            if deleted_at is None and len(self._live_skus) < 1000:
                self._live_skus.append(sku)
        digits = lambda n: "".join(rng.choice("0123456789") for _ in range(n))  # noqa: E731
        return {
            "id": make_id("variant", rng, when["created_at"]), "title": " / ".join(combo), "product_id": product["id"],
            "sku": sku,
            "barcode": maybe(rng, 0.6, lambda: unique_value(lambda: digits(13), taken.barcodes)),
            "ean": maybe(rng, 0.2, lambda: unique_value(lambda: digits(13), taken.eans)),
            "upc": maybe(rng, 0.15, lambda: unique_value(lambda: digits(12), taken.upcs)),
            "inventory_quantity": rng.choice((0, rng.randint(1, 500), rng.randint(1, 50), -rng.randint(1, 5))),
            "allow_backorder": rng.random() < 0.2, "manage_inventory": rng.random() < 0.85,
            "hs_code": maybe(rng, 0.2, lambda: f"{rng.randint(1000, 9999)}.{rng.randint(10, 99)}"),
            "origin_country": maybe(rng, 0.3, lambda: rng.choice(COUNTRIES)),
            "mid_code": None, "material": maybe(rng, 0.3, lambda: rng.choice(MATERIALS)),
            **self._dimensions(), **when, "deleted_at": deleted_at, "metadata": metadata(rng), "variant_rank": rank,
        }

    def _links(self, product: dict, rows: dict[str, list[dict]]) -> None:
        """Tags (skewed so that popular tags are shared), categories, sales channel, shipping profile."""
        rng, catalog = self.rng, self.catalog
        if catalog.tags:
            count = weighted_count(rng, {0: 10, 1: 25, 2: 30, 3: 20, 5: 15})
            picked = rng.choices(catalog.tags, cum_weights=self._tag_cum, k=count)
            for tag_id in dict.fromkeys(picked):
                rows["product_tags"].append({"product_id": product["id"], "product_tag_id": tag_id})
        if catalog.categories:
            count = min(len(catalog.categories), weighted_count(rng, {0: 15, 1: 55, 2: 20, 3: 10}))
            for category_id in rng.sample(catalog.categories, count):
                link = {"product_category_id": category_id, "product_id": product["id"]}
                rows["product_category_product"].append(link)
        if catalog.sales_channel and rng.random() < 0.9:
            link = {"product_id": product["id"], "sales_channel_id": catalog.sales_channel}
            rows["product_sales_channel"].append(link)
        profile = catalog.gift_card_profile if product["is_giftcard"] else (
            catalog.custom_profile if rng.random() < 0.1 else catalog.default_profile)
        if profile:
            rows["product_shipping_profile"].append({"profile_id": profile, "product_id": product["id"]})
