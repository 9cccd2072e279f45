"""Hostile inputs made in code: bombs, truncations, lies about the type."""

from __future__ import annotations

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


def truncated(data: bytes, keep: float = 0.5) -> bytes:
    """Cut short. A JPEG or PNG cut after some rows is shown (and optimized) down to where it stops:
    cut_before_rows() is the broken one."""
    return data[: int(len(data) * keep)]


def cut_before_rows(data: bytes) -> bytes:
    """A JPEG or PNG cut a few bytes into its image data (no row of pixels in it), a GIF cut inside
    its first frame: a browser shows nothing of it, and pixpress refuses it (invalid_image)."""
    if data.startswith(b"\xff\xd8"):
        return data[: data.index(b"\xff\xda") + 24]
    if data.startswith(b"GIF"):
        from tests.imaging.oracle.damaged_corpus import gif_blocks

        first = next(start for kind, start, _ in gif_blocks(data) if kind == "image")
        return data[: first + 16]
    return data[: data.index(b"IDAT") + 14]


HTML_AS_PNG = b"<!DOCTYPE html><html><body><script>alert(1)</script></body></html>"
SVG = b'<?xml version="1.0"?><svg xmlns="http://www.w3.org/2000/svg" width="10" height="10"></svg>'
TIFF_HEADER = b"II*\x00\x08\x00\x00\x00" + b"\x00" * 64
BMP_HEADER = b"BM" + b"\x00" * 64
PDF = b"%PDF-1.7\n1 0 obj\n<<>>\nendobj\ntrailer\n<<>>\n%%EOF\n"
