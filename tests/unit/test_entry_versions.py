"""Draft & Publish and locales: the mapping's `strapi:` block, the REST queries it makes, the content type it
generates, and what another locale of an entry is sent (pipelines/entry_versions.py, sync/plan.py)."""

from __future__ import annotations

import textwrap
from types import SimpleNamespace

import pytest
import sqlalchemy as sa

from pipelines.entry_versions import PLAIN, EntryVersions
from pipelines.mapping import MappingErrors, load_mapping, load_mappings
from pipelines.settings import SHIPPED_MAPPINGS_DIR
from pipelines.strapi.content_types import content_type_schema
from pipelines.sync.plan import PlanContext, plan_entry, plan_other_locale
from pipelines.sync.transform import Record

V2 = load_mappings(SHIPPED_MAPPINGS_DIR / "medusa-v2")

WIDGET = """\
content_type: widget
plural: widgets
source:
  table: widget
fields:
  title: title
strapi:
{block}
"""


def load(tmp_path, block: str):
    path = tmp_path / "widget.yaml"
    path.write_text(WIDGET.format(block=textwrap.indent(textwrap.dedent(block), "  ")))
    return load_mapping(path)


def test_a_plain_type_reads_and_writes_without_extra_parameters():
    assert (PLAIN.read, PLAIN.write, PLAIN.delete, PLAIN.plain, PLAIN.unpublishes) == ((), (), (), True, False)


def test_draft_and_publish_reads_drafts_and_publishes_on_sync_or_leaves_it_to_editors():
    on_sync = EntryVersions(draft_and_publish=True)
    editor = EntryVersions(draft_and_publish=True, publish="editor")
    assert on_sync.read == editor.read == (("status", "draft"),)  # every document has a draft
    assert on_sync.write == ()  # REST publishes by default
    assert editor.write == (("status", "draft"),)
    assert editor.write_in("fr") == (("status", "draft"), ("locale", "fr"))


def test_a_localized_type_deletes_every_locale_and_reads_them_all_for_the_others():
    versions = EntryVersions(draft_and_publish=True, localized=True)
    assert versions.delete == (("locale", "*"),)
    assert versions.every_locale == (("status", "draft"), ("locale", "*"))
    assert EntryVersions(draft_and_publish=True, on_delete="unpublish").unpublishes


def test_the_strapi_block_is_read_from_the_mapping(tmp_path):
    spec = load(tmp_path, "draft_and_publish: true\npublish: editor\non_delete: unpublish\nlocalized: true\n")
    assert spec.strapi == EntryVersions(True, True, "editor", "unpublish")
    assert load_mapping(SHIPPED_MAPPINGS_DIR / "product.yaml").strapi == PLAIN  # v1: as before


@pytest.mark.parametrize("block, line, key, fragment", [
    ("publish: editor\n", 8, "strapi.publish", "applies to a type with Draft & Publish"),
    ("on_delete: unpublish\n", 8, "strapi.on_delete", "applies to a type with Draft & Publish"),
    ("draft_and_publish: true\npublish: later\n", 9, "strapi.publish", "not one of on_sync, editor"),
    ("draft_and_publish: yes please\n", 8, "strapi.draft_and_publish", "expected boolean"),
    ("localised: true\n", 8, "strapi.localised", "unknown key"),
])
def test_a_bad_strapi_block_is_refused_with_file_line_key(tmp_path, block, line, key, fragment):
    with pytest.raises(MappingErrors) as caught:
        load(tmp_path, block)
    error = caught.value.errors[0]
    assert (error.line, error.key) == (line, key), str(error)
    assert fragment in error.message, str(error)


def text_columns(name: str, schema: str = "public") -> sa.Table:
    """Any table of the v2 set, every column text (enough to generate a schema without a database)."""
    spec = next(s for s in V2 if s.table == name)
    columns = {spec.primary_key, *spec.source_columns, *(f.column for f in spec.fields.values() if f.column)}
    return sa.Table(name, sa.MetaData(), *(sa.Column(c, sa.Text) for c in sorted(c for c in columns if c)), schema=schema)


def test_the_generated_type_has_draft_and_publish_i18n_and_asks_for_the_per_version_index():
    product = V2.get("product")
    schema = content_type_schema(product, V2, SimpleNamespace(table=text_columns))
    assert schema["options"] == {"draftAndPublish": True}
    assert schema["pluginOptions"] == {"bulk-upsert": {"uniqueKey": "medusa_id"}, "i18n": {"localized": True}}
    assert "column" not in schema["attributes"]["medusa_id"]  # a column unique across drafts and locales cannot hold
    localized = {name for name, a in schema["attributes"].items() if a["pluginOptions"]["i18n"]["localized"]}
    assert localized == set(product.cms_only)  # Medusa's fields, relations and medusa_id are shared by every locale


def test_a_plain_type_keeps_its_unique_column_and_no_plugin_options():
    tag = V2.get("product-tag")
    schema = content_type_schema(tag, V2, SimpleNamespace(table=text_columns))
    assert schema["options"] == {"draftAndPublish": False} and schema["pluginOptions"] == {}
    assert schema["attributes"]["medusa_id"]["column"] == {"unique": True}


CTX = PlanContext(content_type="product", relations={"tags": "tag", "collection": "collection"},
                  target_ids={"tag": {"t1": "docT1", "t2": "docT2"}, "collection": {"c1": "docC1"}},
                  cms_owned=frozenset({"title"}), locale_bound=frozenset({"collection"}))
RECORD = Record("p1", {"title": "Mug", "description": "350 ml"}, {"tags": ["t1", "t2"], "collection": "c1"})
DEFAULT = {"documentId": "doc1", "title": "Mug", "description": "350 ml",
           "tags": [{"medusa_id": "t1"}, {"medusa_id": "t2"}], "collection": {"medusa_id": "c1"}}


def test_another_locale_gets_the_shared_values_it_lacks_never_its_own_copy():
    french = {"documentId": "doc1", "locale": "fr", "title": "Mug", "description": "300 ml", "seo_title": "Une tasse",
              "tags": [], "collection": None}
    plan = plan_entry(RECORD, DEFAULT, CTX)
    # the relation to a localized type waits for that locale of the target; seo_title is never sent
    assert plan_other_locale(RECORD, plan, DEFAULT, french, CTX) == {"description": "350 ml", "tags": ["docT1", "docT2"]}


def test_a_locale_up_to_date_gets_nothing_and_two_way_fields_follow_the_default_locale():
    french = {**DEFAULT, "locale": "fr"}
    plan = plan_entry(RECORD, DEFAULT, CTX)
    assert plan_other_locale(RECORD, plan, DEFAULT, french, CTX) == {}
    edited = {**DEFAULT, "title": "Big Mug"}  # an editor's title in the default locale stays (two-way: Strapi's)
    plan = plan_entry(RECORD, edited, CTX)
    assert plan_other_locale(RECORD, plan, edited, {**french, "title": "Mug"}, CTX) == {"title": "Big Mug"}
