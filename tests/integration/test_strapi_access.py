"""Who may do what on the bundled Strapi and through the bulk-upsert plugin, tried with real credentials of
every kind Strapi hands out: none, a read-only API token, a custom find-only token, an end user's JWT, the
sync's Users & Permissions service account and the sync's full-access token.

The plugin must answer each of them as Strapi's own REST API does: no creator fields, private attributes or
relations the caller may not `find`, names checked as the schema's own, writes held to the same input rules.
The bundled app must leave no door open: its first admin exists before the server listens, no origin gets a
CORS grant, end users cannot register themselves."""

from __future__ import annotations

import os
import uuid

import pytest
import requests
import sqlalchemy as sa

from pipelines.medusa.source import engine_url
from pipelines.entry_versions import EntryVersions
from pipelines.strapi.bulk import BulkClient
from tests.support.image_server import png
from tests.support.strapi_credentials import StrapiCredentials

EVIL = "https://evil.example"
PREFIX = "access"


def bearer(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


@pytest.fixture(scope="module")
def credentials(stack):
    email, password = os.environ.get("STRAPI_ADMIN_EMAIL"), os.environ.get("STRAPI_ADMIN_PASSWORD")
    if not email or not password:
        message = "no Strapi admin for the test stack: run the tests with scripts/test"
        if os.environ.get("REQUIRE_STACK") == "1":
            pytest.fail(message)
        pytest.skip(message)
    made = StrapiCredentials(stack["STRAPI_URL"], email, password, stack["STRAPI_API_TOKEN"])
    yield made
    made.close()


@pytest.fixture(scope="module")
def callers(stack, credentials) -> dict[str, dict[str, str]]:
    """Request headers of each kind of caller."""
    login = requests.post(f"{stack['STRAPI_URL']}/api/auth/local", timeout=30, json={
        "identifier": os.environ["LOGIN_STRAPI_IDENTIFIER"], "password": os.environ["LOGIN_STRAPI_PASSWORD"]})
    assert login.status_code == 200, login.text
    return {
        "none": {},
        "read-only token": bearer(credentials.api_token("read-only")),
        "currency-find token": bearer(credentials.api_token(
            "custom", ["api::currency.currency.find", "plugin::bulk-upsert.bulk.find", "plugin::bulk-upsert.bulk.keys"])),
        "end user": bearer(credentials.end_user_jwt()),
        "service account": bearer(login.json()["jwt"]),
        "sync token": bearer(stack["STRAPI_API_TOKEN"]),
    }


READERS = ("read-only token", "currency-find token", "service account", "sync token")  # may find currencies


@pytest.fixture
def currency(strapi, stack):
    """A currency with a money amount, last updated by the Strapi admin (as an editor's save leaves it)."""
    bulk = BulkClient(strapi)
    code = f"{PREFIX}_{uuid.uuid4().hex[:8]}"
    (made,), _ = bulk.write("currencies", [{"medusa_id": code, "code": code, "name": "Access"}], [])
    (amount,), _ = bulk.write("money-amounts", [{"medusa_id": code, "amount": 5, "currency": made.document_id}], [])
    engine = sa.create_engine(engine_url(stack["STRAPI_DATABASE_URL"]))
    with engine.begin() as conn:
        conn.execute(sa.text("update currencies set updated_by_id = (select min(id) from admin_users) where document_id = :doc"),
                     {"doc": made.document_id})
    engine.dispose()
    yield code
    bulk.write("money-amounts", [], [amount.document_id])
    bulk.write("currencies", [], [made.document_id])


def find(stack, headers, body, plural="currencies") -> requests.Response:
    return requests.post(f"{stack['STRAPI_URL']}/api/bulk-upsert/{plural}/find", json=body, headers=headers, timeout=30)


def test_find_never_populates_creator_fields_for_any_caller(stack, callers, currency):
    leak = {"values": [currency], "populate": {"updatedBy": ["email", "password", "resetPasswordToken"]}}
    admin_email = os.environ["STRAPI_ADMIN_EMAIL"]
    for caller, headers in callers.items():
        answer = find(stack, headers, leak)
        expected = 400 if caller in READERS else 403
        assert answer.status_code == expected, (caller, answer.status_code, answer.text)
        assert admin_email not in answer.text and "$2" not in answer.text, caller
        rest = requests.get(f"{stack['STRAPI_URL']}/api/currencies", headers=headers, timeout=30,
                            params={"populate[updatedBy][fields][0]": "email"})
        assert rest.status_code == answer.status_code, (caller, rest.status_code)
    plain = find(stack, callers["sync token"], {"values": [currency], "fields": ["name"]}).json()["data"]
    assert plain and all("updatedBy" not in entry and "createdBy" not in entry for entry in plain)


def test_find_leaves_out_relations_the_caller_may_not_find(stack, callers, currency):
    body = {"values": [currency], "fields": ["name"], "populate": {"money_amounts": ["amount"]}}
    for caller in READERS:
        answer = find(stack, callers[caller], body)
        assert answer.status_code == 200, (caller, answer.text)
        (entry,) = answer.json()["data"]
        rest = requests.get(f"{stack['STRAPI_URL']}/api/currencies", headers=callers[caller], timeout=30,
                            params={"filters[medusa_id][$eq]": currency, "populate[money_amounts][fields][0]": "amount"})
        (rest_entry,) = rest.json()["data"]
        assert ("money_amounts" in entry) == ("money_amounts" in rest_entry), caller
        if caller == "currency-find token":
            assert "money_amounts" not in entry
            assert requests.get(f"{stack['STRAPI_URL']}/api/money-amounts", headers=callers[caller], timeout=30).status_code == 403
        else:
            assert [float(m["amount"]) for m in entry["money_amounts"]] == [5.0], caller


def test_names_that_are_not_own_attributes_are_a_400_with_its_reason(stack, callers):
    sync = callers["sync token"]
    for body in ({"key": "constructor", "values": ["x"]}, {"values": ["x"], "fields": ["__proto__"]},
                 {"values": ["x"], "fields": ["toString"]}, {"values": ["x"], "populate": {"constructor": []}},
                 {"values": ["x"], "populate": {"money_amounts": ["hasOwnProperty"]}}):
        answer = find(stack, sync, body)
        assert answer.status_code == 400 and ("Invalid key" in answer.text or "not a relation" in answer.text), (body, answer.text)
    for key in ("constructor", "__proto__", "updatedBy"):
        answer = requests.post(f"{stack['STRAPI_URL']}/api/bulk-upsert/currencies/keys", json={"key": key}, headers=sync, timeout=30)
        assert answer.status_code == 400, (key, answer.text)
    capability = requests.get(f"{stack['STRAPI_URL']}/api/bulk-upsert/currencies", params={"key": "constructor"},
                              headers=sync, timeout=30)
    assert capability.status_code == 200 and capability.json()["writable"] is False


def test_writes_are_held_to_the_callers_rest_rules(stack, credentials, callers, currency):
    for caller in ("none", "read-only token", "currency-find token", "end user"):
        answer = requests.post(f"{stack['STRAPI_URL']}/api/bulk-upsert/currencies", headers=callers[caller], timeout=30,
                               json={"entries": [{"medusa_id": f"{PREFIX}_w_{uuid.uuid4().hex[:6]}", "name": "x"}]})
        assert answer.status_code == 403, (caller, answer.text)
    # Allowed to write money amounts, not to find currencies: linking one is refused, as REST refuses it.
    writer = bearer(credentials.api_token("custom", [
        "plugin::bulk-upsert.bulk.upsert", "api::money-amount.money-amount.create", "api::money-amount.money-amount.update"]))
    document = find(stack, callers["sync token"], {"values": [currency]}).json()["data"][0]["documentId"]
    entry = {"medusa_id": f"{PREFIX}_w_{uuid.uuid4().hex[:6]}", "amount": 1, "currency": document}
    answer = requests.post(f"{stack['STRAPI_URL']}/api/bulk-upsert/money-amounts", json={"entries": [entry]}, headers=writer, timeout=30)
    rest = requests.post(f"{stack['STRAPI_URL']}/api/money-amounts", json={"data": entry}, headers=writer, timeout=30)
    assert answer.status_code == rest.status_code == 400, (answer.text, rest.text)
    assert "currency" in answer.text


def test_the_first_admin_is_taken_before_anyone_can_register(stack):
    init = requests.get(f"{stack['STRAPI_URL']}/admin/init", timeout=30).json()["data"]
    assert init["hasAdmin"] is True
    answer = requests.post(f"{stack['STRAPI_URL']}/admin/register-admin", headers={"Origin": EVIL}, timeout=30,
                           json={"email": "intruder@evil.example", "password": "Intruder-123", "firstname": "I"})
    assert answer.status_code in (400, 403) and "token" not in answer.text, answer.text
    assert "Access-Control-Allow-Origin" not in answer.headers


def test_no_origin_gets_a_cors_grant(stack):
    for method, path in (("GET", "/api/currencies"), ("OPTIONS", "/admin/login"), ("OPTIONS", "/api/bulk-upsert/currencies/find")):
        answer = requests.request(method, f"{stack['STRAPI_URL']}{path}", timeout=30, headers={
            "Origin": EVIL, "Access-Control-Request-Method": "POST", "Access-Control-Request-Headers": "authorization"})
        assert "Access-Control-Allow-Origin" not in answer.headers, (path, dict(answer.headers))
        assert "Access-Control-Allow-Credentials" not in answer.headers, path


def test_end_users_cannot_register_themselves(stack, strapi_sql):
    name = f"selfreg-{uuid.uuid4().hex[:8]}"
    answer = requests.post(f"{stack['STRAPI_URL']}/api/auth/local/register", timeout=30,
                           json={"username": name, "email": f"{name}@shop.test", "password": "Pw-123456789"})
    assert answer.status_code in (400, 403) and "jwt" not in answer.text, answer.text
    assert strapi_sql("select count(*) from up_users where username = :name", name=name) == [(0,)]


def upload(stack, headers, name: str, content: bytes, mime: str, file_id: int | None = None) -> requests.Response:
    return requests.post(f"{stack['STRAPI_URL']}/api/upload", headers=headers, timeout=60, files={"files": (name, content, mime)},
                         params={"id": file_id} if file_id else None)


def test_the_service_account_uploads_raster_images_only_and_touches_only_its_own_files(stack, credentials, callers):
    account = callers["service account"]
    for name, content, mime in (("page.html", b"<html><script>alert(1)</script></html>", "text/html"),
                                ("logo.svg", b'<svg xmlns="http://www.w3.org/2000/svg"><script>alert(1)</script></svg>', "image/svg+xml")):
        answer = upload(stack, account, name, content, mime)
        assert answer.status_code == 400, (name, answer.status_code, answer.text)
    editors = credentials.admin_upload(png(8, 8), "editor.png", "image/png")
    own = upload(stack, account, "sync.png", png(8, 8, (1, 2, 3)), "image/png")
    assert own.status_code == 201, own.text
    own_id = own.json()[0]["id"]
    try:
        assert upload(stack, account, "evil.png", png(4, 4), "image/png", file_id=editors).status_code == 403
        described = requests.post(f"{stack['STRAPI_URL']}/api/upload", headers=account, params={"id": editors}, timeout=30,
                                  data={"fileInfo": '{"name": "renamed", "alternativeText": "defaced"}'})
        assert described.status_code == 403, described.text
        deleted = requests.delete(f"{stack['STRAPI_URL']}/api/upload/files/{editors}", headers=account, timeout=30)
        assert deleted.status_code == 403, deleted.text
        assert upload(stack, account, "sync2.png", png(6, 6), "image/png", file_id=own_id).status_code == 200
        assert requests.delete(f"{stack['STRAPI_URL']}/api/upload/files/{own_id}", headers=account, timeout=30).status_code == 200
    finally:
        for file_id in (own_id, editors):
            requests.delete(f"{stack['STRAPI_URL']}/api/upload/files/{file_id}", headers=bearer(stack["STRAPI_API_TOKEN"]), timeout=30)


def test_only_the_sync_sets_or_changes_medusa_id(stack, credentials, callers, currency):
    url = stack["STRAPI_URL"]
    document = find(stack, callers["sync token"], {"values": [currency]}).json()["data"][0]["documentId"]
    other = f"{currency}_moved"
    editor = {"Authorization": f"Bearer {credentials.admin_jwt}"}
    manager = f"{url}/content-manager/collection-types/api::currency.currency/{document}"
    writer = bearer(credentials.api_token("custom", ["api::currency.currency.update", "api::currency.currency.create",
                                                     "api::currency.currency.find"]))
    moved = requests.put(manager, json={"medusa_id": other, "name": "Moved"}, headers=editor, timeout=30)
    assert moved.status_code == 400 and "medusa_id" in moved.text, moved.text
    kept = requests.put(manager, json={"medusa_id": currency, "name": "Edited in the panel"}, headers=editor, timeout=30)
    assert kept.status_code == 200, kept.text
    assert requests.put(f"{url}/api/currencies/{document}", json={"data": {"medusa_id": other}}, headers=writer,
                        timeout=30).status_code == 400
    created = requests.post(f"{url}/api/currencies", json={"data": {"medusa_id": f"{currency}_new", "name": "x"}},
                            headers=writer, timeout=30)
    assert created.status_code == 400, created.text
    assert requests.put(f"{url}/api/currencies/{document}", json={"data": {"name": "By a token"}}, headers=writer,
                        timeout=30).status_code == 200
    layout = requests.get(f"{url}/content-manager/content-types/api::currency.currency/configuration", headers=editor, timeout=30)
    assert layout.json()["data"]["contentType"]["metadatas"]["medusa_id"]["edit"]["editable"] is False  # read-only in the panel
    for sync in ("service account", "sync token"):
        for value in (other, currency):
            answer = requests.put(f"{url}/api/currencies/{document}", json={"data": {"medusa_id": value}},
                                  headers=callers[sync], timeout=30)
            assert answer.status_code == 200, (sync, answer.text)


def test_unpublishing_needs_the_types_delete_permission(stack, strapi, credentials, callers, strapi_sql):
    key = f"{PREFIX}_u_{uuid.uuid4().hex[:6]}"
    (made,), _ = BulkClient(strapi).write("fixture-drafts", [{"medusa_id": key, "title": "t"}], [], EntryVersions(draft_and_publish=True))
    url = f"{stack['STRAPI_URL']}/api/bulk-upsert/fixture-drafts"
    body = {"entries": [], "deletes": [made.document_id], "publish": "on_sync", "onDelete": "unpublish"}
    without_delete = bearer(credentials.api_token("custom", [
        "plugin::bulk-upsert.bulk.upsert", "api::fixture-draft.fixture-draft.update", "api::fixture-draft.fixture-draft.find"]))
    for caller, headers in [*((c, callers[c]) for c in ("none", "read-only token", "currency-find token", "end user")),
                            ("upsert and update, no delete", without_delete)]:
        answer = requests.post(url, json=body, headers=headers, timeout=30)
        assert answer.status_code in (401, 403), (caller, answer.status_code, answer.text)
    assert strapi_sql("select count(*) from fixture_drafts where medusa_id = :k and published_at is not null", k=key)[0][0] == 1
    answer = requests.post(url, json=body, headers=callers["service account"], timeout=30)
    assert answer.status_code == 200, answer.text
    assert strapi_sql("select published_at is null from fixture_drafts where medusa_id = :k", k=key) == [(True,)]  # the draft stays
    BulkClient(strapi).write("fixture-drafts", [], [made.document_id])
