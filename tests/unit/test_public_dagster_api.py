"""The code uses Dagster's public API only: no module or name with a leading underscore from any `dagster*`
package (`dagster._core...`, `dagster_celery.executor._submit_task`), which a Dagster release may change without
notice, and which would break the supported range (pyproject's dagster>=1.12.22,<1.14)."""

import ast
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
PACKAGES = ("assets", "pipelines")


def private_dagster_imports(source: str) -> list[str]:
    """Each `import`/`from ... import` in `source` that reaches a private part of a dagster* package."""
    found = []
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, ast.ImportFrom) and node.module and node.module.split(".")[0].startswith("dagster"):
            parts = node.module.split(".")
            if any(part.startswith("_") for part in parts) or any(alias.name.startswith("_") for alias in node.names):
                found.append(f"from {node.module} import {', '.join(alias.name for alias in node.names)}")
        elif isinstance(node, ast.Import):
            found += [f"import {alias.name}" for alias in node.names
                      if alias.name.split(".")[0].startswith("dagster") and any(p.startswith("_") for p in alias.name.split("."))]
    return found


def test_the_guard_sees_private_modules_and_names():
    assert private_dagster_imports("from dagster._core.execution.retries import RetryMode") != []
    assert private_dagster_imports("from dagster_celery.executor import _submit_task") != []
    assert private_dagster_imports("import dagster._check as check") != []
    assert private_dagster_imports("from dagster import Definitions\nimport dagster as dg\nfrom ._x import y") == []


def test_no_module_of_the_package_imports_a_private_part_of_dagster():
    offenders = {str(path.relative_to(ROOT)): found for package in PACKAGES for path in sorted((ROOT / package).rglob("*.py"))
                 if (found := private_dagster_imports(path.read_text()))}
    assert offenders == {}
