"""What the generator keeps between batches: the values that must stay unique, and the ids products point at."""

from __future__ import annotations

from dataclasses import dataclass, field


@dataclass
class Taken:
    """Values that must stay unique (among live rows, or among all rows for category handles)."""

    product_handles: set[str] = field(default_factory=set)
    collection_handles: set[str] = field(default_factory=set)
    category_handles: set[str] = field(default_factory=set)
    skus: set[str] = field(default_factory=set)
    barcodes: set[str] = field(default_factory=set)
    eans: set[str] = field(default_factory=set)
    upcs: set[str] = field(default_factory=set)


@dataclass
class Catalog:
    """What products point at: ids of the reference rows."""

    currencies: list[str]
    region_by_currency: dict[str, list[str]]
    collections: list[str]
    types: list[str]
    tags: list[str]
    categories: list[str]
    statuses: list[str]
    default_profile: str | None = None
    gift_card_profile: str | None = None
    custom_profile: str | None = None
    sales_channel: str | None = None
