"""The media pass's decisions (pipelines.media.plan), without services; and the `media` mapping key."""

from __future__ import annotations

import shutil

import pytest

from pipelines.mapping import MappingErrors, load_mappings
from pipelines.media.plan import (GalleryEntry, MediaEntry, MediaRecord, described, file_name, gallery_urls, linked_order,
                                  plan_gallery, plan_media)
from pipelines.settings import SHIPPED_MAPPINGS_DIR
from pipelines.strapi.content_types import MEDIA_ATTRIBUTE

URL = "https://cdn.shop.io/a/shirt.png"


def entry(url=URL, alt=None, linked=None, mid="img_1"):
    return MediaEntry(mid, "doc1", url, alt, None, linked)


def record(url=URL, file_id=7, alt=None, mid="img_1"):
    return MediaRecord(mid, url, "ab" * 32, file_id, etag='"e1"', alt=alt, document_id="rec1")


def kinds(actions):
    return [(a.kind, a.medusa_id) for a in actions]


def test_a_new_url_is_fetched_and_an_unchanged_one_costs_nothing():
    assert kinds(plan_media([entry()], {}, revalidate=False)) == [("fetch", "img_1")]
    linked = {"id": 7, "alternativeText": None, "caption": None}
    assert plan_media([entry(linked=linked)], {"img_1": record()}, revalidate=False) == []


def test_a_reconcile_revalidates_unchanged_urls():
    linked = {"id": 7}
    assert kinds(plan_media([entry(linked=linked)], {"img_1": record()}, revalidate=True)) == [("revalidate", "img_1")]


def test_a_changed_url_is_fetched_again_with_the_old_record_to_release():
    (action,) = plan_media([entry(url="https://cdn.shop.io/b.png", linked={"id": 7})], {"img_1": record()}, revalidate=False)
    assert action.kind == "fetch" and action.record.file_id == 7


def test_an_entry_made_anew_is_linked_to_the_recorded_file():
    assert kinds(plan_media([entry(linked=None)], {"img_1": record()}, revalidate=False)) == [("link", "img_1")]


def test_an_emptied_url_or_a_gone_entry_removes_the_record():
    assert kinds(plan_media([entry(url="")], {"img_1": record()}, revalidate=False)) == [("remove", "img_1")]
    assert kinds(plan_media([], {"img_2": record(mid="img_2")}, revalidate=False, gone=["img_2", "img_3"])) == [("remove", "img_2")]
    assert plan_media([entry(url=None)], {}, revalidate=False) == []


def test_alt_text_follows_medusa_until_an_editor_changes_it():
    ours = {"id": 7, "alternativeText": "Blue shirt", "caption": None}
    assert described(entry(alt="Navy shirt", linked=ours), record(alt="Blue shirt")) == {"alternativeText": "Navy shirt"}
    theirs = {"id": 7, "alternativeText": "Edited by an editor", "caption": None}
    assert described(entry(alt="Navy shirt", linked=theirs), record(alt="Blue shirt")) == {}
    assert described(entry(alt="Blue shirt", linked=ours), record(alt="Blue shirt")) == {}
    other_file = {"id": 99, "alternativeText": "Blue shirt"}
    assert described(entry(alt="Navy shirt", linked=other_file), record(alt="Blue shirt")) == {}
    (action,) = plan_media([entry(alt="Navy shirt", linked=ours)], {"img_1": record(alt="Blue shirt")}, revalidate=False)
    assert action.kind == "describe" and action.info == {"alternativeText": "Navy shirt"}


def test_file_names_carry_the_content_hash():
    sha = "0123456789abcdef" * 4
    assert file_name("https://cdn.shop.io/a/Blue Shirt.png?w=200", sha, ".png") == "Blue-Shirt-0123456789abcdef.png"
    assert file_name("https://cdn.shop.io/", sha, ".jpg") == "cdn-shop-0123456789abcdef.jpg"
    assert file_name("https://cdn.shop.io/???", sha, ".gif") == "cdn-shop-0123456789abcdef.gif"


def test_the_image_mappings_declare_the_file_and_it_generates_a_media_attribute():
    for folder in (SHIPPED_MAPPINGS_DIR, SHIPPED_MAPPINGS_DIR / "medusa-v2"):
        media = load_mappings(folder).get("image").media["file"]
        assert (media.source, media.alt) == ("url", "alt_text")
    assert MEDIA_ATTRIBUTE == {"type": "media", "multiple": False, "required": False, "allowedTypes": ["images"]}


@pytest.mark.parametrize("block, message", [
    ("media:\n  file: {from: nope}\n", "media.file.from: 'nope' is not a field of this mapping"),
    ("media:\n  file: {from: url, alt: missing}\n", "media.file.alt: 'missing' is not a field"),
    ("media:\n  url: {from: url}\n", "attribute is also declared under fields"),
    ("media:\n  file: {alt: url}\n", "media.file"),
    ("media:\n  file: {from: url, size: 3}\n", "media.file"),
    ("media:\n  file: {from: url, column: url}\n", "media.file: a media attribute takes its URL from exactly one of"),
    ("media:\n  file: {column: url, multiple: true}\n", "media.file.multiple: several files come from a `lookup`"),
    ("media:\n  file: {column: url, alt: alt_text}\n", "media.file.alt: `alt` and `caption` name mapped fields"),
])
def test_a_bad_media_block_is_a_file_line_error(tmp_path, block, message):
    folder = tmp_path / "mappings"
    shutil.copytree(SHIPPED_MAPPINGS_DIR, folder, ignore=shutil.ignore_patterns("medusa-v2*"))
    image = folder / "image.yaml"
    text = image.read_text()
    start = text.index("media:")
    end = text.index("drop:")
    image.write_text(text[:start] + block + text[end:])
    with pytest.raises(MappingErrors) as refused:
        load_mappings(folder)
    first = str(refused.value.errors[0])
    assert first.startswith(f"{image}:") and message in first


def gallery(*urls, linked=()):
    return GalleryEntry("prod_1", "doc1", tuple(urls), tuple(linked))


def held(**files):
    return {f"http://h/{name}.png": MediaRecord("prod_1", f"http://h/{name}.png", name, file_id) for name, file_id in files.items()}


def test_a_gallery_fetches_new_urls_drops_unlisted_ones_and_keeps_their_order():
    a, b, c = (f"http://h/{n}.png" for n in "abc")
    records = held(a=1, b=2)
    plan = plan_gallery(gallery(b, c, a, linked=(1, 2)), records, revalidate=False)
    assert (plan.fetch, plan.revalidate, plan.dropped) == ((c,), (), ())
    assert linked_order(gallery(b, c, a), records) == (2, 1)  # c has no file yet: the others in the URLs' order
    assert plan_gallery(gallery(a, b, linked=(1, 2)), records, revalidate=False) is None  # nothing to do
    reordered = plan_gallery(gallery(b, a, linked=(1, 2)), records, revalidate=False)
    assert reordered is not None and not reordered.fetch and linked_order(reordered.entry, records) == (2, 1)
    dropped = plan_gallery(gallery(b, linked=(1, 2)), records, revalidate=False)
    assert [r.source_url for r in dropped.dropped] == [a]
    assert plan_gallery(gallery(a, b, linked=(1, 2)), records, revalidate=True).revalidate == (a, b)


def test_gallery_urls_are_distinct_non_empty_and_ordered_and_a_shared_file_is_linked_once():
    assert gallery_urls(["http://h/b.png", None, "", "http://h/a.png", "http://h/b.png"]) == ("http://h/b.png", "http://h/a.png")
    assert gallery_urls(None) == () and gallery_urls("http://h/a.png") == ("http://h/a.png",)
    same = {**held(a=5), **held(b=5)}
    assert linked_order(gallery("http://h/a.png", "http://h/b.png"), same) == (5,)
