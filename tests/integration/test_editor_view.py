"""In Strapi's admin, on both test stacks (built fresh by CI): the content manager shows what the sync owns as
read-only with its source in Medusa, keeps two-way fields editable, and lists useful columns; the admin's own
choices are stored and shown as made."""

from __future__ import annotations

import os
from functools import lru_cache

import pytest
import requests

STACKS = {"v1": "", "v2": "V2_"}
PRODUCT = "api::product.product"


@lru_cache(maxsize=None)  # one login per stack for the module: Strapi limits admin logins
def admin_session(prefix: str) -> tuple[str, dict[str, str]]:
    url, email, password = (os.environ.get(prefix + name) for name in ("STRAPI_URL", "STRAPI_ADMIN_EMAIL", "STRAPI_ADMIN_PASSWORD"))
    if not (url and email and password):
        pytest.fail("no Strapi admin for the test stack: run the tests with scripts/test") if os.environ.get("REQUIRE_STACK") == "1" \
            else pytest.skip("no Strapi admin for the test stack: run the tests with scripts/test")
    token = requests.post(f"{url}/admin/login", json={"email": email, "password": password}, timeout=30).json()["data"]["token"]
    return url, {"Authorization": f"Bearer {token}"}


def configuration(url: str, headers: dict[str, str], uid: str = PRODUCT) -> dict:
    answer = requests.get(f"{url}/content-manager/content-types/{uid}/configuration", headers=headers, timeout=30)
    assert answer.status_code == 200, answer.text
    return answer.json()["data"]["contentType"]


@pytest.mark.parametrize("stack", STACKS)
def test_medusas_fields_are_read_only_with_their_source_and_two_way_fields_editable(stack):
    url, headers = admin_session(STACKS[stack])
    config = configuration(url, headers)
    edit = {name: meta["edit"] for name, meta in config["metadatas"].items()}
    hint = "(a stack older than the generated defaults keeps its stored configuration: FRESH=1 scripts/test)"
    assert edit["handle"]["editable"] is False and "From Medusa: product.handle" in edit["handle"]["description"], hint
    assert edit["medusa_id"]["editable"] is False, hint
    assert edit["title"]["editable"] is True and "written back to Medusa" in edit["title"]["description"], hint
    assert config["layouts"]["list"][:3] == ["title", "handle", "medusa_id"], hint
    assert config["settings"]["mainField"] == "title", hint  # an entry is named by its title, not its medusa_id


def test_an_admin_may_relabel_and_reorder_and_what_the_sync_owns_stays_read_only(stack_v2):
    """An admin relabels a field and reorders the list view: Strapi stores and shows the admin's choices."""
    url, headers = admin_session("V2_")
    uid = "api::product-collection.product-collection"
    config = configuration(url, headers, uid)
    metadatas = {name: meta for name, meta in config["metadatas"].items() if name not in ("id", "documentId")}
    for meta in metadatas.values():
        meta["list"].pop("mainField", None)  # shown with the configuration, not part of what the admin sends
    metadatas["title"]["edit"]["label"] = "Collection name"
    layouts = {"list": list(reversed(config["layouts"]["list"])), "edit": config["layouts"]["edit"]}
    answer = requests.put(f"{url}/content-manager/content-types/{uid}/configuration", headers=headers, timeout=30,
                          json={"settings": config["settings"], "metadatas": metadatas, "layouts": layouts})
    assert answer.status_code == 200, answer.text
    again = configuration(url, headers, uid)
    assert again["metadatas"]["title"]["edit"]["label"] == "Collection name"
    assert again["layouts"]["list"] == layouts["list"]
    assert again["metadatas"]["medusa_id"]["edit"]["editable"] is False  # what the sync owns stays read-only
