"""The shipped mapping sets by name: what the component's `mappings:`, MAPPINGS_DIR and --mappings accept."""

from pathlib import Path

from pipelines.mapping import load_mapping_set
from pipelines.mapping.shipped import SHIPPED_MAPPINGS_DIR, SHIPPED_SETS, mapping_set_folder
from pipelines.settings import mappings_dir

REPO = Path(__file__).resolve().parents[2]


def test_in_a_checkout_the_shipped_sets_are_the_repositorys_mappings_folder():
    assert SHIPPED_MAPPINGS_DIR == REPO / "mappings"
    assert (REPO / "pipelines" / "mapping_sets").resolve() == REPO / "mappings"


def test_every_shipped_set_loads_without_a_broken_file():
    for name, folder in SHIPPED_SETS.items():
        loaded = load_mapping_set(folder)
        assert loaded.mappings and not loaded.broken, name


def test_a_name_is_a_shipped_set_and_anything_else_a_folder_relative_to_the_base(tmp_path):
    assert mapping_set_folder("medusa-v2", tmp_path) == REPO / "mappings" / "medusa-v2"
    assert mapping_set_folder(" medusa-v1 ", tmp_path) == REPO / "mappings"
    assert mapping_set_folder("shop/mappings", tmp_path) == tmp_path / "shop" / "mappings"
    assert mapping_set_folder(str(tmp_path / "elsewhere"), Path("/")) == tmp_path / "elsewhere"


def test_mappings_dir_takes_a_shipped_sets_name_and_defaults_to_the_v1_set():
    assert mappings_dir({}) == SHIPPED_MAPPINGS_DIR
    assert mappings_dir({"MAPPINGS_DIR": "medusa-v2-guide"}) == REPO / "mappings" / "medusa-v2-guide"
