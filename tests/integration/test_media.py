"""Product images as files in Strapi's media library (the image mapping's `media: {file: {from: url}}`), against
the real Strapi, with the images served by a local HTTP server of the tests' own (loopback allowed explicitly)."""

from __future__ import annotations

import ipaddress
import logging

import pytest

from pipelines.media.run import RECORDS
from pipelines.settings import MediaSettings, WritePaths
from pipelines.strapi.client import StrapiClient
from pipelines.sync.run import sync_all
from pipelines.sync.state import Quarantine
from tests.support.image_server import ImageServer, png

from .conftest import reconcile_into

ALLOWED = MediaSettings(allowed_hosts=frozenset({"127.0.0.1", "10.255.255.1"}),
                        allowed_networks=(ipaddress.ip_network("127.0.0.1/32"),), max_bytes=200_000)


def library(strapi: StrapiClient) -> dict[int, dict]:
    """Every file in the media library, by id."""
    return {f["id"]: f for f in strapi.request("GET", "/api/upload/files") or []}


def images(strapi: StrapiClient) -> dict[str, dict]:
    """Image entries by medusa_id, with their url, alt_text and linked file."""
    entries = strapi.iter_entries("images", fields=["medusa_id", "url", "alt_text"],
                                  populate={"file": ["name", "alternativeText", "caption", "url"]})
    return {e["medusa_id"]: e for e in entries}


@pytest.fixture
def server():
    with ImageServer() as s:
        yield s


@pytest.fixture
def media_strapi(synced_strapi: StrapiClient) -> StrapiClient:
    """The test Strapi equal to this test's Medusa copy, with an empty media library and no media records."""
    for entry in list(synced_strapi.iter_entries(RECORDS, fields=["key"])):
        synced_strapi.delete(RECORDS, entry["documentId"])
    for file_id in library(synced_strapi):
        synced_strapi.request("DELETE", f"/api/upload/files/{file_id}")
    for entry in synced_strapi.iter_entries("images", fields=["medusa_id"], populate={"file": ["name"]}):
        if entry.get("file"):
            synced_strapi.update("images", entry["documentId"], {"file": None})
    return synced_strapi


def serve_catalog(server: ImageServer, medusa_sql, distinct: int = 5) -> dict[str, str]:
    """Point every live Medusa image at one of `distinct` PNGs on the server (so some share content), with
    alt text in metadata; returns medusa_id -> URL."""
    ids = [r[0] for r in medusa_sql("select id from image where deleted_at is null order by id")]
    urls = {}
    for i, image_id in enumerate(ids):
        path = f"/catalog/{i % distinct}.png"
        server.image(path, png(40 + i % distinct, 30, (i % distinct % 256, (i % distinct) // 256, 160)))
        urls[image_id] = server.url(path)
        medusa_sql("update image set url = :url, metadata = jsonb_build_object('alt', cast(:alt as text)), updated_at = now() where id = :id",
                   url=urls[image_id], alt=f"Alt {image_id}", id=image_id)
    return urls


def sync_images(mappings, source, strapi, **options):
    (result,) = sync_all(mappings, source, strapi, only=["image"], media=ALLOWED, **options)
    return result


def test_images_land_in_the_media_library_once_per_content_and_a_resync_uploads_nothing(
        mappings, source, media_strapi, medusa_sql, server):
    urls = serve_catalog(server, medusa_sql, distinct=5)
    plan = sync_images(mappings, source, media_strapi, dry_run=True)  # what `medusa-strapi plan` shows
    assert plan.media == {"to fetch": len(urls)} and server.requests == [] and library(media_strapi) == {}
    first = sync_images(mappings, source, media_strapi)
    assert first.ok and first.quarantined == 0, first.failures
    assert first.media["uploaded"] == 5 and first.media["uploaded"] + first.media.get("reused", 0) == len(urls)
    files, entries = library(media_strapi), images(media_strapi)
    assert len(files) == 5
    for image_id, url in urls.items():
        linked = entries[image_id]["file"]
        assert linked["id"] in files and linked["url"].startswith("/uploads/")
        assert entries[image_id]["url"] == url
    owner = next(iter(urls))
    assert entries[owner]["file"]["alternativeText"] in {f"Alt {i}" for i in urls}  # set from metadata.alt

    fetched = len(server.requests)
    again = sync_images(mappings, source, media_strapi)  # a full re-sync: conditional GETs only
    assert again.ok and again.media.get("uploaded", 0) == 0 and again.media.get("reused", 0) == 0
    assert library(media_strapi).keys() == files.keys()
    assert len(server.requests) - fetched == len(urls)  # one revalidation each, answered 304
    changes = sync_images(mappings, source, media_strapi, changes=True)
    assert changes.ok and not changes.media

    moved = next(iter(urls))  # the same bytes under another name: linked to the file already there
    copy_url = server.image("/elsewhere/renamed-copy.png", server.routes[urls[moved].removeprefix(server.base)][2])
    medusa_sql("update image set url = :url, updated_at = now() where id = :id", url=copy_url, id=moved)
    renamed = sync_images(mappings, source, media_strapi, changes=True)
    assert renamed.ok and renamed.media == {"reused": 1}, renamed.media
    assert library(media_strapi).keys() == files.keys()
    assert images(media_strapi)[moved]["file"]["id"] == entries[moved]["file"]["id"]

    product = media_strapi.request("GET", "/api/products", params={"populate[images][populate][0]": "file",
                                                                   "pagination[pageSize]": 1,
                                                                   "filters[images][id][$notNull]": "true"})["data"][0]
    assert all(image["file"]["url"].startswith("/uploads/") for image in product["images"])


def test_a_changed_url_or_content_replaces_the_file_and_a_deleted_image_removes_only_the_syncs_file(
        mappings, source, media_strapi, medusa_sql, server):
    urls = serve_catalog(server, medusa_sql, distinct=len(medusa_sql("select id from image")))  # no sharing
    assert sync_images(mappings, source, media_strapi).ok
    editors_file = media_strapi.request("POST", "/api/upload", files={"files": ("editor.png", png(9, 9), "image/png")})[0]
    first, second, third = sorted(urls)[:3]
    before = images(media_strapi)

    new_url = server.image("/renamed.png", png(77, 11, (1, 2, 3)))  # a new URL
    medusa_sql("update image set url = :url, updated_at = now() where id = :id", url=new_url, id=first)
    server.image(urls[second].removeprefix(server.base), png(55, 55, (9, 9, 9)))  # new bytes at the same URL
    medusa_sql("update image set deleted_at = now(), updated_at = now() where id = :id", id=third)

    changes = sync_images(mappings, source, media_strapi, changes=True)
    assert changes.ok and changes.media == {"uploaded": 1, "removed": 1}, changes.media
    reconcile = sync_images(mappings, source, media_strapi, delete_missing=True)  # revalidates: finds the new bytes
    assert reconcile.ok and reconcile.media == {"uploaded": 1}, reconcile.media

    after, files = images(media_strapi), library(media_strapi)
    assert after[first]["file"]["id"] != before[first]["file"]["id"] and before[first]["file"]["id"] not in files
    assert after[second]["file"]["id"] != before[second]["file"]["id"] and before[second]["file"]["id"] not in files
    assert third not in after and before[third]["file"]["id"] not in files
    assert editors_file["id"] in files  # never a file the sync did not upload
    records = media_strapi.iter_entries(RECORDS, fields=["medusa_id", "file_id"])
    assert {r["medusa_id"]: r["file_id"] for r in records} == {mid: e["file"]["id"] for mid, e in after.items()}


def test_alt_text_follows_medusa_but_an_editors_edit_survives(mappings, source, media_strapi, medusa_sql, server):
    serve_catalog(server, medusa_sql, distinct=len(medusa_sql("select id from image")))
    assert sync_images(mappings, source, media_strapi).ok
    one, two = sorted(images(media_strapi))[:2]
    file_two = images(media_strapi)[two]["file"]["id"]
    media_strapi.request("POST", "/api/upload", params={"id": file_two},
                         form={"fileInfo": '{"alternativeText": "Written by an editor"}'})

    for image_id in (one, two):
        medusa_sql("update image set metadata = jsonb_build_object('alt', cast(:alt as text)), updated_at = now() where id = :id",
                   alt=f"New alt {image_id}", id=image_id)
    result = sync_images(mappings, source, media_strapi, changes=True)
    assert result.ok and result.media == {"described": 1}, result.media
    entries = images(media_strapi)
    assert entries[one]["file"]["alternativeText"] == f"New alt {one}" and entries[one]["alt_text"] == f"New alt {one}"
    assert entries[two]["file"]["alternativeText"] == "Written by an editor"


def test_bad_images_are_quarantined_with_their_reason_and_the_rest_loads(mappings, source, media_strapi, medusa_sql, server):
    urls = serve_catalog(server, medusa_sql, distinct=len(medusa_sql("select id from image")))
    bad = dict(zip(sorted(urls)[:4], [
        (server.url("/missing.png"), "HTTP 404"),
        (server.image("/huge.png", png(600, 600, (1, 1, 1)) + b"\0" * 300_000), "byte limit"),
        (server.image("/page.png", b"<html>a page, not an image</html>", content_type="image/png"), "not an image"),
        (server.url("/to-private"), "10.255.255.1, a private address"),
    ]))
    server.routes["/to-private"] = (302, {"Location": "http://10.255.255.1/metadata.png"}, b"")
    for image_id, (url, _) in bad.items():
        medusa_sql("update image set url = :url, updated_at = now() where id = :id", url=url, id=image_id)

    result = sync_images(mappings, source, media_strapi)
    assert result.ok and result.quarantined == 4 and result.media["uploaded"] == len(urls) - 4
    reasons = {row.medusa_id: row.reason for row in Quarantine(media_strapi, source.identity).rows("image")}
    for image_id, (_, reason) in bad.items():
        assert reason in reasons[image_id] and "file:" in reasons[image_id]
    entries = images(media_strapi)
    assert all(entries[i]["file"] is None for i in bad) and all(entries[i]["file"] for i in urls if i not in bad)
    assert entries[next(iter(bad))]["url"] == bad[next(iter(bad))][0]  # the entry itself still loads

    fixed = next(iter(bad))  # the image is back: the row leaves the quarantine at the next run that reads it
    server.image("/missing.png", png(12, 12, (5, 5, 5)))
    medusa_sql("update image set updated_at = now() where id = :id", id=fixed)
    retried = sync_images(mappings, source, media_strapi, changes=True)
    assert retried.ok and retried.media == {"uploaded": 1}
    assert fixed not in {row.medusa_id for row in Quarantine(media_strapi, source.identity).rows("image")}


def test_without_allowed_hosts_media_upload_is_off_and_says_so(mappings, source, media_strapi, medusa_sql, server, caplog):
    serve_catalog(server, medusa_sql)
    with caplog.at_level(logging.WARNING):
        (result,) = sync_all(mappings, source, media_strapi, only=["image"])
    assert result.ok and not result.media and server.requests == [] and library(media_strapi) == {}
    said = [r.getMessage() for r in caplog.records if "media upload is off" in r.getMessage()]
    assert len(said) == 1 and "MEDIA_ALLOWED_HOSTS" in said[0]
    reconcile_into(media_strapi, mappings, source)


def test_a_bulk_delete_leaves_no_media_link_behind(mappings, source, media_strapi, medusa_sql, server, strapi_sql):
    urls = serve_catalog(server, medusa_sql, distinct=len(medusa_sql("select id from image")))
    assert sync_images(mappings, source, media_strapi).ok
    gone = sorted(urls)[0]
    medusa_sql("update image set deleted_at = now(), updated_at = now() where id = :id", id=gone)
    # A reconcile through the plugin with media upload off: the entry goes, its file stays (the pass does not run).
    (result,) = sync_all(mappings, source, media_strapi, only=["image"], delete_missing=True, write_paths=WritePaths("bulk", "bulk"))
    assert result.ok and result.deleted == 1 and result.write_path == "bulk"
    dangling = strapi_sql("select count(*) from files_related_mph l where l.related_type = 'api::image.image' "
                          "and not exists (select 1 from images i where i.id = l.related_id)")
    assert dangling[0][0] == 0
    linked = strapi_sql("select count(*) from files_related_mph where related_type = 'api::image.image'")
    assert linked[0][0] == len(urls) - 1
    assert sync_images(mappings, source, media_strapi).media == {"removed": 1}  # the next pass removes its file


def png_header(width: int, height: int) -> bytes:
    """A PNG that declares `width` x `height` and holds no pixels: what a decompression bomb looks like to a
    reader of headers (a real one is a few hundred KB that decode to gigabytes)."""
    import struct
    import zlib

    def chunk(kind: bytes, data: bytes) -> bytes:
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data) & 0xFFFFFFFF)

    return b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)) + chunk(b"IEND", b"")


def test_bombs_drips_and_redirects_to_other_local_ports_never_reach_strapi(mappings, source, media_strapi, medusa_sql, server):
    """Against the real Strapi: a 16000 x 16000 PNG header is refused before upload (MEDIA_MAX_PIXELS), a server
    dripping a byte a second is cut at the overall deadline (MEDIA_FETCH_DEADLINE), and a redirect from the allowed
    image host to another loopback port (another local service) is refused; the rest of the catalog loads."""
    import time
    from dataclasses import replace

    urls = serve_catalog(server, medusa_sql, distinct=len(medusa_sql("select id from image")))
    with ImageServer() as other_service:
        other_service.image("/secret.png", png(4, 4))
        server.routes["/elsewhere"] = (302, {"Location": other_service.url("/secret.png")}, b"")
        bomb, drip, elsewhere = sorted(urls)[:3]
        for image_id, url in ((bomb, server.image("/bomb.png", png_header(16000, 16000))),
                              (drip, server.url("/drip.png")), (elsewhere, server.url("/elsewhere"))):
            medusa_sql("update image set url = :url, updated_at = now() where id = :id", url=url, id=image_id)
        server.routes["/drip.png"] = (200, {"Content-Type": "image/png", "X-Drip": "1"}, png(8, 8))
        started = time.monotonic()
        (result,) = sync_all(mappings, source, media_strapi, only=["image"], media=replace(ALLOWED, fetch_deadline=3))
        elapsed = time.monotonic() - started
        assert other_service.fetches("/secret.png") == 0
    reasons = {row.medusa_id: row.reason for row in Quarantine(media_strapi, source.identity).rows("image")}
    assert "MEDIA_MAX_PIXELS" in reasons[bomb] and "16,000 x 16,000" in reasons[bomb]
    assert "MEDIA_ALLOW_NETWORKS" in reasons[elsewhere]
    failures = " ".join(str(f) for f in result.failures) + reasons.get(drip, "")
    assert "MEDIA_FETCH_DEADLINE" in failures and elapsed < 60
    names = {f["name"] for f in library(media_strapi).values()}
    assert result.media["uploaded"] == len(urls) - 3 and len(names) == len(urls) - 3
    entries = images(media_strapi)
    assert all(entries[i]["file"] is None for i in (bomb, drip, elsewhere))
