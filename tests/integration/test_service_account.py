"""The sync as a Users & Permissions service account, and `medusa-strapi health`, against the real stack.

`scripts/stack up` starts Strapi with STRAPI_IDENTIFIER / STRAPI_PASSWORD, and its bootstrap keeps a user
in a role ("Medusa sync") with exactly the sync's permissions; scripts/test passes the account as LOGIN_*.
"""

from __future__ import annotations

import os
import uuid
from contextlib import contextmanager

import pytest
import requests
import sqlalchemy as sa

from pipelines.medusa.source import engine_url
from pipelines.settings import WritePaths
from pipelines.strapi.auth import ServiceAccount
from pipelines.strapi.client import StrapiAuthError, StrapiClient
from pipelines.strapi.permissions import check_access
from pipelines.sync.run import sync_all

from .helpers import assert_in_sync
from .test_cli import run_cli

REST, BULK = WritePaths("rest", "rest"), WritePaths("bulk", "bulk")


@pytest.fixture(scope="session")
def account(stack) -> ServiceAccount:
    identifier, password = os.environ.get("LOGIN_STRAPI_IDENTIFIER"), os.environ.get("LOGIN_STRAPI_PASSWORD")
    if not identifier or not password:
        message = "no service account for the test stack: run the tests with scripts/test"
        if os.environ.get("REQUIRE_STACK") == "1":
            pytest.fail(message)
        pytest.skip(message)
    return ServiceAccount(identifier, password)


def login_env(stack, account, **more) -> dict[str, str]:
    env = {k: v for k, v in stack.items() if k != "STRAPI_API_TOKEN"}
    return {**env, "STRAPI_API_TOKEN": "", "STRAPI_IDENTIFIER": account.identifier, "STRAPI_PASSWORD": account.password, **more}


@contextmanager
def permission_withheld(stack, action: str):
    """The service account's role without `action` for the duration (put back afterwards)."""
    engine = sa.create_engine(engine_url(stack["STRAPI_DATABASE_URL"]))
    rename = """update up_permissions set action = :to where action = :from and id in (
                  select l.permission_id from up_permissions_role_lnk l join up_roles r on r.id = l.role_id
                  where r.type = 'medusa-sync')"""
    try:
        with engine.begin() as conn:
            assert conn.execute(sa.text(rename), {"from": action, "to": f"{action}.withheld"}).rowcount == 1
        yield
    finally:
        with engine.begin() as conn:
            conn.execute(sa.text(rename), {"from": f"{action}.withheld", "to": action})
        engine.dispose()


def test_role_holds_exactly_the_sync_permissions(stack, mappings, strapi_sql):
    actions = {row[0] for row in strapi_sql(
        "select p.action from up_permissions p join up_permissions_role_lnk l on l.permission_id = p.id "
        "join up_roles r on r.id = l.role_id where r.type = 'medusa-sync'")}
    for spec in mappings:
        uid = f"api::{spec.content_type}.{spec.content_type}"
        assert {f"{uid}.{a}" for a in ("find", "create", "update", "delete")} <= actions
        assert f"{uid}.findOne" not in actions
    assert "plugin::bulk-upsert.bulk.upsert" in actions
    uploads = {a for a in actions if a.startswith("plugin::upload.")}
    assert uploads == {f"plugin::upload.content-api.{a}" for a in ("upload", "find", "destroy")}  # files of `media` attributes
    assert not any(a.startswith("plugin::users-permissions.") for a in actions)


def test_full_sync_and_reconcile_as_the_service_account(stack, account, mappings, source, clean_strapi):
    client = StrapiClient(stack["STRAPI_URL"], account)
    try:
        first = sync_all(mappings, source, client, write_paths=REST)
        assert all(r.ok for r in first) and sum(r.created for r in first) > 0, [f for r in first for f in r.failures]
        again = sync_all(mappings, source, client, delete_missing=True, write_paths=BULK)  # through the plugin
        assert all(r.ok for r in again) and sum(r.writes for r in again) == 0
        assert {r.write_path for r in again} == {"bulk"}
        assert client.login.logins == 1  # one JWT served every request of both runs
    finally:
        client.close()
    assert_in_sync(source, clean_strapi, mappings)


def test_an_expired_jwt_is_renewed_once(stack, account):
    client = StrapiClient(stack["STRAPI_URL"], account)
    try:
        check_access(client, "products")
        client.login._jwt = "eyJhbGciOiJIUzI1NiJ9.eyJpZCI6MX0.c2lnbmF0dXJlLW5vLWxvbmdlci12YWxpZA"  # refused by Strapi: 401
        check_access(client, "products")
        assert client.login.logins == 2
    finally:
        client.close()


def test_wrong_password_is_a_clear_error(stack, account, medusa_url):
    wrong = "not-the-password-" + "x" * 12
    result = run_cli("sync", "--only", "currency", env=login_env(stack, ServiceAccount(account.identifier, wrong),
                                                                MEDUSA_DATABASE_URL=medusa_url))
    assert result.returncode == 1
    assert f"Strapi refused the login of STRAPI_IDENTIFIER {account.identifier!r}" in result.stderr
    assert "Invalid identifier or password" in result.stderr and wrong not in result.stdout + result.stderr


def test_a_missing_permission_names_the_type_and_the_action(stack, account, medusa_url):
    env = login_env(stack, account, MEDUSA_DATABASE_URL=medusa_url)
    with permission_withheld(stack, "api::product.product.delete"):
        sync = run_cli("sync", "--only", "product", env=env)
        health = run_cli("health", env=env)
    assert sync.returncode == 1
    assert f"the service account {account.identifier!r} lacks the permission(s) delete on products" in sync.stderr
    assert health.returncode == 1
    assert f"FAIL strapi product: the service account {account.identifier!r} lacks delete on /api/products" in health.stdout
    assert "ok   strapi currency:" in health.stdout and account.password not in health.stdout + sync.stderr
    with pytest.raises(StrapiAuthError):
        check_access(StrapiClient(stack["STRAPI_URL"], ServiceAccount(account.identifier, "wrong-" + "y" * 10)), "products")


def test_health_lists_every_check_and_passes(stack, account, mappings, medusa_url):
    for env in ({**stack, "MEDUSA_DATABASE_URL": medusa_url}, login_env(stack, account, MEDUSA_DATABASE_URL=medusa_url)):
        result = run_cli("health", env=env)
        assert result.returncode == 0, result.stdout
        lines = result.stdout.splitlines()
        assert len([line for line in lines if line.startswith("ok   strapi ")]) == len(mappings) + 2  # credentials, plugin
        admin = 1 if any(spec.write_back for spec in mappings) else 0  # the Admin API, where a mapping writes back
        assert len([line for line in lines if line.startswith("ok   medusa ")]) == len(mappings) + 1 + admin
        assert lines[-1] == "healthy"


def test_health_fails_line_by_line(stack, medusa_url):
    down = run_cli("health", env={**stack, "MEDUSA_DATABASE_URL": medusa_url, "STRAPI_URL": "http://127.0.0.1:9"})
    assert down.returncode == 1 and "FAIL strapi: " in down.stdout and "ok   medusa database" in down.stdout
    gone = run_cli("health", env={**stack, "MEDUSA_DATABASE_URL": sa.make_url(medusa_url).set(database="no_such_db").render_as_string(False)})
    assert gone.returncode == 1 and "FAIL medusa database" in gone.stdout and "ok   strapi product" in gone.stdout
    bad_token = run_cli("health", env={**stack, "MEDUSA_DATABASE_URL": medusa_url, "STRAPI_API_TOKEN": "0" * 64})
    assert bad_token.returncode == 1 and "FAIL strapi credentials" in bad_token.stdout


def test_the_account_is_found_by_its_exact_email_never_by_a_namesake():
    """An end user named `rotated-sync` is neither adopted nor given STRAPI_PASSWORD when the identifier becomes
    rotated-sync@shop.test; an identifier without '@' that names someone else's username stops the boot."""
    from tests.support.strapi_boot import BundledStrapi

    strapi = BundledStrapi()
    token = "tok" + uuid.uuid4().hex
    sync_password, shopper_password = "Sync-" + uuid.uuid4().hex, "Shop-" + uuid.uuid4().hex
    try:
        assert strapi.boot({"STRAPI_API_TOKEN": token}), strapi.log[-3000:]
        full = {"Authorization": f"Bearer {token}"}
        roles = requests.get(f"{strapi.url}/api/users-permissions/roles", headers=full, timeout=30).json()["roles"]
        (authenticated,) = [role["id"] for role in roles if role["type"] == "authenticated"]
        made = requests.post(f"{strapi.url}/api/users", headers=full, timeout=30, json={
            "username": "rotated-sync", "email": "someone@elsewhere.test", "password": shopper_password,
            "confirmed": True, "role": authenticated})
        assert made.status_code == 201, made.text
        strapi.stop()

        assert strapi.boot({"STRAPI_API_TOKEN": token, "STRAPI_IDENTIFIER": "rotated-sync@shop.test",
                            "STRAPI_PASSWORD": sync_password}), strapi.log[-3000:]
        login = lambda identifier, password: requests.post(  # noqa: E731
            f"{strapi.url}/api/auth/local", json={"identifier": identifier, "password": password}, timeout=30)
        shopper = login("someone@elsewhere.test", shopper_password)
        assert shopper.status_code == 200 and shopper.json()["user"]["username"] == "rotated-sync"
        user = requests.get(f"{strapi.url}/api/users/{made.json()['id']}", params={"populate": "role"}, headers=full,
                            timeout=30).json()
        assert user["role"]["type"] == "authenticated"
        assert login("someone@elsewhere.test", sync_password).status_code == 400
        account = login("rotated-sync@shop.test", sync_password)
        assert account.status_code == 200 and account.json()["user"]["email"] == "rotated-sync@shop.test"
        strapi.stop()

        assert not strapi.boot({"STRAPI_API_TOKEN": token, "STRAPI_IDENTIFIER": "rotated-sync", "STRAPI_PASSWORD": sync_password})
        assert b"STRAPI_IDENTIFIER" in strapi.log and b"rotated-sync" in strapi.log and sync_password.encode() not in strapi.log
    finally:
        strapi.close()
