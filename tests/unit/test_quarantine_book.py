"""Rows waiting in the quarantine for a quarantined relation target, and when they may load."""

from pipelines.sync.state import QuarantinedRow
from pipelines.sync.quarantine_book import ready_to_retry, waited_for, waits_for_reason


def row(content_type: str, medusa_id: str, reason: str, action: str = "resolve") -> QuarantinedRow:
    return QuarantinedRow(content_type, medusa_id, action, reason, "2025-01-01", "2025-01-01", 1)


def test_the_rows_a_reason_waits_for_read_back_exactly_odd_ids_included():
    targets = [("product", "prod_1"), ("product-collection", "it's \"odd\", : x"), ("product", "p:2")]
    reason = waits_for_reason(targets, "product_collection: Invalid relations: no api::x with documentId 'a'")
    assert waited_for(reason) == targets
    assert waited_for("nests deeper than 100 levels") == []


def test_a_row_is_ready_once_nothing_it_waits_for_is_quarantined():
    variant = row("product-variant", "v1", waits_for_reason([("product", "p1")], "product: missing"))
    other = row("product-variant", "v2", waits_for_reason([("product", "p2")], "product: missing"))
    both = row("product-variant", "v3", waits_for_reason([("product", "p1"), ("product", "p2")], "missing"))
    parent = row("product", "p2", "nests deeper than 100 levels", action="convert")
    assert ready_to_retry([variant, other, both, parent]) == [variant]  # p1 left the quarantine, p2 is still in it
    assert ready_to_retry([variant, other, both, parent], "product") == []
    assert ready_to_retry([row("product", "p3", "a convert failure", action="convert")]) == []


def test_the_sensor_takes_the_rows_that_wait_for_ready_rows_too():
    variant = row("product-variant", "v1", waits_for_reason([("product", "p1")], "product: missing"))
    price = row("money-amount", "m1", waits_for_reason([("product-variant", "v1")], "product_variant: missing"))
    stuck = row("money-amount", "m2", waits_for_reason([("product-variant", "v9")], "product_variant: missing"))
    v9 = row("product-variant", "v9", "bad metadata", action="convert")
    assert ready_to_retry([variant, price, stuck, v9]) == [variant]
    assert ready_to_retry([variant, price, stuck, v9], transitive=True) == [variant, price]
