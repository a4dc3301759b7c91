"""A variant's prices: money_amount rows in several currencies (some per region) and their variant links."""

from __future__ import annotations

import random
from datetime import timedelta
from typing import TYPE_CHECKING

from catalog.ids import make_id
from catalog.moments import stamps
from catalog.values import weighted_count

if TYPE_CHECKING:
    from catalog.model import Catalog

#: Currencies whose amounts are whole units (no cents): prices are scaled accordingly.
ZERO_DECIMAL = {"jpy", "krw"}


def add_prices(rng: random.Random, catalog: Catalog, variant: dict, rows: dict[str, list[dict]]) -> None:
    """2-4 prices in different currencies; ~30 % of those with a region of that currency are region prices."""
    base = rng.randint(0, 30000) if rng.random() > 0.02 else 0
    count = min(len(catalog.currencies), weighted_count(rng, {2: 25, 3: 50, 4: 25}))
    for currency in rng.sample(catalog.currencies, count):
        regions = catalog.region_by_currency.get(currency)
        tiered = rng.random() < 0.05
        when = stamps(rng, variant["created_at"], timedelta(minutes=10))
        amount = {
            "id": make_id("ma", rng, when["created_at"]), "currency_code": currency,
            "amount": base * 150 // 100 if currency in ZERO_DECIMAL else base,
            "region_id": rng.choice(regions) if regions and rng.random() < 0.3 else None,
            **when, "deleted_at": None,
            "min_quantity": 10 if tiered else None, "max_quantity": 99 if tiered and rng.random() < 0.5 else None,
            "price_list_id": None,
        }
        rows["money_amount"].append(amount)
        rows["product_variant_money_amount"].append({
            "id": make_id("pvma", rng, when["created_at"]),
            "money_amount_id": amount["id"], "variant_id": variant["id"],
            "deleted_at": None, **when,
        })
