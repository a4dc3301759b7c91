"""Where products sell: currencies, regions, countries assigned to them, shipping options (pure row builders)."""

from __future__ import annotations

import random
from datetime import timedelta

from catalog.ids import make_id
from catalog.moments import stamps
from catalog.values import metadata

#: code -> (symbol, symbol_native, name); rows are inserted only for codes the database lacks.
CURRENCIES = {
    "usd": ("$", "$", "US Dollar"),
    "eur": ("€", "€", "Euro"),
    "gbp": ("£", "£", "British Pound Sterling"),
    "jpy": ("¥", "￥", "Japanese Yen"),
    "sek": ("Skr", "kr", "Swedish Krona"),
    "dkk": ("Dkr", "kr", "Danish Krone"),
    "nok": ("Nkr", "kr", "Norwegian Krone"),
    "chf": ("CHF", "CHF", "Swiss Franc"),
    "brl": ("R$", "R$", "Brazilian Real"),
    "cad": ("CA$", "$", "Canadian Dollar"),
    "krw": ("₩", "₩", "South Korean Won"),
    "ils": ("₪", "₪", "Israeli New Sheqel"),
}
#: (name, currency, tax_rate, tax_code) of the generated regions.
REGIONS = (
    ("Norden ❄", "sek", 25.0, "SE-STD"),
    ("日本 (Japan)", "jpy", 10.0, None),
    ("América Latina", "brl", 17.5, "BR-ICMS"),
    ("Schweiz / Suisse / Svizzera", "chf", 8.1, None),
    ("ישראל", "ils", 17.0, None),
)
#: The payment and fulfillment provider of every generated region and shipping option.
PROVIDER = "manual"


def currency_rows() -> list[dict]:
    """One currency row per entry of CURRENCIES."""
    return [
        {"code": code, "symbol": symbol, "symbol_native": native, "name": name}
        for code, (symbol, native, name) in CURRENCIES.items()
    ]


def build_regions(rng: random.Random) -> list[dict]:
    """One region row per entry of REGIONS."""
    rows = []
    for name, currency, tax_rate, tax_code in REGIONS:
        when = stamps(rng)
        rows.append({
            "id": make_id("reg", rng, when["created_at"]), "name": name, "currency_code": currency,
            "tax_rate": tax_rate, "tax_code": tax_code, **when, "deleted_at": None, "metadata": metadata(rng),
            "gift_cards_taxable": rng.random() < 0.7, "automatic_taxes": rng.random() < 0.8, "tax_provider_id": None,
        })
    return rows


def assign_countries(rng: random.Random, free_country_ids: list[int], region_ids: list[str]) -> list[dict]:
    """Give each region 1-4 of the countries that have no region (never one country twice)."""
    pool = list(free_country_ids)
    rng.shuffle(pool)
    assignments = []
    for region_id in region_ids:
        for _ in range(rng.randint(1, 4)):
            if pool:
                assignments.append({"b_id": pool.pop(), "b_region": region_id})
    return assignments


def build_shipping_options(
    rng: random.Random, regions: list[dict], profile_ids: list[str], price_types: list[str],
) -> list[dict]:
    """Per region: a standard, an express, a calculated (NULL amount), a return and an admin-only option."""
    flat = "flat_rate" if "flat_rate" in price_types else price_types[0]
    calculated = "calculated" if "calculated" in price_types else price_types[-1]
    specs = (
        ("Standard", flat, lambda: rng.randint(300, 1500), False, False),
        ("Express ⚡", flat, lambda: rng.randint(1500, 4000), False, False),
        ("Calculated (carrier)", calculated, lambda: None, False, False),
        ("Retour / Return", flat, lambda: 0, True, False),
        ("Pickup (staff only)", flat, lambda: 0, False, True),
    )
    rows = []
    for region in regions:
        for name, price_type, amount, is_return, admin_only in specs:
            when = stamps(rng, region["created_at"], timedelta(days=5))
            rows.append({
                "id": make_id("so", rng, when["created_at"]), "name": f"{name} — {region['name']}",
                "region_id": region["id"], "profile_id": rng.choice(profile_ids), "provider_id": PROVIDER,
                "price_type": price_type, "amount": amount(), "is_return": is_return,
                "data": {"id": "manual-fulfillment"} if rng.random() < 0.7
                else {"id": "manual-fulfillment", "options": [{"carrier": "ポスト"}, {}]},
                **when, "deleted_at": None, "metadata": metadata(rng), "admin_only": admin_only,
            })
    return rows
