"""`medusa-strapi init`'s guesses (pipelines/scaffold), on tables and schemas given as plain values: names across
conventions, relations from foreign keys, names and join tables, media from URL columns and tables of files, the
notes on what is left to decide, and files never overwritten once edited."""

from __future__ import annotations

from pipelines.scaffold import TableInfo, guess_types, render, write_set
from pipelines.scaffold.guess import match_table, norm, refers_to, singular, snake

TABLES = {t.name: t for t in [
    TableInfo("product", {"id": "text", "title": "text", "handle": "text", "description": "text", "thumbnail": "text",
                          "weight": "number", "updated_at": "time", "deleted_at": "time"}, "id"),
    TableInfo("product_variant", {"id": "text", "title": "text", "sku": "text", "product_id": "text", "updated_at": "time",
                                  "deleted_at": "time"}, "id", {"product_id": "product"}),
    TableInfo("product_option", {"id": "text", "title": "text", "updated_at": "time"}, "id"),
    TableInfo("product_option_value", {"id": "text", "value": "text", "option_id": "text"}, "id"),  # no foreign key: by name
    TableInfo("product_variant_option", {"variant_id": "text", "option_value_id": "text"}, None,
              {"variant_id": "product_variant", "option_value_id": "product_option_value"}),
    TableInfo("product_product_option", {"id": "text", "product_id": "text", "product_option_id": "text", "deleted_at": "time"}, "id",
              {"product_id": "product", "product_option_id": "product_option"}),
    TableInfo("image", {"id": "text", "url": "text", "rank": "number", "product_id": "text", "deleted_at": "time"}, "id",
              {"product_id": "product"}),
]}


def ct(singular_name, plural, attributes, **options):
    return {"info": {"singularName": singular_name, "pluralName": plural}, "options": options, "attributes": attributes}


def rel(kind, target, **side):
    return {"type": "relation", "relation": kind, "target": f"api::{target}.{target}", **side}


SCHEMAS = {
    "api::product.product": ct("product", "products", {
        "medusaId": {"type": "string", "unique": True}, "title": {"type": "string"}, "handle": {"type": "uid"},
        "description": {"type": "richtext"}, "locale": {"type": "string"}, "seoTitle": {"type": "string"},
        "images": {"type": "media", "multiple": True}, "thumbnail": {"type": "media", "multiple": False},
        "variants": rel("oneToMany", "product-variant", mappedBy="product"),
        "options": rel("manyToMany", "product-option", inversedBy="products")}),
    "api::product-variant.product-variant": ct("product-variant", "product-variants", {
        "medusaId": {"type": "string"}, "title": {"type": "string"}, "sku": {"type": "string"},
        "product": rel("manyToOne", "product", inversedBy="variants"),
        "option_values": rel("manyToMany", "product-option-value", inversedBy="variants")}),
    "api::product-option.product-option": ct("product-option", "product-options", {
        "medusaId": {"type": "string"}, "title": {"type": "string"},
        "products": rel("manyToMany", "product", inversedBy="options")}),
    "api::product-option-value.product-option-value": ct("product-option-value", "product-option-values", {
        "medusaId": {"type": "string"}, "value": {"type": "string"}, "option": rel("manyToOne", "product-option", inversedBy="values")}),
    "api::review.review": ct("review", "reviews", {"body": {"type": "text"}}),
}


def guesses():
    return {g.content_type: g for g in guess_types(SCHEMAS, TABLES)}


def test_names_compare_across_conventions():
    assert norm("medusaId") == norm("medusa_id") == "medusaid"
    assert snake("seoTitle") == "seo_title" and snake("product-variant") == "product_variant"
    assert (singular("categories"), singular("variants"), singular("addresses"), singular("status")) == ("category", "variant", "address", "status")
    assert match_table("product-variant", "product-variants", TABLES) == ("product_variant", None)
    assert match_table("review", "reviews", TABLES) == (None, None)
    assert refers_to("option_id", TABLES["product_option_value"], "product_option")  # by name
    assert refers_to("product_id", TABLES["image"], "product") and not refers_to("product_id", TABLES["image"], "product_option")


def test_a_type_is_guessed_with_its_key_fields_converters_media_and_relations():
    product = guesses()["product"]
    assert (product.table, product.key, product.cursor, product.soft_delete) == ("product", "medusaId", "updated_at", "deleted_at")
    assert product.fields == {"title": "title", "handle": {"column": "handle", "convert": "uid"},
                              "description": {"column": "description", "convert": "richtext"}}
    assert product.media["thumbnail"] == {"column": "thumbnail"}
    assert product.media["images"] == {"multiple": True, "lookup": {
        "through": {"table": "image", "source": "product_id", "soft_delete": "deleted_at"}, "column": "url", "order": "rank"}}
    assert product.relations["options"] == {"target": "product-option", "through": {
        "table": "product_product_option", "source": "product_id", "target": "product_option_id", "soft_delete": "deleted_at"}}
    assert "variants" not in product.relations and "linked from there" in product.notes["relations.variants"]
    assert product.drop == ["weight"]
    assert any("seoTitle: not matched" in line for line in product.undecided)


def test_relations_come_from_foreign_keys_names_and_join_tables():
    found = guesses()
    assert found["product-variant"].relations == {
        "product": {"target": "product", "column": "product_id"},
        "option_values": {"target": "product-option-value",
                          "through": {"table": "product_variant_option", "source": "variant_id", "target": "option_value_id"}}}
    assert found["product-option-value"].relations == {"option": {"target": "product-option", "column": "option_id"}}
    assert "column name" in found["product-option-value"].notes["relations.option"]


def test_a_link_declared_on_both_sides_is_kept_on_one_so_the_types_can_be_ordered():
    found = guesses()
    assert "options" in found["product"].relations and found["product-option"].relations == {}
    assert "products is linked from product" in found["product-option"].notes[""]


def test_what_is_left_to_decide_is_said_and_written_as_comments(tmp_path):
    review = guesses()["review"]
    assert review.table is None and any("no Medusa table is named like review" in line for line in review.undecided)
    assert any("no attribute holds the Medusa id" in line for line in review.undecided)
    text = render(guesses()["product"], "schema.json")
    assert "key: medusaId\n" in text and "# seoTitle: not matched" in text and "# join table product_product_option" in text


def test_a_file_someone_edited_is_never_overwritten_without_force(tmp_path):
    made = list(guesses().values())
    first = write_set(made, tmp_path)
    assert len(first.written) == len(made) and not first.beside
    edited = tmp_path / "product.yaml"
    edited.write_text(edited.read_text() + "# mine\n")
    again = write_set(made, tmp_path)
    assert again.beside == [tmp_path / "product.yaml.new"] and len(again.unchanged) == len(made) - 1
    assert edited.read_text().endswith("# mine\n")
    forced = write_set(made, tmp_path, force=True)
    assert forced.written == [edited] and not edited.read_text().endswith("# mine\n")
