"""An image's pixel dimensions read from its header (pipelines.media.pixels), and the refusal of decompression
bombs before upload, with crafted headers."""

from __future__ import annotations

import ipaddress
import struct
import zlib

import pytest

from pipelines.media.fetch import FetchError, FetchPolicy, MediaFetcher
from pipelines.media.pixels import image_pixels
from pipelines.settings import MediaSettings, SettingsError
from tests.support.image_server import ImageServer, png


def png_header(width: int, height: int) -> bytes:
    """A PNG's signature and IHDR chunk: what a decoder sizes its buffer from (no pixel data needed)."""
    ihdr = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)
    return (b"\x89PNG\r\n\x1a\n" + struct.pack(">I", len(ihdr)) + b"IHDR" + ihdr
            + struct.pack(">I", zlib.crc32(b"IHDR" + ihdr) & 0xFFFFFFFF))


def jpeg_header(width: int, height: int, sof: int = 0xC0) -> bytes:
    """SOI, an APP0 (JFIF) and an APP1 segment, a DHT-like C4 segment to skip, then the frame header."""
    app0 = b"\xff\xe0" + struct.pack(">H", 16) + b"JFIF\x00\x01\x01\x00\x00\x01\x00\x01\x00\x00"
    app1 = b"\xff\xe1" + struct.pack(">H", 2 + 300) + b"Exif\x00\x00" + b"\xff\xc0" * 147  # a fake SOF inside: skipped
    dht = b"\xff\xc4" + struct.pack(">H", 5) + b"\x00\x01\x02"
    frame = bytes([0xFF, sof]) + struct.pack(">HBHHB", 11, 8, height, width, 1) + b"\x01\x11\x00"
    return b"\xff\xd8" + app0 + app1 + dht + b"\xff\xff" + frame + b"\xff\xda\x00\x08"


def gif_header(width: int, height: int, frame: tuple[int, int, int, int] | None = None) -> bytes:
    screen = b"GIF89a" + struct.pack("<HHBBB", width, height, 0x80, 0, 0) + b"\x00" * 6  # a 2-colour global table
    extension = b"\x21\xf9\x04\x00\x00\x00\x00\x00"  # graphic control
    left, top, w, h = frame or (0, 0, width, height)
    image = b"\x2c" + struct.pack("<HHHHB", left, top, w, h, 0) + b"\x02" + b"\x02\x4c\x01" + b"\x00"
    return screen + extension + image + b"\x3b"


def webp(chunk: bytes, payload: bytes) -> bytes:
    return b"RIFF" + struct.pack("<I", 4 + 8 + len(payload)) + b"WEBP" + chunk + struct.pack("<I", len(payload)) + payload


def webp_vp8(width: int, height: int) -> bytes:
    return webp(b"VP8 ", b"\x10\x02\x00" + b"\x9d\x01\x2a" + struct.pack("<HH", width, height) + b"\x00" * 10)


def webp_vp8l(width: int, height: int) -> bytes:
    bits = (width - 1) | ((height - 1) << 14)
    return webp(b"VP8L", b"\x2f" + struct.pack("<I", bits) + b"\x00" * 10)


def webp_vp8x(width: int, height: int) -> bytes:
    return webp(b"VP8X", b"\x00\x00\x00\x00" + (width - 1).to_bytes(3, "little") + (height - 1).to_bytes(3, "little"))


@pytest.mark.parametrize("head, size", [
    (png_header(16000, 16000), (16000, 16000)),
    (png(64, 48), (64, 48)),
    (jpeg_header(800, 600), (800, 600)),
    (jpeg_header(20000, 30000, sof=0xC2), (20000, 30000)),  # progressive
    (gif_header(320, 200), (320, 200)),
    (gif_header(10, 10, frame=(5, 5, 60000, 60000)), (60005, 60005)),  # a frame past the screen widens it
    (webp_vp8(1024, 768), (1024, 768)),
    (webp_vp8l(16383, 16383), (16383, 16383)),
    (webp_vp8x(16777216, 3), (16777216, 3)),
])
def test_pixel_dimensions_are_read_from_each_formats_header(head, size):
    assert image_pixels(head) == size


@pytest.mark.parametrize("head", [
    b"", b"\x00\x00\x00\x1cftypavif" + b"\x00" * 40, b"II*\x00" + b"\x00" * 40,  # AVIF, TIFF: not read
    b"<svg/>", png_header(10, 10)[:20],  # cut in the middle of IHDR
    b"\xff\xd8\xff\xe0\x00\x10JFIF" + b"\x00" * 10,  # a JPEG cut before its frame header
    b"\xff\xd8\xff\xda\x00\x08" + b"\x00" * 10,  # a scan before any frame header
    webp(b"VP8 ", b"\x00" * 20),  # no key frame start code
])
def test_unknown_formats_and_unreadable_headers_have_no_size(head):
    assert image_pixels(head) is None


def test_a_header_made_of_tiny_segments_or_blocks_has_no_size(monkeypatch):
    import pipelines.media.pixels as pixels

    comments = b"\xff\xfe\x00\x02" * (pixels.MAX_SEGMENTS + 1)  # empty COM segments, then a frame header
    assert image_pixels(b"\xff\xd8" + comments + jpeg_header(10, 10)[2:]) is None
    assert image_pixels(b"\xff\xd8" + comments[:400] + jpeg_header(10, 10)[2:]) == (10, 10)
    monkeypatch.setattr(pixels, "MAX_BLOCKS", 1000)
    tiny = b"\x21\xfe" + b"\x01\x00" * 1001 + b"\x00"  # a comment extension of 1001 one-byte sub-blocks
    assert image_pixels(gif_header(10, 10)[:19] + tiny + gif_header(10, 10)[19:]) is None
    assert image_pixels(gif_header(10, 10)[:19] + tiny[:200] + b"\x00" + gif_header(10, 10)[19:]) == (10, 10)


LOOPBACK = (ipaddress.ip_network("127.0.0.1/32"),)


def policy(**overrides) -> FetchPolicy:
    return FetchPolicy(**{"allowed_hosts": frozenset({"127.0.0.1"}), "allowed_networks": LOOPBACK, "max_bytes": 100_000,
                          "timeout": (2.0, 2.0), "retries": 1, **overrides})


def test_a_decompression_bomb_is_refused_before_upload_as_a_permanent_failure():
    with ImageServer() as server:
        bomb = server.image("/bomb.png", png_header(16000, 16000) + b"\x00" * 100)  # 256 million pixels in 133 bytes
        with pytest.raises(FetchError, match=r"16,000 x 16,000 pixels, over the 40,000,000-pixel limit \(MEDIA_MAX_PIXELS\)") as refused:
            MediaFetcher(policy()).fetch(bomb)
        assert refused.value.permanent
        assert MediaFetcher(policy(max_pixels=300_000_000)).fetch(bomb).mime == "image/png"
        fine = server.image("/fine.png", png(64, 48))
        assert MediaFetcher(policy(max_pixels=64 * 48)).fetch(fine).mime == "image/png"
        cut = server.image("/cut.png", png_header(10, 10)[:20] + b"")
        with pytest.raises(FetchError, match="does not say its size") as refused:
            MediaFetcher(policy()).fetch(cut)
        assert refused.value.permanent
        avif = server.image("/a.avif", b"\x00\x00\x00\x1cftypavif" + b"\x00" * 40, content_type="image/avif")
        assert MediaFetcher(policy(max_pixels=1)).fetch(avif).mime == "image/avif"  # not measured: as before


def test_the_pixel_limit_is_a_media_setting():
    assert FetchPolicy.from_settings(MediaSettings.from_env({})).max_pixels == 40_000_000
    assert FetchPolicy.from_settings(MediaSettings.from_env({"MEDIA_MAX_PIXELS": "1000000"})).max_pixels == 1_000_000
    with pytest.raises(SettingsError, match="MEDIA_MAX_PIXELS must be a whole number >= 1"):
        MediaSettings.from_env({"MEDIA_MAX_PIXELS": "lots"})


def test_the_media_pass_quarantines_the_bombs_row_with_the_reason():
    from pipelines.mapping.spec import MediaAttribute
    from pipelines.media.plan import MediaAction, MediaEntry
    from pipelines.media.run import MediaPass
    from pipelines.sync.result import SyncResult

    class Strapi:  # nothing is asked of Strapi before the file is fetched
        def unrepeatable_route(self, path):
            pass

    result = SyncResult("image")
    media = MediaAttribute("file", "url")
    with ImageServer() as server:
        url = server.image("/bomb.png", png_header(16000, 16000) + b"\x00" * 100)
        settings = MediaSettings.from_env({"MEDIA_ALLOWED_HOSTS": "127.0.0.1", "MEDIA_ALLOW_NETWORKS": "127.0.0.1/32"})
        media_pass = MediaPass(None, Strapi(), settings, fail=result.record_failure)
        fetcher = MediaFetcher(FetchPolicy.from_settings(settings))
        failure = media_pass._do(media, MediaAction("fetch", "img_1", MediaEntry("img_1", "doc1", url)), fetcher)
    result.record_failure(failure)
    assert failure.permanent and result.quarantined == 1 and result.ok
    assert "file: " in failure.message and "MEDIA_MAX_PIXELS" in failure.message
