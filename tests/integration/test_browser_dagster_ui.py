"""The Dagster UI a data team opens, in a real browser: the repository's workspace (workspace.yaml) served by
`dagster dev` over the v2 test stack; the asset graph of the `strapi` group loads, and a materialization's
metadata (what the sync wrote, and how) shows on the asset's page."""

from __future__ import annotations

import os
import socket
from pathlib import Path

from dagster import DagsterInstance, materialize

from assets.naming import strapi_key
from assets.resources import MedusaDatabase, StrapiResource
from assets.sync import build_sync_assets

from .browser import browser_page, screenshot_path
from .conftest import reconcile_into
from dagster_dev import dagster_dev  # noqa: E402  (scripts/, on the path by conftest)

REPO = Path(__file__).resolve().parents[2]


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def test_the_asset_graph_and_a_materializations_metadata_load(
        strapi_v2, mappings_v2, source_v2, medusa_v2_url, stack_v2, tmp_path):
    reconcile_into(strapi_v2, mappings_v2, source_v2)
    env = {**os.environ, "MEDUSA_DATABASE_URL": medusa_v2_url, "STRAPI_URL": stack_v2["STRAPI_URL"],
           "STRAPI_API_TOKEN": stack_v2["STRAPI_API_TOKEN"], "MAPPINGS_DIR": str(REPO / "mappings" / "medusa-v2")}
    port = free_port()
    with dagster_dev(env, port) as home:  # the UI and the daemon on a fresh DAGSTER_HOME, as the demo starts them
        with DagsterInstance.from_config(str(home)) as instance:
            result = materialize(build_sync_assets(mappings_v2), instance=instance, selection=[strapi_key("product")], resources={
                "medusa": MedusaDatabase(url=medusa_v2_url),
                "strapi": StrapiResource(url=stack_v2["STRAPI_URL"], api_token=stack_v2["STRAPI_API_TOKEN"])})
            assert result.success
        url = f"http://127.0.0.1:{port}"
        with browser_page(1600, 1100) as page:
            page.goto(f"{url}/locations/assets.definitions/asset-groups/strapi")  # the group's graph
            skip = page.get_by_role("button", name="Skip")  # a first visit's newsletter dialog
            page.wait_for_timeout(2000)
            if skip.count():
                skip.click()
            for name in ("product", "product_variant", "money_amount"):
                page.get_by_text(name, exact=True).first.wait_for()
            page.screenshot(path=screenshot_path(tmp_path, "dagster-ui-asset-graph.png"))
            page.goto(f"{url}/assets/strapi/product")
            page.get_by_text("write path", exact=True).first.wait_for()  # the latest materialization's metadata
            assert page.get_by_text("unchanged", exact=True).count()
            page.screenshot(path=screenshot_path(tmp_path, "dagster-ui-product.png"), full_page=True)
