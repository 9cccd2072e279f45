"""Hostile inputs made in code: bombs, truncations, lies about the type."""

from __future__ import annotations

import io
import random
import struct
import zlib


def png_chunk(kind: bytes, payload: bytes) -> bytes:
    return struct.pack(">I", len(payload)) + kind + payload + struct.pack(">I", zlib.crc32(kind + payload))


def png_bomb(width: int = 100_000, height: int = 100_000) -> bytes:
    """A valid PNG header claiming a huge image, with a tiny compressed body."""
    ihdr = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)
    row = b"\x00" + b"\x00" * (width * 3)
    body = zlib.compress(row * 4, 9)  # a few rows only: the rest is missing
    return (
        b"\x89PNG\r\n\x1a\n" + png_chunk(b"IHDR", ihdr) + png_chunk(b"IDAT", body) + png_chunk(b"IEND", b"")
    )


def undecodable_png(seed: int, side: int = 48) -> bytes:
    """A PNG that passes the submit checks (a sound header and chunk layout) but whose IDAT zlib stream
    is garbage throughout: not one row decodes, so no browser shows anything either. Only the worker's
    full decode finds it. Distinct for each seed."""
    rng = random.Random(seed)
    ihdr = struct.pack(">IIBBBBB", side, side, 8, 2, 0, 0, 0)
    idat = rng.randbytes(200 + seed % 100)
    return (
        b"\x89PNG\r\n\x1a\n" + png_chunk(b"IHDR", ihdr) + png_chunk(b"IDAT", idat) + png_chunk(b"IEND", b"")
    )


def png_refused_at_submit(seed: int) -> bytes:
    """The PNG signature and a header cut short: found by its first bytes (a client sends it), refused
    at submit as invalid_image. Distinct for each seed."""
    ihdr = struct.pack(">IIBBBBB", 48, 48, 8, 2, 0, 0, 0)
    return b"\x89PNG\r\n\x1a\n" + png_chunk(b"IHDR", ihdr)[:15] + random.Random(seed).randbytes(4)


def tiny_image(seed: int) -> bytes:
    """A small valid image (32-64 px, PNG or JPEG by seed), distinct for each seed: a flat colour with
    a checker of a second one, as a site's icons and thumbnails look."""
    from PIL import Image

    rng = random.Random(seed)
    side = 32 + seed % 33
    image = Image.new("RGB", (side, side), tuple(rng.randrange(256) for _ in range(3)))
    accent = Image.new("RGB", (side, side), tuple(rng.randrange(256) for _ in range(3)))
    mask = Image.new("L", (side, side))
    mask.putdata([255 if (x // 8 + y // 8 + seed) % 3 == 0 else 0 for y in range(side) for x in range(side)])
    image.paste(accent, mask=mask)
    out = io.BytesIO()
    image.save(out, "JPEG" if seed % 2 else "PNG", quality=90)
    return out.getvalue()


def truncated(data: bytes, keep: float = 0.5) -> bytes:
    """Cut short. A JPEG or PNG cut after some rows is shown (and optimized) down to where it stops:
    cut_before_rows() is the broken one."""
    return data[: int(len(data) * keep)]


def cut_before_rows(data: bytes) -> bytes:
    """A JPEG or PNG cut a few bytes into its image data (no row of pixels in it), a GIF cut before
    the first LZW code of its first frame: a browser shows nothing of it, and pixpress refuses it
    (invalid_image). (A GIF cut one byte later shows its first pixel in Chromium.)"""
    if data.startswith(b"\xff\xd8"):
        return data[: data.index(b"\xff\xda") + 24]
    if data.startswith(b"GIF"):
        from tests.imaging.oracle.damaged_corpus import gif_blocks

        first = next(start for kind, start, _ in gif_blocks(data) if kind == "image")
        packed = data[first + 9]
        local_table = 3 << ((packed & 7) + 1) if packed & 0x80 else 0
        return data[: first + 10 + local_table + 2]  # its LZW code size and first sub-block's length
    return data[: data.index(b"IDAT") + 14]


HTML_AS_PNG = b"<!DOCTYPE html><html><body><script>alert(1)</script></body></html>"
SVG = b'<?xml version="1.0"?><svg xmlns="http://www.w3.org/2000/svg" width="10" height="10"></svg>'
TIFF_HEADER = b"II*\x00\x08\x00\x00\x00" + b"\x00" * 64
BMP_HEADER = b"BM" + b"\x00" * 64
PDF = b"%PDF-1.7\n1 0 obj\n<<>>\nendobj\ntrailer\n<<>>\n%%EOF\n"
