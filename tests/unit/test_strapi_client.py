"""Strapi client: bounded retries (429 with Retry-After, 5xx, resets, refused connections), errors, paging."""

import socket
import time
from urllib.parse import parse_qsl, urlsplit

import pytest

from pipelines.strapi.client import StrapiAuthError, StrapiClient, StrapiError, StrapiUnavailable

from .fake_http import ScriptedServer

TOKEN = "s3cr3t-token-value"
OK = (200, {}, {"data": {"documentId": "d1", "medusa_id": "prod_1"}})


def client(url: str, **kw) -> StrapiClient:
    kw.setdefault("backoff_factor", 0)
    return StrapiClient(url, TOKEN, timeout=(1.0, 2.0), **kw)


def test_429_is_retried_after_retry_after_seconds():
    with ScriptedServer([(429, {"Retry-After": "1"}, {"error": {"message": "Too Many Requests"}}), OK]) as server:
        started = time.monotonic()
        assert client(server.url).create("products", {"medusa_id": "prod_1"})["documentId"] == "d1"
        assert time.monotonic() - started >= 0.9
        assert len(server.requests) == 2


def test_retry_after_is_capped():
    with ScriptedServer([(429, {"Retry-After": "3600"}, None), OK]) as server:
        started = time.monotonic()
        client(server.url, max_retry_after=0.2).create("products", {"medusa_id": "prod_1"})
        assert time.monotonic() - started < 5


@pytest.mark.parametrize("status", [500, 502, 503, 504])
def test_5xx_is_retried(status):
    with ScriptedServer([(status, {}, None), (status, {}, None), OK]) as server:
        client(server.url).update("products", "d1", {"title": "x"})
        assert [r["method"] for r in server.requests] == ["PUT"] * 3


def test_post_500_is_not_retried_since_it_is_how_strapi_reports_a_unique_violation():
    with ScriptedServer([(500, {}, {"error": {"message": "Internal Server Error"}}), OK]) as server:
        with pytest.raises(StrapiError) as caught:
            client(server.url).create("products", {"medusa_id": "prod_1"})
        assert caught.value.is_unique_violation and len(server.requests) == 1


def test_retries_are_bounded_and_end_in_a_clear_error():
    with ScriptedServer([(503, {}, {"error": {"message": "Service Unavailable"}})]) as server:
        with pytest.raises(StrapiError) as caught:
            client(server.url, retries=3).request("GET", "/api/products")
        assert caught.value.status == 503
        assert len(server.requests) == 4  # first try + 3 retries


def test_connection_reset_is_retried():
    with ScriptedServer(["reset", "reset", OK]) as server:
        assert client(server.url).create("products", {"medusa_id": "prod_1"})["documentId"] == "d1"
        assert len(server.requests) == 3


def test_refused_connection_is_a_clear_unavailable_error_without_the_token():
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]  # closed when the block ends: nothing listens there
    with pytest.raises(StrapiUnavailable) as caught:
        client(f"http://127.0.0.1:{port}", retries=2).first_contact()
    assert f"127.0.0.1:{port}" in str(caught.value)
    assert TOKEN not in str(caught.value)


@pytest.mark.parametrize("status", [401, 403])
def test_auth_errors_are_not_retried(status):
    with ScriptedServer([(status, {}, {"error": {"message": "Forbidden"}})]) as server:
        with pytest.raises(StrapiAuthError):
            client(server.url).request("GET", "/api/products")
        assert len(server.requests) == 1


def test_validation_error_carries_strapi_details_and_is_not_retried():
    body = {"data": None, "error": {"status": 400, "name": "ValidationError", "message": "1 error occurred",
                                    "details": {"errors": [{"path": ["title"], "message": "must be at most 255 characters"}]}}}
    with ScriptedServer([(400, {}, body)]) as server:
        with pytest.raises(StrapiError) as caught:
            client(server.url).create("products", {"medusa_id": "p", "title": "x" * 300})
        assert caught.value.status == 400
        assert "title: must be at most 255 characters" in str(caught.value)
        assert len(server.requests) == 1


def test_unique_violation_detection():
    assert StrapiError("POST", "/api/x", 400, "This attribute must be unique").is_unique_violation
    assert StrapiError("POST", "/api/x", 500, "Internal Server Error").is_unique_violation
    assert not StrapiError("POST", "/api/x", 400, "Invalid key foo").is_unique_violation


def test_token_is_sent_as_bearer_and_never_shown():
    with ScriptedServer([OK]) as server:
        c = client(server.url)
        c.request("GET", "/api/products")
        assert server.requests[0]["headers"]["Authorization"] == f"Bearer {TOKEN}"
        assert TOKEN not in repr(c)


def test_find_by_medusa_ids_uses_in_batches_and_pages():
    def reply(method, path):
        query = dict(parse_qsl(urlsplit(path).query))
        ids = [v for k, v in query.items() if k.startswith("filters[medusa_id][$in]")]
        page = int(query["pagination[page]"])
        page_ids = ids[(page - 1) * 100: page * 100]
        return (200, {}, {"data": [{"documentId": f"doc-{i}", "medusa_id": i} for i in page_ids],
                          "meta": {"pagination": {"page": page, "pageCount": 1}}})

    ids = [f"prod_{n:04d}" for n in range(250)]
    with ScriptedServer(reply) as server:
        found = client(server.url).find_by_medusa_ids("products", ids)
    assert found.keys() == set(ids)
    assert len(server.requests) == 3  # 100 + 100 + 50 ids, one GET each
    assert all(len(r["path"]) < 16_000 for r in server.requests)


def test_iter_entries_follows_page_count():
    def reply(method, path):
        page = int(dict(parse_qsl(urlsplit(path).query))["pagination[page]"])
        return (200, {}, {"data": [{"medusa_id": f"m{page}"}], "meta": {"pagination": {"page": page, "pageCount": 3}}})

    with ScriptedServer(reply) as server:
        entries = list(client(server.url).iter_entries("products"))
    assert [e["medusa_id"] for e in entries] == ["m1", "m2", "m3"]


def test_first_contact_has_a_small_budget_and_other_requests_keep_theirs():
    down = (503, {}, {"error": {"message": "down"}})
    with ScriptedServer([down] * 10) as server:
        with pytest.raises(StrapiError):
            client(server.url, retries=3).first_contact()
        assert len(server.requests) == 3  # first try + FIRST_CONTACT_RETRIES
    with ScriptedServer([down] * 10) as server:
        with pytest.raises(StrapiError):
            client(server.url, retries=3).request("GET", "/api/products")
        assert len(server.requests) == 4


def test_idempotent_routes_retry_a_bare_500_on_post_and_are_mounted_once():
    bare = (500, {}, {"error": {"message": "boom"}})
    with ScriptedServer([bare, OK, bare]) as server:
        strapi = client(server.url)
        strapi.idempotent_route("/api/bulk-upsert/")
        adapter = strapi.session.get_adapter(f"{server.url}/api/bulk-upsert/products")
        strapi.idempotent_route("/api/bulk-upsert/")
        assert strapi.session.get_adapter(f"{server.url}/api/bulk-upsert/products") is adapter
        strapi.request("POST", "/api/bulk-upsert/products", json={"entries": []})
        assert len(server.requests) == 2  # the 500 was retried
        with pytest.raises(StrapiError):
            strapi.request("POST", "/api/products", json={"data": {}})  # a REST create's 500 is not
        assert len(server.requests) == 3


def test_upsert_by_tries_a_create_answered_by_bare_500s_again_and_finds_one_that_went_through(monkeypatch):
    monkeypatch.setattr("pipelines.strapi.client.CREATE_PAUSE", 0.01)
    none = (200, {}, {"data": [], "meta": {"pagination": {"pageCount": 1}}})
    found = (200, {}, {"data": [{"documentId": "d1", "key": "k"}], "meta": {"pagination": {"pageCount": 1}}})
    bare = (500, {}, {"error": {"message": "Internal Server Error"}})
    # find: none, create: 500 (nothing made), find: none, create: 500 (made, answer lost), find: found, update
    with ScriptedServer([none, bare, none, bare, found, (200, {}, {"data": {"documentId": "d1"}})]) as server:
        StrapiClient(server.url, "t").upsert_by("sync-states", "key", "k", {"v": 1})
    assert [r["method"] for r in server.requests] == ["GET", "POST", "GET", "POST", "GET", "PUT"]
    assert server.requests[-1]["path"] == "/api/sync-states/d1"


def test_upsert_by_gives_up_after_its_attempts(monkeypatch):
    monkeypatch.setattr("pipelines.strapi.client.CREATE_PAUSE", 0.01)
    none = (200, {}, {"data": [], "meta": {"pagination": {"pageCount": 1}}})
    with ScriptedServer(lambda method, _path: none if method == "GET" else (500, {}, {"error": {"message": "boom"}})) as server:
        with pytest.raises(StrapiError, match="could neither be created nor found"):
            StrapiClient(server.url, "t").upsert_by("sync-states", "key", "k", {"v": 1})
    assert [r["method"] for r in server.requests].count("POST") == 3


def test_create_by_turns_a_lost_race_into_an_update_of_the_entry_found():
    unique = (400, {}, {"error": {"message": "This attribute must be unique"}})
    found = (200, {}, {"data": [{"documentId": "d1", "medusa_id": "m1"}], "meta": {"pagination": {"pageCount": 1}}})
    with ScriptedServer([unique, found, (200, {}, {"data": {"documentId": "d1"}})]) as server:
        outcome = StrapiClient(server.url, "t").create_by("products", "medusa_id", "m1", {"title": "T"})
    assert outcome == "updated"
    assert [r["method"] for r in server.requests] == ["POST", "GET", "PUT"]
    assert server.requests[-1]["path"] == "/api/products/d1"


def test_create_by_raises_a_unique_refusal_whose_entry_is_not_found():
    unique = (400, {}, {"error": {"message": "This attribute must be unique"}})
    none = (200, {}, {"data": [], "meta": {"pagination": {"pageCount": 1}}})
    with ScriptedServer([unique, none]) as server:
        with pytest.raises(StrapiError, match="must be unique"):
            StrapiClient(server.url, "t").create_by("products", "medusa_id", "m1", {"title": "T"})
    assert [r["method"] for r in server.requests] == ["POST", "GET"]


def test_a_batch_gets_a_read_timeout_sized_to_it_within_bounds():
    from pipelines.http_retry import TIMEOUT
    from pipelines.strapi.client import batch_read_timeout

    assert batch_read_timeout(0) == TIMEOUT[1]
    assert batch_read_timeout(1000) == TIMEOUT[1] + 10
    assert batch_read_timeout(2000) > batch_read_timeout(1000)
    assert batch_read_timeout(100_000) == 30.0  # a hanging Strapi is still reported


def test_a_request_sent_and_never_answered_is_told_from_one_never_sent():
    import requests
    from urllib3.exceptions import MaxRetryError, NewConnectionError, ReadTimeoutError

    from pipelines.strapi.client import _unanswered

    assert _unanswered(requests.ReadTimeout("read timed out"))
    assert _unanswered(requests.ConnectionError(MaxRetryError(None, "/x", ReadTimeoutError(None, "/x", "timed out"))))
    assert not _unanswered(requests.ConnectionError(MaxRetryError(None, "/x", NewConnectionError(None, "refused"))))
    assert not _unanswered(requests.ConnectionError("reset"))
