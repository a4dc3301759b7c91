"""R7: the token and the database password never show (CLI output at any verbosity, 401 messages, logs);
TLS is verified by default (a self-signed Strapi is refused unless its CA bundle is given); extraction
works with a Postgres role that can only SELECT."""

from __future__ import annotations

import subprocess
import uuid
from urllib.parse import urlsplit

import sqlalchemy as sa

from pipelines.medusa.source import engine_url
from tests.support.proxy import StrapiProxy

from .conftest import cli

CANARY = "canary-" + uuid.uuid4().hex


def test_secrets_never_show_at_any_verbosity(stack, medusa_url, clean_strapi):
    env = {**stack, "MEDUSA_DATABASE_URL": medusa_url}
    outputs = []
    for args in (("-v", "sync", "--only", "currency"), ("sync", "--only", "currency"), ("-v", "validate"), ("-v", "quarantine")):
        result = cli(*args, env=env)
        assert result.returncode == 0, result.stderr
        outputs.append(result.stdout + result.stderr)
    refused = cli("-v", "sync", "--only", "currency", env={**env, "STRAPI_API_TOKEN": CANARY})  # a 401
    assert refused.returncode == 1 and "401" in refused.stderr
    outputs.append(refused.stdout + refused.stderr)
    for text in outputs:
        assert stack["STRAPI_API_TOKEN"] not in text and CANARY not in text


def test_tls_is_verified_unless_a_ca_bundle_is_given(stack, medusa_url, clean_strapi, tmp_path):
    certificate, key = tmp_path / "strapi.pem", tmp_path / "strapi.key"
    subprocess.run(["openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "1", "-subj", "/CN=127.0.0.1",
                    "-addext", "subjectAltName=IP:127.0.0.1", "-keyout", str(key), "-out", str(certificate)],
                   check=True, capture_output=True)
    with StrapiProxy(stack["STRAPI_URL"], tls=(str(certificate), str(key))) as https:
        env = {**stack, "MEDUSA_DATABASE_URL": medusa_url, "STRAPI_URL": https.url}
        refused = cli("-q", "sync", "--only", "currency", env=env)
        assert refused.returncode == 1 and "is not trusted over TLS" in refused.stderr and "STRAPI_CA_BUNDLE" in refused.stderr
        trusted = cli("-q", "sync", "--only", "currency", env={**env, "STRAPI_CA_BUNDLE": str(certificate)})
        assert trusted.returncode == 0, trusted.stderr


def test_extraction_needs_nothing_but_select(stack, medusa_url, clean_strapi):
    url = engine_url(medusa_url)
    role, password = f"reader_{uuid.uuid4().hex[:8]}", "pw-" + uuid.uuid4().hex
    admin = sa.create_engine(url, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(sa.text(f"create role {role} login password '{password}'"))
        conn.execute(sa.text(f'grant connect on database "{url.database}" to {role}'))
        conn.execute(sa.text(f"grant usage on schema public to {role}"))
        conn.execute(sa.text(f"grant select on all tables in schema public to {role}"))
    try:
        reader = url.set(username=role, password=password).render_as_string(hide_password=False).replace("+psycopg", "")
        result = cli("-v", "sync", env={**stack, "MEDUSA_DATABASE_URL": reader})
        assert result.returncode == 0, result.stderr[-3000:]
        assert "done: 19 content types" in result.stdout and password not in result.stdout + result.stderr
        with sa.create_engine(url.set(username=role, password=password)).connect() as conn:  # it really is read-only
            denied = conn.execute(sa.text("select has_table_privilege('product', 'UPDATE')")).scalar_one()
        assert denied is False
    finally:
        with admin.connect() as conn:
            conn.execute(sa.text(f"revoke all on all tables in schema public from {role}"))
            conn.execute(sa.text(f"revoke usage on schema public from {role}"))
            conn.execute(sa.text(f'revoke connect on database "{url.database}" from {role}'))
            conn.execute(sa.text(f"drop role {role}"))
        admin.dispose()
    assert urlsplit(reader).password == password
