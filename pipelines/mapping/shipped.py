"""The mapping sets shipped with the package, by name: `mappings/` of the repository, which the wheel carries as
package data (`pipelines/mapping_sets`, a link to it in a checkout)."""

from __future__ import annotations

from pathlib import Path

SHIPPED_MAPPINGS_DIR = (Path(__file__).resolve().parent.parent / "mapping_sets").resolve()  # the Medusa v1 set, the others inside it

SHIPPED_SETS = {
    "medusa-v1": SHIPPED_MAPPINGS_DIR,
    "medusa-v2": SHIPPED_MAPPINGS_DIR / "medusa-v2",
    "medusa-v2-guide": SHIPPED_MAPPINGS_DIR / "medusa-v2-guide",  # the content types of Medusa's own Strapi guide
}


def mapping_set_folder(value: str, base: Path) -> Path:
    """The folder `value` names: a shipped set by its name (`medusa-v2`), else a folder, relative to `base` unless
    absolute."""
    return SHIPPED_SETS.get(value.strip()) or (base / value).resolve()
