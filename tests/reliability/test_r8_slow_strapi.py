"""R8: a slow Strapi is not an unreachable one. A bulk batch that takes longer than the usual read timeout to be
answered (a busy machine writing 1,000 relation updates) is waited for, as its size says; a request that gets no
answer at all from a Strapi that still answers /_health is reported as such, never as "unreachable"."""

from __future__ import annotations

import uuid

import pytest

from pipelines.strapi.bulk import BulkClient
from pipelines.strapi.client import StrapiClient, StrapiUnavailable, batch_read_timeout
from tests.support.proxy import Fault, StrapiProxy


def slow_bulk_writes(seconds: float):
    """Every bulk write (POST /api/bulk-upsert/<plural>) is answered `seconds` late; the rest at once."""
    def policy(method: str, path: str) -> Fault | None:
        parts = path.split("?")[0].strip("/").split("/")
        return Fault(stall=seconds) if method == "POST" and parts[:2] == ["api", "bulk-upsert"] and len(parts) == 3 else None
    return policy


def test_a_big_batch_answered_late_is_waited_for(stack, strapi):
    entries = [{"medusa_id": f"slow_{uuid.uuid4().hex[:10]}", "value": "slow"} for _ in range(1000)]
    assert batch_read_timeout(len(entries)) > 12 > 8  # the usual read timeout would give up on it
    with StrapiProxy(stack["STRAPI_URL"], slow_bulk_writes(12)) as proxy:
        client = StrapiClient(proxy.url, stack["STRAPI_API_TOKEN"])
        try:
            results, _ = BulkClient(client).write("product-tags", entries, [])
        finally:
            client.close()
    assert [r.status for r in results] == ["created"] * len(entries)
    assert proxy.counts.get("stall") == 1  # answered the first time: never sent twice
    BulkClient(strapi).write("product-tags", [], [r.document_id for r in results])


def test_no_answer_from_a_strapi_that_answers_health_is_not_called_unreachable(stack):
    with StrapiProxy(stack["STRAPI_URL"], slow_bulk_writes(30)) as proxy:
        client = StrapiClient(proxy.url, stack["STRAPI_API_TOKEN"], timeout=(5.0, 1.0))
        try:
            with pytest.raises(StrapiUnavailable) as stuck:
                client.request("POST", "/api/bulk-upsert/product-tags", json={"entries": [], "deletes": []})
        finally:
            client.close()
    message = str(stuck.value)
    assert "answers /_health" in message and "not unreachable" in message and "is unreachable" not in message
