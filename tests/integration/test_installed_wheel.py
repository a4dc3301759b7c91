"""The package as a data team installs it: the built wheel (not editable, outside the repository) in a venv of its
own, with the Dagster release the project pins as its newest; a Dagster project laid out as Dagster's docs lay one
out, in a temporary folder, with one `defs.yaml` of the MedusaStrapiSync component. `dg` scaffolds and checks it,
its assets carry the prefix, and `dg launch` of its reconcile job syncs the demo catalog into the test stack's
Strapi. The command line comes with the wheel too, and finds the shipped mapping sets in the package."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from assets.naming import strapi_key

from ..support.dg_project import dg_project
from .helpers import assert_in_sync

REPO = Path(__file__).resolve().parents[2]
NEWEST = REPO / "scripts" / "constraints" / "dagster-newest.txt"
UV = Path(sys.executable).parent / "uv"

DEFS_YAML = """\
type: assets.component.MedusaStrapiSync

attributes:
  mappings: medusa-v1
  medusa_database_url: "{{ env.SHOP_MEDUSA_DATABASE_URL }}"
  strapi_url: "{{ env.SHOP_STRAPI_URL }}"
  strapi_api_token: "{{ env.SHOP_STRAPI_API_TOKEN }}"
  key_prefix: shop
  max_writers: 2
  write_path_full: auto
  sensors:
    changes: true
    write_back: false
  schedules:
    reconcile: true
"""


def _run(command: list[str], *, cwd: Path, env: dict[str, str], timeout: int = 600) -> subprocess.CompletedProcess:
    done = subprocess.run(command, cwd=cwd, env=env, capture_output=True, text=True, timeout=timeout)
    assert done.returncode == 0, f"{' '.join(command)} exited {done.returncode}:\n{done.stdout}\n{done.stderr}"
    return done


@pytest.fixture(scope="module")
def venv(tmp_path_factory) -> Path:
    """A venv holding the wheel built from this checkout, dagster-dg-cli and nothing of the repository."""
    assert UV.exists(), "uv (a dev dependency) is missing: run scripts/python-env"
    root = tmp_path_factory.mktemp("installed")
    clean = {k: v for k, v in os.environ.items() if k not in ("PYTHONPATH", "VIRTUAL_ENV")}
    _run([sys.executable, "-m", "pip", "wheel", "--no-deps", "--quiet", "--wheel-dir", str(root / "dist"), str(REPO)], cwd=root, env=clean)
    (wheel,) = (root / "dist").glob("medusa_strapi_sync-*.whl")
    _run([str(UV), "venv", "--quiet", "--python", sys.executable, str(root / "venv")], cwd=root, env=clean)
    _run([str(UV), "pip", "install", "--quiet", "--python", str(root / "venv" / "bin" / "python"), "-c", str(NEWEST),
          str(wheel), "dagster-dg-cli"], cwd=root, env=clean)
    return root / "venv"


def _install(project: Path, venv: Path) -> None:
    """`uv pip install -e .` of the project into the venv, as Dagster's docs have a project installed."""
    _run([str(UV), "pip", "install", "--quiet", "--python", str(venv / "bin" / "python"), "-e", str(project)],
         cwd=project, env={k: v for k, v in os.environ.items() if k not in ("PYTHONPATH", "VIRTUAL_ENV")})


def _environment(venv: Path, stack: dict[str, str], medusa_url: str) -> dict[str, str]:
    """The shell of a data team with the venv active: the shop's own variables, nothing of this repository's."""
    keep = {k: v for k, v in os.environ.items() if k in ("HOME", "LANG", "TMPDIR", "PGHOST")}
    return {**keep, "PATH": f"{venv / 'bin'}{os.pathsep}/usr/bin:/bin", "VIRTUAL_ENV": str(venv),
            "SHOP_MEDUSA_DATABASE_URL": medusa_url, "SHOP_STRAPI_URL": stack["STRAPI_URL"],
            "SHOP_STRAPI_API_TOKEN": stack["STRAPI_API_TOKEN"]}


def test_the_wheel_carries_the_engine_the_component_and_the_mapping_sets(venv):
    python = venv / "bin" / "python"
    found = _run([str(python), "-c", "import pipelines, assets.component; from pipelines.mapping.shipped import SHIPPED_SETS; "
                  "print(pipelines.__file__); print(*(len(list(p.glob('*.yaml'))) for p in SHIPPED_SETS.values()))"],
                 cwd=venv, env={"PATH": "/usr/bin:/bin"}).stdout.splitlines()
    assert "site-packages" in found[0] and str(REPO) not in found[0]
    assert all(int(count) > 0 for count in found[1].split())


def test_a_dg_project_with_one_defs_yaml_checks_lists_prefixed_assets_and_syncs_the_demo_catalog(
        venv, tmp_path, stack, medusa_url, mappings, clean_strapi, source):
    project = dg_project(tmp_path, installable=True)
    _install(project, venv)
    env = _environment(venv, stack, medusa_url)
    dg = str(venv / "bin" / "dg")
    assert "assets.component.MedusaStrapiSync" in _run([dg, "list", "components"], cwd=project, env=env).stdout
    _run([dg, "scaffold", "defs", "assets.component.MedusaStrapiSync", "shop"], cwd=project, env=env)
    defs_yaml = project / "src" / "shop_project" / "defs" / "shop" / "defs.yaml"
    assert "{{ env.STRAPI_API_TOKEN }}" in defs_yaml.read_text()  # the scaffold names variables, never values
    defs_yaml.write_text(DEFS_YAML)

    checked = _run([dg, "check", "defs", "--use-active-venv"], cwd=project, env=env)
    assert "All definitions loaded successfully" in checked.stdout + checked.stderr
    listed = json.loads(_run([dg, "list", "defs", "--json"], cwd=project, env=env).stdout)
    asset_keys = {entry["asset_key"] for entry in listed["assets"]}
    assert {"/".join(strapi_key(t).with_prefix("shop").path) for t in mappings.content_types} <= asset_keys
    assert all(key.startswith("shop/") for key in asset_keys)
    assert {"shop_reconcile", "shop_sync_changes"} <= {job["name"] for job in listed["jobs"]}
    assert {"shop_medusa_changes"} <= {sensor["name"] for sensor in listed["sensors"]}

    # The project's default executor, told to run the steps in the run's process (a process per step costs each
    # step Dagster's import: minutes on this 2-core machine, for the same result).
    in_process = json.dumps({"execution": {"config": {"in_process": {}}}})
    _run([dg, "launch", "--job", "shop_reconcile", "--config-json", in_process], cwd=project, env=env, timeout=900)
    assert_in_sync(source, clean_strapi, mappings)


def test_the_command_line_of_the_wheel_validates_with_a_shipped_set_by_name(venv, tmp_path, stack, medusa_url):
    env = {**_environment(venv, stack, medusa_url), "MEDUSA_DATABASE_URL": medusa_url, "STRAPI_URL": stack["STRAPI_URL"],
           "STRAPI_API_TOKEN": stack["STRAPI_API_TOKEN"], "MAPPINGS_DIR": "medusa-v1"}
    checked = _run([str(venv / "bin" / "medusa-strapi"), "validate"], cwd=tmp_path, env=env)
    assert checked.stdout.startswith("files: ok, 19 mappings") and checked.stdout.rstrip().endswith("ok"), checked.stdout
