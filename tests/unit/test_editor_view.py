"""Who owns each attribute, as editors see it in Strapi's content manager (pipelines/strapi/editor_view.py)."""

from pipelines.mapping import load_mappings
from pipelines.settings import SHIPPED_MAPPINGS_DIR
from pipelines.strapi.editor_view import content_manager_config, field_source, list_columns

MAPPINGS = load_mappings(SHIPPED_MAPPINGS_DIR)
PRODUCT = MAPPINGS.get("product")
TYPES = {name: {"type": "string"} for name in PRODUCT.fields} | {"metadata": {"type": "json"}}


def edit(config, name):
    return config["metadatas"][name]["edit"]


def test_what_medusa_owns_is_read_only_and_names_its_source():
    config = content_manager_config(PRODUCT, MAPPINGS, TYPES)
    assert edit(config, "medusa_id")["editable"] is False
    assert edit(config, "handle") == {"editable": False, "description": "From Medusa: product.handle; edit it in Medusa "
                                                                         "(the sync overwrites changes made here)"}
    for rel in PRODUCT.relations:
        assert edit(config, rel.attribute)["editable"] is False and "Linked by the sync" in edit(config, rel.attribute)["description"]


def test_two_way_fields_stay_editable_and_say_where_edits_go_and_cms_fields_are_left_alone():
    config = content_manager_config(PRODUCT, MAPPINGS, TYPES)
    for name in PRODUCT.write_back:
        assert edit(config, name)["editable"] is True and "written back to Medusa" in edit(config, name)["description"]
    for name in PRODUCT.cms_only:
        assert name not in config["metadatas"]


def test_the_other_side_of_a_relation_and_media_are_read_only_too():
    collection = MAPPINGS.get("product-collection")
    inverse = [rel.inverse for owner, rel in MAPPINGS.inverse_relations("product-collection")]
    config = content_manager_config(collection, MAPPINGS, {})
    assert inverse and all(edit(config, name)["editable"] is False for name in inverse)
    image = MAPPINGS.get("image")
    for name in image.media:
        assert edit(content_manager_config(image, MAPPINGS, {}), name)["editable"] is False


def test_the_list_view_shows_identifying_fields_and_medusa_id_not_json():
    assert list_columns(PRODUCT, TYPES)[:3] == ["title", "handle", "medusa_id"]
    assert "metadata" not in list_columns(PRODUCT, TYPES) and len(list_columns(PRODUCT, TYPES)) == 4
    assert list_columns(PRODUCT, {})[0] == "medusa_id"  # nothing listable: still the key


def test_a_field_source_names_table_and_column():
    assert field_source(PRODUCT, "title") == "product.title"


def test_an_entry_is_named_by_its_first_identifying_field():
    settings = content_manager_config(PRODUCT, MAPPINGS, TYPES)["settings"]
    assert settings["mainField"] == "title"
    assert {"bulkable", "filterable", "searchable", "pageSize"} <= settings.keys()  # Strapi's check wants them all
    currency = MAPPINGS.get("currency")
    assert content_manager_config(currency, MAPPINGS, {name: {"type": "string"} for name in currency.fields})["settings"]["mainField"] == "name"
    no_name = content_manager_config(PRODUCT, MAPPINGS, {name: {"type": "json"} for name in PRODUCT.fields})
    assert "settings" not in no_name  # Strapi's default (the first string attribute: medusa_id)
