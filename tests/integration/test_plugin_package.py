"""The bulk-upsert plugin as an npm package, installed the way its README says into a fresh Strapi 5 app that is
not this repository's: `npm pack`, `npm install <tarball>`, `'bulk-upsert': { enabled: true }` in the app's
`config/plugins.js`. The app (Strapi 5.54.0 with the pinned dependencies of `strapi/`, one content type made as the
Content-Type Builder makes one) runs on a database and a port of its own; a full-access API token writes a batch
through the plugin, and Strapi's REST API reads it back. The admin panel is not built: the plugin has no admin
part, and the test only speaks to the content API."""

from __future__ import annotations

import json
import secrets
import shutil
import subprocess
from pathlib import Path

import pytest
import requests

from ..support.strapi_boot import BundledStrapi

REPO = Path(__file__).resolve().parents[2]
PLUGIN = REPO / "strapi-plugin-bulk-upsert"
PINNED_APP = REPO / "strapi"  # its package.json and lock: Strapi 5.54.0 and what a new app of that release holds

CONFIG = {
    "server.js": "module.exports = ({ env }) => ({\n  host: env('HOST', '127.0.0.1'),\n  port: env.int('PORT', 1337),\n"
                 "  app: { keys: env.array('APP_KEYS') },\n});\n",
    "database.js": "module.exports = ({ env }) => ({\n  connection: {\n    client: 'postgres',\n    connection: {\n"
                   "      host: env('DATABASE_HOST'), port: env.int('DATABASE_PORT'), database: env('DATABASE_NAME'),\n"
                   "      user: env('DATABASE_USERNAME'), password: env('DATABASE_PASSWORD', ''),\n    },\n  },\n});\n",
    "admin.js": "module.exports = ({ env }) => ({\n  auth: { secret: env('ADMIN_JWT_SECRET') },\n"
                "  apiToken: { salt: env('API_TOKEN_SALT') },\n  transfer: { token: { salt: env('TRANSFER_TOKEN_SALT') } },\n"
                "  secrets: { encryptionKey: env('ENCRYPTION_KEY') },\n});\n",
    "middlewares.js": "module.exports = ['strapi::logger', 'strapi::errors', 'strapi::security', 'strapi::cors', "
                      "'strapi::poweredBy', 'strapi::query', 'strapi::body', 'strapi::session', 'strapi::favicon', "
                      "'strapi::public'];\n",
    # The README's step: the plugin enabled by its name, found in node_modules (no `resolve`).
    "plugins.js": "module.exports = () => ({\n  'bulk-upsert': { enabled: true },\n});\n",
}
TAG_SCHEMA = {
    "kind": "collectionType", "collectionName": "tags",
    "info": {"singularName": "tag", "pluralName": "tags", "displayName": "Tag"},
    "options": {"draftAndPublish": False},
    "attributes": {"medusa_id": {"type": "string", "unique": True}, "value": {"type": "string"}},
}
CORE = {"controllers": "createCoreController", "routes": "createCoreRouter", "services": "createCoreService"}


def _run(command: list[str], cwd: Path, timeout: int = 600) -> str:
    done = subprocess.run(command, cwd=cwd, capture_output=True, text=True, timeout=timeout)
    assert done.returncode == 0, f"{' '.join(command)}: {done.stdout}\n{done.stderr}"
    return done.stdout


def _fresh_app(root: Path) -> Path:
    """A Strapi 5 app as a new project holds it, with one content type: config/, src/api/tag/, no plugin yet."""
    app = root / "shop-cms"
    (app / "config").mkdir(parents=True)
    for name in ("package.json", "package-lock.json"):
        shutil.copy(PINNED_APP / name, app / name)
    for name, text in CONFIG.items():
        (app / "config" / name).write_text(text)
    (app / "public" / "uploads").mkdir(parents=True)  # the media library's folder, which a new project has
    (app / "src").mkdir()
    (app / "src" / "index.js").write_text("module.exports = { register() {}, bootstrap() {} };\n")
    api = app / "src" / "api" / "tag"
    (api / "content-types" / "tag").mkdir(parents=True)
    (api / "content-types" / "tag" / "schema.json").write_text(json.dumps(TAG_SCHEMA, indent=2))
    for folder, factory in CORE.items():
        (api / folder).mkdir()
        (api / folder / "tag.js").write_text(f"const {{ factories }} = require('@strapi/strapi');\n\n"
                                             f"module.exports = factories.{factory}('api::tag.tag');\n")
    return app


@pytest.fixture(scope="module")
def packed(tmp_path_factory) -> Path:
    """`npm pack` of the plugin: the tarball a Strapi app installs."""
    out = tmp_path_factory.mktemp("pack")
    listed = json.loads(_run(["npm", "pack", "--json", "--pack-destination", str(out)], cwd=PLUGIN))
    return out / listed[0]["filename"]


def test_the_package_holds_the_server_code_and_nothing_of_the_tests(packed):
    listed = _run(["tar", "-tzf", str(packed)], cwd=packed.parent).split()
    assert "package/strapi-server.js" in listed and "package/server/writer.js" in listed and "package/README.md" in listed
    assert not [name for name in listed if name.startswith("package/test/")]


@pytest.fixture(scope="module")
def running_app(packed, tmp_path_factory):
    """The fresh app with the packed plugin installed, started on a database and a port of its own."""
    app = _fresh_app(tmp_path_factory.mktemp("fresh"))
    _run(["npm", "ci", "--prefer-offline", "--no-audit", "--no-fund"], cwd=app, timeout=900)
    _run(["npm", "install", "--prefer-offline", "--no-audit", "--no-fund", str(packed)], cwd=app, timeout=900)
    assert "strapi-plugin-bulk-upsert" in json.loads((app / "package.json").read_text())["dependencies"]
    strapi = BundledStrapi(app=app)
    try:
        assert strapi.boot({}, timeout=180), strapi.log.decode(errors="replace")[-4000:]
        yield strapi.url
    finally:
        strapi.close()


def _full_access_token(base: str) -> str:
    """The app's first admin (this test's own app, on 127.0.0.1), then a full-access API token, as an admin makes one."""
    admin = requests.post(f"{base}/admin/register-admin", timeout=30, json={
        "email": "admin@fresh.local", "password": "Fresh-" + secrets.token_hex(8) + "A1", "firstname": "Fresh", "lastname": "Admin"})
    assert admin.status_code == 200, admin.text
    jwt = admin.json()["data"]["token"]
    token = requests.post(f"{base}/admin/api-tokens", timeout=30, headers={"Authorization": f"Bearer {jwt}"},
                          json={"name": "medusa-sync", "type": "full-access", "lifespan": None})
    assert token.status_code in (200, 201), token.text
    return token.json()["data"]["accessKey"]


def test_the_packed_plugin_in_a_fresh_app_writes_a_batch_that_rest_reads_back(running_app):
    base = running_app
    headers = {"Authorization": f"Bearer {_full_access_token(base)}"}
    capability = requests.get(f"{base}/api/bulk-upsert/tags", params={"key": "medusa_id"}, headers=headers, timeout=30)
    assert capability.status_code == 200 and capability.json()["writable"] is True, capability.text
    entries = [{"medusa_id": f"ptag_{n:03d}", "value": f"tag {n}"} for n in range(250)]
    written = requests.post(f"{base}/api/bulk-upsert/tags", json={"entries": entries}, headers=headers, timeout=60)
    assert written.status_code == 200, written.text
    assert [r["status"] for r in written.json()["results"]] == ["created"] * 250
    again = requests.post(f"{base}/api/bulk-upsert/tags", json={"entries": entries[:10]}, headers=headers, timeout=60)
    assert [r["status"] for r in again.json()["results"]] == ["updated"] * 10
    read = requests.get(f"{base}/api/tags", params={"filters[medusa_id][$eq]": "ptag_042"}, headers=headers, timeout=30).json()
    assert [entry["value"] for entry in read["data"]] == ["tag 42"]
    assert requests.get(f"{base}/api/tags", headers=headers, timeout=30).json()["meta"]["pagination"]["total"] == 250
    anonymous = requests.post(f"{base}/api/bulk-upsert/tags", json={"entries": entries[:1]}, timeout=30)
    assert anonymous.status_code in (401, 403)
