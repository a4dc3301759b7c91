"""The bulk-upsert plugin's batch steps (strapi-plugin-bulk-upsert/server/writer.js), by Node's own test runner:
the pure steps without Strapi; the whole batch against the real Strapi is tests/integration/test_bulk_plugin.py."""

import shutil
import subprocess
from pathlib import Path

import pytest

PLUGIN_TESTS = Path(__file__).resolve().parents[2] / "strapi-plugin-bulk-upsert" / "test"


@pytest.mark.skipif(shutil.which("node") is None, reason="Node is not installed")
def test_the_plugins_batch_steps():
    done = subprocess.run(["node", "--test", str(PLUGIN_TESTS / "writer.test.js")], capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stdout + done.stderr
