"""Service-account login: settings, one login shared by threads, renewal once on 401, no secret in repr or errors."""

from concurrent.futures import ThreadPoolExecutor

import pytest

from pipelines.settings import Settings, SettingsError, strapi_credentials
from pipelines.strapi import auth
from pipelines.strapi.auth import ServiceAccount
from pipelines.strapi.client import StrapiAuthError, StrapiClient
from pipelines.strapi.permissions import check_access

from .fake_http import ScriptedServer

BASE = {"MEDUSA_DATABASE_URL": "postgresql://u@h/db", "STRAPI_URL": "http://x"}
PASSWORD = "pw-" + "9z" * 10


def test_settings_take_a_service_account_instead_of_the_token():
    settings = Settings.from_env({**BASE, "STRAPI_IDENTIFIER": "sync@shop.test", "STRAPI_PASSWORD": PASSWORD + "\n"})
    assert settings.strapi_credentials == ServiceAccount("sync@shop.test", PASSWORD)
    assert PASSWORD not in repr(settings) and PASSWORD not in repr(settings.strapi_credentials)


@pytest.mark.parametrize("env, message", [
    ({"STRAPI_API_TOKEN": "t" * 20, "STRAPI_IDENTIFIER": "a", "STRAPI_PASSWORD": PASSWORD}, "not both"),
    ({"STRAPI_IDENTIFIER": "sync@shop.test"}, "STRAPI_PASSWORD (STRAPI_IDENTIFIER and STRAPI_PASSWORD go together)"),
    ({"STRAPI_PASSWORD": PASSWORD}, "STRAPI_IDENTIFIER (STRAPI_IDENTIFIER and STRAPI_PASSWORD go together)"),
    ({}, "STRAPI_API_TOKEN (or STRAPI_IDENTIFIER + STRAPI_PASSWORD)"),
])
def test_credentials_are_one_kind_and_complete(env, message):
    with pytest.raises(SettingsError) as error:
        Settings.from_env({**BASE, **env})
    assert message in str(error.value) and PASSWORD not in str(error.value)


def test_no_credentials_is_none_for_the_checks_that_can_do_without():
    assert strapi_credentials({}) is None


def _strapi(jwts: list[str], accepted: set[str]):
    """A Strapi that hands out `jwts` in turn at login and accepts only the JWTs in `accepted`."""

    def reply(method, path):
        if path == "/api/auth/local":
            return 200, {}, {"jwt": jwts.pop(0), "user": {"id": 1}}
        return (200, {}, {"data": []}) if server.last_jwt() in accepted else (401, {}, {"error": {"message": "Unauthorized"}})

    server = ScriptedServer(reply)
    server.last_jwt = lambda: server.requests[-1]["headers"].get("Authorization", "").removeprefix("Bearer ")
    return server


def test_one_login_serves_every_thread_and_request():
    with _strapi(["jwt-one", "jwt-two"], {"jwt-one"}) as server:
        client = StrapiClient(server.url, ServiceAccount("sync", PASSWORD))
        with ThreadPoolExecutor(8) as pool:
            list(pool.map(lambda _: client.request("GET", "/api/products"), range(40)))
        logins = [r for r in server.requests if r["path"] == "/api/auth/local"]
        assert len(logins) == 1 and client.login.logins == 1
        assert all(PASSWORD not in str(r["headers"]) for r in server.requests if r["path"] != "/api/auth/local")


def test_a_401_logs_in_again_once_and_resends():
    with _strapi(["jwt-old", "jwt-new"], {"jwt-new"}) as server:
        client = StrapiClient(server.url, ServiceAccount("sync", PASSWORD))
        assert client.request("GET", "/api/products") == {"data": []}
        assert [r["path"] for r in server.requests] == ["/api/auth/local", "/api/products", "/api/auth/local", "/api/products"]
        assert client.login.logins == 2


def test_a_second_401_is_the_answer_not_a_loop():
    with _strapi(["jwt-a", "jwt-b", "jwt-c"], set()) as server:
        client = StrapiClient(server.url, ServiceAccount("sync", PASSWORD))
        with pytest.raises(StrapiAuthError) as error:
            client.request("GET", "/api/products")
        assert error.value.status == 401 and client.login.logins == 2
        assert len([r for r in server.requests if r["path"] == "/api/products"]) == 2


def test_a_rate_limited_login_waits_for_strapis_window(monkeypatch):
    """Strapi lets an address log in 5 times in 5 minutes; the sixth run's login waits instead of failing."""
    answers = [(429, {"Retry-After": "1"}, {"error": {"status": 429, "message": "Too many requests, please try again later."}})] * 2

    def reply(method, path):
        if path == "/api/auth/local":
            return answers.pop(0) if answers else (200, {}, {"jwt": "jwt-one", "user": {"id": 1}})
        return 200, {}, {"data": []}

    monkeypatch.setattr(auth, "LOGIN_PAUSE", 0.2)
    with ScriptedServer(reply) as server:
        client = StrapiClient(server.url, ServiceAccount("sync", PASSWORD), retries=0)
        assert client.request("GET", "/api/products") == {"data": []}
        assert [r["path"] for r in server.requests].count("/api/auth/local") == 3

    answers[:] = [(429, {}, {"error": {"status": 429, "message": "Too many requests, please try again later."}})] * 50
    monkeypatch.setattr(auth, "LOGIN_RATE_LIMIT_WAIT", 0.5)
    with ScriptedServer(reply) as server:
        client = StrapiClient(server.url, ServiceAccount("sync", PASSWORD), retries=0)
        with pytest.raises(StrapiAuthError, match="429"):
            client.request("GET", "/api/products")


def test_a_refused_login_says_which_account_and_never_the_password():
    refused = (400, {}, {"error": {"status": 400, "name": "ValidationError", "message": "Invalid identifier or password"}})
    with ScriptedServer([refused]) as server:
        client = StrapiClient(server.url, ServiceAccount("sync@shop.test", PASSWORD))
        with pytest.raises(StrapiAuthError) as error:
            check_access(client, "products")
    text = str(error.value)
    assert "sync@shop.test" in text and "Invalid identifier or password" in text and "STRAPI_PASSWORD" in text
    assert PASSWORD not in text


def test_a_403_names_the_credentials_the_action_and_the_type():
    forbidden = (403, {}, {"error": {"status": 403, "name": "ForbiddenError", "message": "Forbidden"}})
    with ScriptedServer([forbidden]) as server:
        client = StrapiClient(server.url, "t" * 40)
        with pytest.raises(StrapiAuthError) as error:
            client.delete("products", "abc")
    assert "the API token lacks the permission delete on products" in str(error.value)


def test_auth_errors_say_whose_credentials_where_and_whether_strapi_refused_them():
    unauthorized = (401, {}, {"error": {"status": 401, "name": "UnauthorizedError", "message": "Missing or invalid credentials"}})
    forbidden = (403, {}, {"error": {"status": 403, "name": "ForbiddenError", "message": "Forbidden"}})
    broken_login = (500, {}, {"error": {"status": 500, "name": "InternalServerError", "message": "Internal Server Error"}})
    with ScriptedServer([unauthorized, forbidden, broken_login]) as server:
        token = StrapiClient(server.url, "t" * 40)
        with pytest.raises(StrapiAuthError) as wrong:
            token.request("GET", "/api/products")
        with pytest.raises(StrapiAuthError) as lacking:
            token.request("DELETE", "/api/products/abc")
        with pytest.raises(StrapiAuthError) as failed_login:
            StrapiClient(server.url, ServiceAccount("sync@shop.test", PASSWORD)).request("GET", "/api/products")
    assert (wrong.value.credentials, wrong.value.base_url, wrong.value.refused) == (auth.API_TOKEN, server.url, True)
    assert (lacking.value.status, lacking.value.refused) == (403, False)
    assert (failed_login.value.credentials, failed_login.value.path, failed_login.value.refused) == (
        auth.SERVICE_ACCOUNT, auth.LOGIN_PATH, False)  # Strapi failed; it did not refuse the account
