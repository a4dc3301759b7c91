"""A Dagster project laid out as Dagster's docs lay one out (pyproject's [tool.dg], src/<module>/definitions.py,
an empty defs/ folder), for the tests that put the MedusaStrapiSync component in a project that is not this repo."""

from __future__ import annotations

from pathlib import Path

BUILD = '[build-system]\nrequires = ["setuptools>=69"]\nbuild-backend = "setuptools.build_meta"\n'
DEFINITIONS = ("from pathlib import Path\n\nimport dagster as dg\n\n\n@dg.definitions\ndef defs() -> dg.Definitions:\n"
               "    return dg.load_from_defs_folder(path_within_project=Path(__file__).parent)\n")


def dg_project(root: Path, *, installable: bool = False) -> Path:
    """`root/shop-project`, module `shop_project`; `installable`: with a build system and this package as its
    dependency, for `pip install -e` into a venv of its own."""
    project = root / "shop-project"
    package = project / "src" / "shop_project"
    (package / "defs").mkdir(parents=True)
    dependencies = 'dependencies = ["medusa-strapi-sync"]\n' if installable else ""
    (project / "pyproject.toml").write_text(
        (BUILD if installable else "")
        + '[project]\nname = "shop_project"\nversion = "0.1.0"\nrequires-python = ">=3.11"\n' + dependencies
        + '[tool.dg]\ndirectory_type = "project"\n[tool.dg.project]\nroot_module = "shop_project"\n')
    (package / "__init__.py").write_text("")
    (package / "defs" / "__init__.py").write_text("")
    (package / "definitions.py").write_text(DEFINITIONS)
    return project
