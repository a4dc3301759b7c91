"""A real browser for the UI tests: Debian's Chromium (`scripts/test` installs it) driven by Playwright, headless.

Screenshots go to BROWSER_SCREENSHOTS when it is set (the docs' images are taken that way), else to the test's
temporary folder.
"""

from __future__ import annotations

import os
from contextlib import contextmanager
from pathlib import Path
from typing import Iterator

CHROMIUM = "/usr/bin/chromium"
# As root and offline: no sandbox, and none of Chromium's calls home.
FLAGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
         "--disable-background-networking", "--disable-component-update", "--disable-sync"]


@contextmanager
def browser_page(width: int = 1400, height: int = 1000) -> Iterator["object"]:
    """A fresh page of a new headless Chromium, closed after."""
    from playwright.sync_api import sync_playwright

    if not Path(CHROMIUM).exists():
        raise RuntimeError(f"{CHROMIUM} is missing: scripts/test installs Debian's chromium (apt-get install chromium)")
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=FLAGS)
        try:
            page = browser.new_page(viewport={"width": width, "height": height})
            page.set_default_timeout(30_000)
            yield page
        finally:
            browser.close()


def screenshot_path(tmp_path: Path, name: str) -> Path:
    """Where a screenshot named `name` goes."""
    folder = Path(os.environ.get("BROWSER_SCREENSHOTS") or tmp_path)
    folder.mkdir(parents=True, exist_ok=True)
    return folder / name
