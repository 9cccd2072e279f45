"""Edge files made in code: what real uploads look like when a writer or a network was sloppy, and what
a browser still shows. Small bases (a 64x48 photo crop in every accepted format, APNG and AVIF
sequences included), then damaged copies: truncations at many points, every PNG chunk and every JPEG
segment corrupted or dropped in turn, stray markers, missing trailers, junk after the end.

`displayable(data)` decides "a browser shows it" the strict way Pillow does
(ImageFile.LOAD_TRUNCATED_IMAGES off: every frame decodes completely); tests/imaging/test_edge_verdicts.py
runs every file through probe() and optimize() and measures the share of those pixpress optimizes.
"""

from __future__ import annotations

import io
import struct
import warnings
import zlib
from collections.abc import Iterator
from functools import cache

import numpy as np
from PIL import Image, ImageFile

from tests.conftest import CORPUS

WIDTH, HEIGHT = 64, 48
TRUNCATE_AT = (0.05, 0.25, 0.5, 0.75, 0.9, 0.98)
TRUNCATE_BY = (1, 2, 4, 8, 12, 16)  # bytes cut from the end


def _photo() -> Image.Image:
    return Image.open(CORPUS / "photo" / "kodim03.png").convert("RGB").resize((WIDTH, HEIGHT))


def _frames(count: int = 4) -> list[Image.Image]:
    photo = _photo()
    return [photo.rotate(15 * i) for i in range(count)]


def _save(image: Image.Image, fmt: str, **params: object) -> bytes:
    out = io.BytesIO()
    image.save(out, fmt, **params)
    return out.getvalue()


@cache
def bases() -> dict[str, bytes]:
    """Undamaged files, one per kind of upload."""
    photo = _photo()
    rgba = photo.convert("RGBA")
    rgba.putalpha(Image.linear_gradient("L").resize((WIDTH, HEIGHT)))
    frames = _frames()
    return {
        "png_rgb": _save(photo, "PNG"),
        "png_rgba": _save(rgba, "PNG"),
        "png_palette": _save(photo.quantize(64), "PNG"),
        "png_interlaced": _save(photo, "PNG", interlace=1),
        "png_split_idat": _split_idat(_save(photo, "PNG"), 500),
        "jpeg_baseline": _save(photo, "JPEG", quality=85),
        "jpeg_progressive": _save(photo, "JPEG", quality=85, progressive=True),
        "jpeg_restart": _save(photo, "JPEG", quality=85, restart_marker_rows=1),
        "gif_animated": _save(
            frames[0], "GIF", save_all=True, append_images=frames[1:], duration=100, loop=0
        ),
        "webp_still": _save(photo, "WEBP", quality=80),
        "webp_animated": _save(
            frames[0], "WEBP", save_all=True, append_images=frames[1:], duration=100, loop=0
        ),
        "avif_still": _save(photo, "AVIF", quality=60),
        "avif_sequence": _save(
            frames[0], "AVIF", save_all=True, append_images=frames[1:], duration=100, loop=0, quality=60
        ),
        "apng": _save(frames[0], "PNG", save_all=True, append_images=frames[1:], duration=100, loop=0),
        "apng_hidden_default": _save(
            photo, "PNG", save_all=True, append_images=frames, duration=100, loop=0, default_image=True
        ),
    }


def png_chunks(data: bytes) -> Iterator[tuple[int, int, bytes]]:
    """(start, end, kind) of every complete chunk."""
    pos = 8
    while pos + 12 <= len(data):
        length, kind = struct.unpack(">I4s", data[pos : pos + 8])
        end = pos + 12 + length
        if end > len(data):
            return
        yield pos, end, kind
        pos = end


def png_chunk(kind: bytes, payload: bytes) -> bytes:
    return struct.pack(">I", len(payload)) + kind + payload + struct.pack(">I", zlib.crc32(kind + payload))


def _split_idat(data: bytes, size: int) -> bytes:
    """The same PNG with its zlib stream cut into IDAT chunks of `size` bytes (as libpng's 8 KB)."""
    head, stream, tail = b"", b"", b""
    for start, end, kind in png_chunks(data):
        if kind == b"IDAT":
            stream += data[start + 8 : end - 4]
        elif stream:
            tail += data[start:end]
        else:
            head += data[start:end]
    idats = b"".join(png_chunk(b"IDAT", stream[i : i + size]) for i in range(0, len(stream), size))
    return data[:8] + head + idats + tail


def _jpeg_segments(data: bytes) -> Iterator[tuple[int, int, int]]:
    """(start, end, marker) of the segments before the entropy-coded data of the first scan."""
    pos = 2
    while pos + 4 <= len(data) and data[pos] == 0xFF:
        marker = data[pos + 1]
        end = pos + 2 + int.from_bytes(data[pos + 2 : pos + 4], "big")
        yield pos, end, marker
        if marker == 0xDA:
            return
        pos = end


def _flip(data: bytes, at: int) -> bytes:
    return data[:at] + bytes([data[at] ^ 0x5A]) + data[at + 1 :]


def damaged() -> dict[str, bytes]:
    """Every base and its damaged copies, by name."""
    files: dict[str, bytes] = {}
    for name, data in bases().items():
        files[name] = data
        for share in TRUNCATE_AT:
            files[f"{name}/cut{int(share * 100)}%"] = data[: int(len(data) * share)]
        for cut in TRUNCATE_BY:
            files[f"{name}/minus{cut}"] = data[:-cut]
        files[f"{name}/junk_after_end"] = data + b"junk after the end\x00\x01"
        if name.startswith(("png", "apng")):
            files.update(_png_damage(name, data))
        if name.startswith("jpeg"):
            files.update(_jpeg_damage(name, data))
    return files


def _png_damage(name: str, data: bytes) -> dict[str, bytes]:
    out: dict[str, bytes] = {}
    seen: dict[bytes, int] = {}
    for start, end, kind in png_chunks(data):
        index = seen[kind] = seen.get(kind, -1) + 1
        label = f"{name}/{kind.decode()}{index}"
        out[f"{label}_bad_crc"] = _flip(data, end - 2)
        if end - start > 12:
            out[f"{label}_bad_data"] = _flip(data, (start + 8 + end - 4) // 2)
        out[f"{label}_dropped"] = data[:start] + data[end:]
    text = png_chunk(b"tEXt", b"Comment\x00hello")
    bad_text = text[:-4] + bytes(b ^ 0xFF for b in text[-4:])
    out[f"{name}/text_bad_crc"] = data[:33] + bad_text + data[33:]
    out[f"{name}/no_iend"] = data[:-12]
    out[f"{name}/no_iend_junk"] = data[:-12] + b"\x00" * 7
    return out


def _jpeg_damage(name: str, data: bytes) -> dict[str, bytes]:
    out: dict[str, bytes] = {}
    for index, (start, end, marker) in enumerate(_jpeg_segments(data)):
        label = f"{name}/seg{index}_{marker:02X}"
        if end - start > 4:
            out[f"{label}_bad_data"] = _flip(data, (start + 4 + end) // 2)
        if marker != 0xDA:
            out[f"{label}_dropped"] = data[:start] + data[end:]
    scan = data.index(b"\xff\xda")
    middle = (scan + len(data)) // 2
    out[f"{name}/scan_bit_flip"] = _flip(data, middle)
    out[f"{name}/stray_marker_before_eoi"] = data[:-2] + b"\xff\xd4" + data[-2:]
    out[f"{name}/app_after_scan"] = data[:-2] + b"\xff\xe5\x00\x04ab" + data[-2:]
    out[f"{name}/no_eoi"] = data[:-2]
    out[f"{name}/double_eoi"] = data + b"\xff\xd9"
    return out


def displayable(data: bytes) -> bool:
    """Pillow decodes every frame completely (truncated images refused): "a browser shows it"."""
    ImageFile.LOAD_TRUNCATED_IMAGES = False
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            with Image.open(io.BytesIO(data)) as image:
                for index in range(getattr(image, "n_frames", 1)):
                    image.seek(index)
                    image.load()
                    np.asarray(image)
    except Exception:
        return False
    return True
