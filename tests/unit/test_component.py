"""The MedusaStrapiSync component (assets/component.py) as a data team uses it: a defs.yaml whose connection
settings are templates, a key prefix per shop, sensors and schedules turned on and off, and `dg` listing,
scaffolding and checking it in a project of its own."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest
from dagster import AssetKey, Definitions

from assets.component import MedusaStrapiSync
from assets.definitions import defs as repository_defs
from pipelines.settings import SHIPPED_MAPPINGS_DIR

from ..support.dg_project import dg_project

DG = Path(sys.executable).parent / "dg"

SHOP_A = """
mappings: medusa-v2
medusa_database_url: "{{ env.SHOP_A_MEDUSA_DATABASE_URL }}"
strapi_url: "{{ env('SHOP_A_STRAPI_URL') }}"
strapi_api_token: "{{ env.SHOP_A_STRAPI_API_TOKEN }}"
key_prefix: shop_a
pool: pool_a
sensors: {freshness: false}
schedules: {reconcile: false}
"""


def test_connection_settings_are_templates_kept_as_the_variables_names_never_values():
    component = MedusaStrapiSync.resolve_from_yaml(SHOP_A)
    assert (component.medusa_database_url, component.strapi_url, component.strapi_api_token) == (
        "SHOP_A_MEDUSA_DATABASE_URL", "SHOP_A_STRAPI_URL", "SHOP_A_STRAPI_API_TOKEN")
    resources = component.definitions(Path("/nowhere")).resources
    strapi = resources["shop_a_strapi"]
    assert strapi.url == "SHOP_A_STRAPI_URL" and type(strapi.url).__name__ == "EnvVar" and strapi.api_token == "SHOP_A_STRAPI_API_TOKEN"
    for written_out in ("postgresql://user:secret@db/medusa", "{{ SHOP_A_TOKEN }}"):
        with pytest.raises(Exception) as refused:
            MedusaStrapiSync.resolve_from_yaml(f'medusa_database_url: "{written_out}"\n')
        assert "never values" in str(refused.value) or "never values" in str(refused.value.__cause__)


def test_a_prefixed_instance_names_everything_with_its_prefix_and_turns_off_what_it_is_told():
    built = MedusaStrapiSync.resolve_from_yaml(SHOP_A).definitions(Path("/nowhere"))
    graph = built.resolve_asset_graph()
    assert AssetKey(["shop_a", "strapi", "product"]) in graph.get_all_asset_keys()
    assert {s.name for s in built.sensors} == {"shop_a_medusa_changes", "shop_a_strapi_edits_product"}  # freshness off
    assert not built.schedules  # the reconcile off
    assert built.resolve_job_def("shop_a_reconcile") is not None and built.executor is None  # the project's executor applies
    assert built.resolve_assets_def(AssetKey(["shop_a", "strapi", "product"])).op.pool == "pool_a"


def test_two_shops_live_in_one_code_location():
    shop_b = SHOP_A.replace("SHOP_A", "SHOP_B").replace("shop_a", "shop_b").replace("pool_a", "pool_b").replace("medusa-v2", "medusa-v1")
    both = Definitions.merge(*(MedusaStrapiSync.resolve_from_yaml(text).definitions(Path("/nowhere")) for text in (SHOP_A, shop_b)))
    keys = both.resolve_asset_graph().get_all_asset_keys()
    assert AssetKey(["shop_a", "strapi", "product"]) in keys and AssetKey(["shop_b", "strapi", "product"]) in keys
    assert {"shop_a_strapi", "shop_b_strapi", "shop_a_medusa", "shop_b_medusa"} <= set(both.resources)


def test_mappings_are_a_shipped_set_or_a_folder_beside_the_component(tmp_path):
    assert MedusaStrapiSync(mappings="medusa-v2-guide").mappings_dir(tmp_path) == SHIPPED_MAPPINGS_DIR / "medusa-v2-guide"
    assert MedusaStrapiSync(mappings="my-mappings").mappings_dir(tmp_path) == (tmp_path / "my-mappings").resolve()


def test_the_repository_code_location_is_one_instance_of_the_component():
    assert AssetKey(["strapi", "product"]) in repository_defs.resolve_asset_graph().get_all_asset_keys()
    assert {"medusa", "strapi", "medusa_admin"} <= set(repository_defs.resources)
    assert repository_defs.executor is not None  # the repository sets DAGSTER_EXECUTOR's; a component none


def _dg(*args: str, cwd: Path) -> subprocess.CompletedProcess:
    env = {**os.environ, "PATH": f"{DG.parent}{os.pathsep}{os.environ.get('PATH', '')}"}
    return subprocess.run([str(DG), *args], cwd=cwd, env=env, capture_output=True, text=True, timeout=240)


@pytest.mark.skipif(not DG.exists(), reason="dg (dagster-dg-cli, a dev dependency) is not installed")
def test_dg_lists_scaffolds_and_checks_it_in_a_project_of_its_own(tmp_path):
    """A project laid out as Dagster's docs lay one out (pyproject's [tool.dg], src/<module>/defs)."""
    project = dg_project(tmp_path)
    package = project / "src" / "shop_project"
    listed = _dg("list", "components", cwd=project)
    assert "assets.component.MedusaStrapiSync" in listed.stdout, listed.stdout + listed.stderr
    for shop in ("shop_a", "shop_b"):
        made = _dg("scaffold", "defs", "assets.component.MedusaStrapiSync", shop, cwd=project)
        assert made.returncode == 0, made.stdout + made.stderr
    written = (package / "defs" / "shop_b" / "defs.yaml").read_text()
    assert "key_prefix: shop_b" in written and "{{ env.STRAPI_API_TOKEN }}" in written
    checked = _dg("check", "defs", "--use-active-venv", cwd=project)
    assert checked.returncode == 0 and "All definitions loaded successfully" in checked.stdout + checked.stderr, checked.stdout + checked.stderr
