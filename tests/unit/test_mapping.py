"""Mapping files: the repo's mappings load; every kind of bad edit is refused with file, line and key."""

import textwrap
from pathlib import Path

import pytest

from pipelines.mapping import MappingErrors, load_mapping, load_mappings
from pipelines.settings import SHIPPED_MAPPINGS_DIR

VALID = """\
content_type: widget
plural: widgets
source:
  table: widget
fields:
  title: title
  widget_type: type
relations:
  owner:
    target: widget
    column: parent_id
"""


def write(tmp_path: Path, text: str, name: str = "widget.yaml") -> Path:
    path = tmp_path / name
    path.write_text(textwrap.dedent(text))
    return path


SEED_CONTENT_TYPES = {
    "product", "product-variant", "product-collection", "product-category", "product-type", "product-tag",
    "product-option", "product-option-value", "product-metafield", "region", "currency", "country", "money-amount",
    "payment-provider", "fulfillment-provider", "shipping-option", "shipping-profile", "store", "image",
}


def test_repo_mappings_cover_the_seed_content_types_in_dependency_order():
    mappings = load_mappings(SHIPPED_MAPPINGS_DIR)
    assert set(mappings.content_types) == SEED_CONTENT_TYPES
    position = {name: i for i, name in enumerate(mappings.content_types)}
    for spec in mappings:
        for target in mappings.dependencies(spec.content_type):
            assert position[target] < position[spec.content_type], (spec.content_type, target)


def test_repo_product_mapping_has_the_seed_renames():
    product = load_mappings(SHIPPED_MAPPINGS_DIR).get("product")
    assert product.table == "product" and product.primary_key == "id"
    assert product.cursor == "updated_at" and product.soft_delete == "deleted_at"
    relations = {r.attribute: r for r in product.relations}
    assert relations["product_collection"].column == "collection_id"
    assert relations["product_type"].column == "type_id"
    assert relations["product_tags"].through[0].table == "product_tags" and relations["product_tags"].is_to_many
    assert set(product.cms_only) == {"rich_description", "seo_title"}
    assert "created_at" not in product.fields and "updated_at" not in product.fields


def test_repo_mappings_use_every_relation_kind():
    mappings = load_mappings(SHIPPED_MAPPINGS_DIR)
    category = mappings.get("product-category")
    assert category.relation("parent_category").target == "product-category"  # self-relation
    assert category.soft_delete is None
    currency = mappings.get("currency")
    assert (currency.primary_key, currency.cursor, currency.soft_delete) == ("code", None, None)
    price = mappings.get("money-amount")
    assert price.fields["amount"].convert == "minor_units"
    assert price.relation("product_variant").to_one
    assert mappings.get("product-metafield").json_entries == "metadata"


def test_every_repo_mapping_has_the_editor_schema_hint():
    for path in SHIPPED_MAPPINGS_DIR.glob("*.yaml"):
        assert path.read_text().startswith("# yaml-language-server: $schema=../pipelines/mapping/schema.json")


def test_defaults_and_renames(tmp_path):
    spec = load_mapping(write(tmp_path, VALID))
    assert {a: f.column for a, f in spec.fields.items()} == {"title": "title", "widget_type": "type"}
    assert spec.source_columns == ["id", "title", "type", "updated_at"]  # relation keys are computed per row
    assert spec.cursor == "updated_at" and spec.soft_delete == "deleted_at"


def test_null_cursor_and_soft_delete(tmp_path):
    spec = load_mapping(write(tmp_path, VALID.replace("  table: widget\n", "  table: widget\n  cursor: null\n  soft_delete: null\n")))
    assert spec.cursor is None and spec.soft_delete is None
    assert spec.source_columns == ["id", "title", "type"]


INVALID = [
    # (name, yaml text, expected line, expected key, expected message fragment)
    ("unknown top-level key", VALID + "titel: x\n", 12, "titel", "unknown key 'titel'"),
    ("typo in source key", VALID.replace("  table: widget", "  table: widget\n  tabel: w"), 5, "source.tabel", "did you mean 'table'"),
    ("missing source", "content_type: widget\nplural: widgets\n", 1, "source", "required key is missing"),
    ("missing content_type", "plural: widgets\nsource: {table: widget}\n", 1, "content_type", "required key is missing"),
    ("missing plural", "content_type: widget\nsource: {table: widget}\n", 1, "plural", "required key is missing"),
    ("missing table", "content_type: widget\nplural: widgets\nsource:\n  primary_key: id\n", 3, "source.table", "required key is missing"),
    ("field value is a list", VALID.replace("  title: title", "  title: [title]"), 6, "fields.title", "expected string or object"),
    ("field names a bad column", VALID.replace("  title: title", "  title: 'ti tle'"), 6, "fields.title", "not a valid name"),
    ("medusa_id is mapped", VALID.replace("  title: title", "  medusa_id: id"), 6, "fields.medusa_id", "managed by Strapi or the sync"),
    ("documentId is mapped", VALID.replace("  title: title", "  documentId: id"), 6, "fields.documentId", "managed by Strapi or the sync"),
    ("relation without column or through", VALID.replace("    column: parent_id\n", ""), 9, "relations.owner", "exactly one of `column`"),
    ("relation unknown key", VALID + "    kind: many\n", 12, "relations.owner.kind", "unknown key 'kind'"),
    ("content_type not kebab-case", VALID.replace("content_type: widget", "content_type: Widget"), 1, "content_type", "not a valid name"),
    ("plural with a slash", VALID.replace("plural: widgets", "plural: api/widgets"), 2, "plural", "not a valid name"),
    ("cursor is a number", VALID.replace("  table: widget", "  table: widget\n  cursor: 5"), 5, "source.cursor", "expected string or null"),
    ("cms_only unknown type", VALID + "cms_only:\n  seo: html\n", 13, "cms_only.seo", "not one of"),
    ("fields is a list", VALID.replace("fields:\n  title: title\n  widget_type: type\n", "fields: [title]\n"), 5, "fields", "expected object"),
    ("attribute in fields and relations", VALID.replace("  widget_type: type", "  owner: type"), 9, "relations.owner", "also declared under fields"),
    ("Strapi-reserved attribute", VALID.replace("  title: title", "  meta: title"), 6, "fields.meta", "Strapi reserves"),
    ("Strapi-reserved prefix", VALID.replace("  title: title", "  strapiStage: title"), 6, "fields.strapiStage", "Strapi reserves"),
    ("pseudo-column without json_entries", VALID.replace("  title: title", "  title: $key"), 6, "fields.title", "only with source.json_entries"),
    ("unknown converter", VALID.replace("  title: title", "  title: {column: title, convert: upper}"), 6, "fields.title.convert", "not one of"),
    ("currency_column without minor_units", VALID.replace("  title: title", "  title: {column: title, currency_column: c}"), 6, "fields.title.currency_column", "only applies to convert: minor_units"),
    ("column and through together", VALID.replace("    column: parent_id", "    column: parent_id\n    through: {table: j, source: a, target: b}"), 9, "relations.owner", "exactly one of"),
    ("through without target column", VALID.replace("    column: parent_id", "    through: {table: j, source: a}"), 11, "relations.owner.through.target", "required key is missing"),
    ("to_one without through", VALID.replace("    column: parent_id", "    column: parent_id\n    to_one: true"), 12, "relations.owner.to_one", "only applies to relations `through`"),
    ("field object without column", VALID.replace("  title: title", "  title: {convert: string}"), 6, "fields.title.column", "required key is missing"),
    ("duplicate key", VALID.replace("  widget_type: type", "  widget_type: type\n  title: other"), 8, "fields.title", "duplicate key"),
    ("broken YAML", VALID.replace("  title: title", "  title: [title"), 7, "", "not valid YAML"),
    ("tab indentation", VALID.replace("  title: title", "\ttitle: title"), 6, "", "not valid YAML"),
    ("empty file", "", 1, "", "file is empty"),
    ("a list instead of a mapping", "- content_type: widget\n", 1, "", "must be a YAML mapping"),
    ("drop is not a list", VALID + "drop: created_at\n", 12, "drop", "expected array"),
]


@pytest.mark.parametrize("name, text, line, key, fragment", INVALID, ids=[c[0] for c in INVALID])
def test_invalid_mapping_is_refused_with_file_line_key(tmp_path, name, text, line, key, fragment):
    path = write(tmp_path, text)
    with pytest.raises(MappingErrors) as caught:
        load_mapping(path)
    error = caught.value.errors[0]
    assert (error.file, error.line, error.key) == (str(path), line, key), str(error)
    assert fragment in error.message, str(error)
    assert str(error).startswith(f"{path}:{line}: ")


def test_file_name_must_match_content_type(tmp_path):
    with pytest.raises(MappingErrors, match=r"gadget\.yaml:1: content_type: file must be named widget\.yaml"):
        load_mapping(write(tmp_path, VALID, name="gadget.yaml"))


def test_unknown_relation_target_across_files(tmp_path):
    write(tmp_path, VALID.replace("target: widget", "target: widgit"))
    with pytest.raises(MappingErrors) as caught:
        load_mappings(tmp_path)
    (error,) = caught.value.errors
    assert (error.line, error.key) == (10, "relations.owner.target")
    assert "unknown content type 'widgit' (did you mean 'widget'?)" in error.message


def test_relation_cycle_is_refused(tmp_path):
    write(tmp_path, "content_type: a\nplural: as\nsource: {table: a}\nrelations:\n  b: {target: b, column: b_id}\n", "a.yaml")
    write(tmp_path, "content_type: b\nplural: bs\nsource: {table: b}\nrelations:\n  a: {target: a, column: a_id}\n", "b.yaml")
    with pytest.raises(MappingErrors, match="relation cycle cannot be ordered"):
        load_mappings(tmp_path)


def test_all_errors_of_all_files_are_reported_together(tmp_path):
    write(tmp_path, VALID + "titel: x\n", "widget.yaml")
    write(tmp_path, "content_type: gadget\nplural: gadgets\n", "gadget.yaml")
    with pytest.raises(MappingErrors) as caught:
        load_mappings(tmp_path)
    assert sorted(e.key for e in caught.value.errors) == ["source", "titel"]


def test_missing_directory(tmp_path):
    with pytest.raises(MappingErrors, match="does not exist"):
        load_mappings(tmp_path / "nope")


def test_partition_defaults(tmp_path):
    spec = load_mapping(write(tmp_path, VALID + 'partition:\n  start: "2024-01-01"\n'))
    assert (spec.partition.column, spec.partition.granularity, spec.partition.start) == ("created_at", "monthly", "2024-01-01")


@pytest.mark.parametrize("text, key, fragment", [
    ('partition:\n  start: "2024-13-45"\n', "partition.start", "is not a date"),
    ('partition:\n  start: "2024-01-01"\n  granularity: weekly\n', "partition.granularity", "not one of"),
    ('partition:\n  column: created_at\n', "partition.start", "required key is missing"),
])
def test_bad_partition_is_refused(tmp_path, text, key, fragment):
    with pytest.raises(MappingErrors) as caught:
        load_mapping(write(tmp_path, VALID + text))
    assert caught.value.errors[0].key == key and fragment in caught.value.errors[0].message


def test_a_broken_file_disables_only_itself_and_the_types_that_point_at_it(tmp_path):
    from pipelines.mapping import load_mapping_set

    write(tmp_path, VALID)  # widget: points at itself
    write(tmp_path, "content_type: gadget\nplural: gadgets\nsource: {table: gadget}\nfields: {name: name}\n", "gadget.yaml")
    write(tmp_path, "content_type: part\nplural: parts\nsource: {table: part}\nrelations:\n  gadget: {target: gadget, column: gadget_id}\n",
          "part.yaml")
    write(tmp_path, "content_type: gadget\nplural: gadgets\nsource: {tabel: gadget}\n", "gadget.yaml")  # now broken
    loaded = load_mapping_set(tmp_path)
    assert loaded.mappings.content_types == ["widget"]
    assert set(loaded.broken) == {"gadget", "part"}
    (gadget_error,) = loaded.broken["gadget"][:1]
    assert gadget_error.key == "source.tabel"
    (waits,) = loaded.broken["part"]
    assert waits.key == "relations.gadget.target" and "waits for 'gadget'" in waits.message and "gadget.yaml:3" in waits.message
    with pytest.raises(MappingErrors):
        load_mappings(tmp_path)


def test_a_run_of_some_types_checks_only_them_and_what_they_link_to(tmp_path):
    from pipelines.mapping import UnknownContentType

    write(tmp_path, VALID)  # widget: points at itself
    write(tmp_path, "content_type: part\nplural: parts\nsource: {table: part}\nrelations:\n  gadget: {target: gadget, column: gadget_id}\n",
          "part.yaml")
    write(tmp_path, "content_type: gadget\nplural: gadgets\nsource: {tabel: gadget}\n", "gadget.yaml")  # a typo
    assert load_mappings(tmp_path, only=["widget"]).content_types == ["widget"]  # gadget's typo is not its business
    with pytest.raises(MappingErrors) as caught:
        load_mappings(tmp_path, only=["part"])  # part links to gadget: gadget's errors stop it
    assert [e.key for e in caught.value.errors] == ["relations.gadget.target"] and "gadget.yaml:3" in str(caught.value.errors[0])
    with pytest.raises(MappingErrors) as caught:
        load_mappings(tmp_path, only=["gadget"])
    assert caught.value.errors[0].key == "source.tabel"
    with pytest.raises(MappingErrors):
        load_mappings(tmp_path)  # a run of every type uses gadget
    with pytest.raises(UnknownContentType, match="widget"):
        load_mappings(tmp_path, only=["sprocket"])


def test_the_digest_of_a_mapping_folder_follows_every_edit(tmp_path):
    from pipelines.mapping import mappings_digest

    write(tmp_path, VALID)
    first = mappings_digest(tmp_path)
    assert mappings_digest(tmp_path) == first
    (tmp_path / "widget.yaml").write_text(VALID.replace("widget", "widgets", 1))
    assert mappings_digest(tmp_path) != first
    (tmp_path / "widget.yaml").write_text(VALID)
    assert mappings_digest(tmp_path) == first  # a fix back to the same text is the same folder
    write(tmp_path, "content_type: gadget\n", "gadget.yaml")
    assert mappings_digest(tmp_path) != first



def test_a_mapping_names_its_key_and_relations_link_by_their_targets_key(tmp_path):
    write(tmp_path, VALID.replace("plural: widgets", "plural: widgets\nkey: medusaId"))
    write(tmp_path, "content_type: gadget\nplural: gadgets\nsource: {table: gadget}\nrelations:\n"
                    "  widget: {target: widget, column: widget_id}\n", "gadget.yaml")
    mappings = load_mappings(tmp_path)
    assert mappings.get("widget").key == "medusaId" and mappings.get("gadget").key == "medusa_id"
    assert mappings.get("gadget").relation("widget").target_key == "medusaId"
    assert mappings.get("widget").relation("owner").target_key == "medusaId"


@pytest.mark.parametrize("key, where, message", [
    ("documentId", "key", "is a name Strapi reserves for itself"),
    ("title", "fields.title", "is this type's key, which the sync writes itself"),
    ("1x", "key", "is not a valid name"),
])
def test_a_key_that_cannot_be_one_is_refused_with_its_line(tmp_path, key, where, message):
    path = write(tmp_path, VALID.replace("plural: widgets", f"plural: widgets\nkey: {key!r}"))
    with pytest.raises(MappingErrors) as caught:
        load_mapping(path)
    assert any(e.key == where and message in e.message for e in caught.value.errors), caught.value


def test_an_enumeration_needs_its_values_and_values_need_an_enumeration(tmp_path):
    path = write(tmp_path, VALID.replace("  widget_type: type", "  widget_type: {column: type, convert: enumeration}"))
    with pytest.raises(MappingErrors) as caught:
        load_mapping(path)
    assert [e.key for e in caught.value.errors] == ["fields.widget_type.convert"]
    path = write(tmp_path, VALID.replace("  widget_type: type", "  widget_type: {column: type, values: [a, b]}"))
    with pytest.raises(MappingErrors) as caught:
        load_mapping(path)
    assert [e.key for e in caught.value.errors] == ["fields.widget_type.values"]
    path = write(tmp_path, VALID.replace("  widget_type: type", "  widget_type: {column: type, convert: enumeration, values: [a, b]}"))
    assert load_mapping(path).fields["widget_type"].values == ("a", "b")
