"""Each retry of the Strapi client leaves an INFO line (which request, why, how many are left): a run's `-v` log
shows the retries it spent, e.g. behind a balancer whose node went away (tests/integration/test_two_nodes.py)."""

import logging

from pipelines.strapi.client import StrapiClient

from .fake_http import ScriptedServer

OK = (201, {}, {"data": {"documentId": "d1", "medusa_id": "prod_1"}})


def test_a_502_and_a_reset_each_leave_one_retry_line_without_the_query(caplog):
    caplog.set_level(logging.INFO, logger="pipelines.http_retry")
    with ScriptedServer([(502, {}, None), "reset", OK]) as server:
        client = StrapiClient(server.url, "s3cr3t-token-value", timeout=(1.0, 2.0), backoff_factor=0)
        assert client.request("POST", "/api/products?locale=fr", json={"data": {}})["data"]["documentId"] == "d1"
    lines = [r.getMessage() for r in caplog.records if r.name == "pipelines.http_retry"]
    assert len(lines) == 2, lines
    assert lines[0] == "retrying POST /api/products after answer 502 (7 retries left)"
    assert lines[1].startswith("retrying POST /api/products after ") and "6 retries left" in lines[1]
    assert not any("s3cr3t" in line or "locale" in line for line in lines)
