"""Lock keys are stable and distinct per content type (the locking itself is tested against Postgres)."""

from pipelines.medusa.locks import lock_key


def test_lock_keys_are_stable_signed_64_bit_and_distinct():
    keys = {name: lock_key(name) for name in ("product", "product-variant", "currency", "money-amount")}
    assert len(set(keys.values())) == len(keys)
    assert all(-(2**63) <= k < 2**63 for k in keys.values())
    assert lock_key("product") == keys["product"]
