"""R2: a full sync through a proxy that injects 429s, 5xx, resets (before and after Strapi acted) and stalls
on every method completes with zero failed rows and zero duplicates, in bounded time."""

from __future__ import annotations

import random
import threading
import time

import pytest

from pipelines.settings import WritePaths
from pipelines.strapi.client import StrapiClient
from pipelines.sync.run import sync_all
from tests.integration.helpers import assert_in_sync
from tests.support.proxy import Fault, StrapiProxy

from .conftest import strapi_duplicates

RATES = {"429": 0.10, "5xx": 0.05, "reset": 0.02, "stall": 0.01}


class Faults:
    """~10% 429 with Retry-After, ~5% 500/502/503, ~2% resets, ~1% multi-second stalls; half of the 5xx and
    resets after Strapi acted (the write happened, its answer is lost)."""

    def __init__(self, seed: int):
        self.rng = random.Random(seed)
        self.lock = threading.Lock()

    def __call__(self, method: str, path: str) -> Fault | None:
        with self.lock:
            r, after, status, stall = self.rng.random(), self.rng.random() < 0.5, self.rng.choice([500, 502, 503]), self.rng.uniform(2, 3)
        if r < RATES["429"]:
            return Fault(before=(429, (("Retry-After", "1"),)))
        r -= RATES["429"]
        if r < RATES["5xx"]:
            return Fault(after=(status, ())) if after else Fault(before=(status, ()))
        r -= RATES["5xx"]
        if r < RATES["reset"]:
            return Fault(after="reset") if after else Fault(before="reset")
        r -= RATES["reset"]
        if r < RATES["stall"]:
            return Fault(stall=stall)
        return None


@pytest.mark.parametrize("write_path", ["rest", "bulk"])
def test_a_full_sync_through_injected_faults_fails_nothing_and_duplicates_nothing(stack, source, clean_strapi, mappings, write_path):
    with StrapiProxy(stack["STRAPI_URL"], Faults(seed=42)) as proxy:
        client = StrapiClient(proxy.url, stack["STRAPI_API_TOKEN"])
        started = time.monotonic()
        results = sync_all(mappings, source, client, write_paths=WritePaths(write_path, write_path))
        elapsed = time.monotonic() - started
        client.close()
    faults = sum(n for kind, n in proxy.counts.items() if kind != "none")
    requests = sum(proxy.counts.values())
    print(f"\nR2 ({write_path}): {sum(r.read for r in results)} rows, {requests} requests, {faults} faults injected "
          f"({', '.join(f'{n} {kind}' for kind, n in sorted(proxy.counts.items()) if kind != 'none')}), "
          f"{sum(r.failed for r in results)} failed, {elapsed:.0f}s")
    assert all(r.failed == 0 and r.quarantined == 0 for r in results), [f for r in results for f in r.failures]
    assert {r.write_path for r in results} == {write_path}
    assert faults >= 0.1 * requests
    assert elapsed < 300
    assert_in_sync(source, clean_strapi, mappings)
    assert strapi_duplicates(stack, mappings) == {}
