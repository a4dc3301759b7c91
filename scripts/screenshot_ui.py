#!/usr/bin/env python3
"""Screenshots of a running Dagster UI for the docs: the asset graph and list of the `strapi` group, a backfill
job's Partitions page, and one asset's page with its latest materialization and checks. Drives Debian's Chromium with Playwright (no browser
download): `apt-get install chromium` and `pip install playwright` first.

    .venv/bin/python scripts/screenshot_ui.py --url http://127.0.0.1:3000 --out docs/images
"""

from __future__ import annotations

import argparse
from pathlib import Path

from playwright.sync_api import sync_playwright

CHROMIUM = "/usr/bin/chromium"
ZOOM_OUT_CLICKS = 8
# As the machine's probe starts it: no sandbox (root), and none of Chromium's calls home (the network is closed).
FLAGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
         "--disable-background-networking", "--disable-component-update", "--disable-sync"]


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--url", required=True, help="the Dagster webserver")
    parser.add_argument("--out", type=Path, required=True, help="folder for the PNG files")
    parser.add_argument("--asset", default="strapi/product", help="the asset whose page is shot too")
    parser.add_argument("--location", default="assets.definitions", help="the code location (workspace.yaml's)")
    parser.add_argument("--backfill-job", default="backfill_product", help="the job whose Partitions page is shot")
    args = parser.parse_args()
    args.out.mkdir(parents=True, exist_ok=True)
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=FLAGS)
        page = browser.new_page(viewport={"width": 1600, "height": 1200})
        page.goto(f"{args.url}/locations/{args.location}/asset-groups/strapi", wait_until="networkidle")
        page.wait_for_timeout(3000)  # the graph lays itself out after the data arrives
        skip = page.get_by_role("button", name="Skip")  # a first visit's newsletter dialog
        if skip.count():
            skip.click()
        zoom_out = page.locator("button:has([aria-label='zoom_out'])").first
        for _ in range(ZOOM_OUT_CLICKS):  # until the whole group shows
            zoom_out.click()
            page.wait_for_timeout(300)
        page.wait_for_timeout(5000)  # the nodes fetch their status once shown
        page.screenshot(path=args.out / "dagster-asset-graph.png")
        page.goto(f"{args.url}/locations/{args.location}/asset-groups/strapi/list", wait_until="networkidle")
        page.wait_for_timeout(3000)
        page.screenshot(path=args.out / "dagster-asset-list.png", full_page=True)
        page.goto(f"{args.url}/locations/{args.location}/jobs/{args.backfill_job}/partitions", wait_until="networkidle")
        page.wait_for_timeout(3000)
        page.screenshot(path=args.out / "dagster-backfill-partitions.png")
        page.goto(f"{args.url}/assets/{args.asset}", wait_until="networkidle")
        page.wait_for_timeout(2000)
        page.screenshot(path=args.out / "dagster-asset-page.png", full_page=True)
        browser.close()
    for name in ("dagster-asset-graph.png", "dagster-asset-list.png", "dagster-backfill-partitions.png", "dagster-asset-page.png"):
        print(args.out / name)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
