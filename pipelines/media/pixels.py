"""An image's pixel dimensions, read from its header: what a decoder will allocate, known before any decoding.

A few kilobytes of PNG can declare 16,000 × 16,000 pixels (a gigabyte once decoded): the byte limit does not
see it, the image processor Strapi resizes uploads with does. The media pass refuses an image above
MEDIA_MAX_PIXELS before uploading it. Pure functions over bytes, standard library only.

Read: PNG (IHDR), JPEG (the first SOFn frame header), GIF (the logical screen and every frame's
descriptor), WebP (VP8, VP8L, VP8X).
Other formats (AVIF, TIFF) return None, as do headers too short or malformed to read.
"""

from __future__ import annotations

import struct

# JPEG start-of-frame markers: SOF0-3, 5-7, 9-11, 13-15 (not DHT C4, JPG C8, DAC CC)
JPEG_FRAMES = frozenset({0xC0, 0xC1, 0xC2, 0xC3, 0xC5, 0xC6, 0xC7, 0xC9, 0xCA, 0xCB, 0xCD, 0xCE, 0xCF})
JPEG_STANDALONE = frozenset({0x01, *range(0xD0, 0xD8)})  # TEM, RST0-7: markers without a length
READ_TYPES = frozenset({"image/png", "image/jpeg", "image/gif", "image/webp"})  # the MIME types image_pixels reads
# Walked at most, a few tenths of a second: a file made of tiny segments or blocks has no readable size (None)
MAX_SEGMENTS = 10_000  # JPEG segments before the frame header (a photo has a few dozen)
MAX_BLOCKS = 1_000_000  # GIF blocks and sub-blocks (20 MB of full 255-byte sub-blocks is 80,000)


def image_pixels(head: bytes) -> tuple[int, int] | None:
    """(width, height) in pixels of the image whose first bytes are `head` (the whole file will do), or None when
    its format is not one read here or its header cannot be read."""
    for reader in (_png, _gif, _webp, _jpeg):
        size = reader(head)
        if size is not None:
            return size
    return None


def _png(data: bytes) -> tuple[int, int] | None:
    if data[:8] != b"\x89PNG\r\n\x1a\n" or data[12:16] != b"IHDR" or len(data) < 24:
        return None
    return struct.unpack(">II", data[16:24])


def _gif(data: bytes) -> tuple[int, int] | None:
    """The logical screen, widened to every frame that reaches past it (decoders enlarge the canvas for them)."""
    if data[:6] not in (b"GIF87a", b"GIF89a") or len(data) < 13:
        return None
    width, height = struct.unpack("<HH", data[6:10])
    at = 13 + (3 << ((data[10] & 7) + 1) if data[10] & 0x80 else 0)  # past the global colour table
    blocks = 0
    while at < len(data):
        block = data[at]
        if block == 0x2C and at + 10 <= len(data):  # an image descriptor: left, top, width, height
            left, top, frame_width, frame_height = struct.unpack("<HHHH", data[at + 1:at + 9])
            width, height = max(width, left + frame_width), max(height, top + frame_height)
            flags = data[at + 9]
            at += 10 + (3 << ((flags & 7) + 1) if flags & 0x80 else 0) + 1  # local colour table, LZW code size
        elif block == 0x21:  # an extension: its label, then sub-blocks
            at += 2
        else:  # the trailer, or bytes that are no block
            break
        while at < len(data) and data[at]:  # sub-blocks, up to the empty one
            at += data[at] + 1
            blocks += 1
            if blocks > MAX_BLOCKS:
                return None
        at += 1
        blocks += 1
    return width, height


def _webp(data: bytes) -> tuple[int, int] | None:
    if data[:4] != b"RIFF" or data[8:12] != b"WEBP":
        return None
    chunk = data[12:16]
    if chunk == b"VP8X" and len(data) >= 30:  # extended: the canvas, 24-bit (minus one) each
        return 1 + int.from_bytes(data[24:27], "little"), 1 + int.from_bytes(data[27:30], "little")
    if chunk == b"VP8L" and len(data) >= 25 and data[20] == 0x2F:  # lossless: 14 bits (minus one) each
        bits = int.from_bytes(data[21:25], "little")
        return 1 + (bits & 0x3FFF), 1 + ((bits >> 14) & 0x3FFF)
    if chunk == b"VP8 " and len(data) >= 30 and data[23:26] == b"\x9d\x01\x2a":  # lossy key frame: 14 bits each
        width, height = struct.unpack("<HH", data[26:30])
        return width & 0x3FFF, height & 0x3FFF
    return None


def _jpeg(data: bytes) -> tuple[int, int] | None:
    """The first frame header's size: segments are walked from the start (skipping fill bytes, and stray bytes
    between segments as decoders do) until a SOFn; none before the scan (SOS), the end or MAX_SEGMENTS is None."""
    if data[:2] != b"\xff\xd8":
        return None
    at = 2
    for _ in range(MAX_SEGMENTS):
        if at >= len(data):
            return None
        if data[at] != 0xFF:  # stray bytes between segments: decoders skip to the next marker
            at = data.find(b"\xff", at)
            if at < 0:
                return None
        while at < len(data) and data[at] == 0xFF:  # fill bytes
            at += 1
        if at >= len(data):
            return None
        marker = data[at]
        at += 1
        if marker == 0x00 or marker in JPEG_STANDALONE:
            continue
        if marker in (0xD9, 0xDA):  # end of image, start of scan: no frame header before them
            return None
        if at + 2 > len(data):
            return None
        length = struct.unpack(">H", data[at:at + 2])[0]
        if marker in JPEG_FRAMES:
            if length < 7 or at + 7 > len(data):
                return None
            height, width = struct.unpack(">HH", data[at + 3:at + 7])
            return width, height
        if length < 2:
            return None
        at += length
    return None
