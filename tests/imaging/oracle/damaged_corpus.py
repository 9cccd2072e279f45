"""Damaged-but-maybe-displayable files, made deterministically from the repository's corpus/ images:
the kinds of damage site owners upload every day (a file cut by a network, a writer's bad checksum,
a broken text chunk, junk before or after the image, GIF blocks an old tool wrote oddly).

`generate(seed)` returns {name: bytes}; a name is `base/damage`, and `kind_of(name)` groups it for the
report (crc, ancillary, truncation, junk, gif_blocks, jpeg_segments, riff, scan_data, ...). Whether
each file is displayable is Chromium's verdict (tests/imaging/oracle/chromium.py), not this module's.

    python -m tests.imaging.oracle.damaged_corpus OUT_DIR   writes the files (for a look in a browser)
"""

from __future__ import annotations

import io
import random
import struct
import sys
import zlib
from collections.abc import Iterator
from functools import cache
from pathlib import Path

from PIL import Image

from tests.conftest import CORPUS

SEED = 22
WIDTH, HEIGHT = 160, 112
CUT_SHARES = (0.02, 0.1, 0.2, 0.35, 0.5, 0.65, 0.8, 0.9, 0.97, 0.995)
CUT_BYTES = (1, 2, 4, 12, 64)  # bytes cut from the end
JUNK = b"<html><body>404 Not Found</body></html>\n"


def _photo(size: tuple[int, int] = (WIDTH, HEIGHT)) -> Image.Image:
    with Image.open(CORPUS / "photo" / "kodim05.png") as source:
        return source.convert("RGB").resize(size, Image.Resampling.LANCZOS)


def _save(image: Image.Image, fmt: str, **params: object) -> bytes:
    out = io.BytesIO()
    image.save(out, fmt, **params)
    return out.getvalue()


def png_chunk(kind: bytes, payload: bytes) -> bytes:
    return struct.pack(">I", len(payload)) + kind + payload + struct.pack(">I", zlib.crc32(kind + payload))


def png_chunks(data: bytes) -> Iterator[tuple[int, int, bytes]]:
    """(start, end, kind) of every whole chunk."""
    pos = 8
    while pos + 12 <= len(data):
        length, kind = struct.unpack(">I4s", data[pos : pos + 8])
        end = pos + 12 + length
        if end > len(data):
            return
        yield pos, end, kind
        pos = end


def _png_with_ancillary(data: bytes, icc: bytes) -> bytes:
    """A PNG with the ancillary chunks writers add: colour hints, an ICC profile, texts, time."""
    ihdr_end = 8 + 25
    before_idat = b"".join(
        [
            png_chunk(b"gAMA", struct.pack(">I", 45455)),
            png_chunk(b"cHRM", struct.pack(">8I", 31270, 32900, 64000, 33000, 30000, 60000, 15000, 6000)),
            png_chunk(b"iCCP", b"sRGB-ish\x00\x00" + zlib.compress(icc)),
            png_chunk(b"pHYs", struct.pack(">IIB", 2835, 2835, 1)),
            png_chunk(b"bKGD", struct.pack(">HHH", 255, 255, 255)),
            png_chunk(b"tEXt", b"Comment\x00made by a site's theme"),
            png_chunk(b"zTXt", b"Description\x00\x00" + zlib.compress(b"a photo " * 20)),
            png_chunk(b"iTXt", b"Author\x00\x00\x00en\x00\x00Someone"),
            png_chunk(b"tIME", struct.pack(">HBBBBB", 2024, 5, 1, 12, 0, 0)),
        ]
    )
    iend = data.rindex(b"IEND") - 4
    after_idat = png_chunk(b"tEXt", b"Software\x00written after the data")
    return data[:ihdr_end] + before_idat + data[ihdr_end:iend] + after_idat + data[iend:]


def idat_stream(data: bytes) -> bytes:
    """The zlib stream of a PNG's image data (its IDAT chunks joined)."""
    return b"".join(data[start + 8 : end - 4] for start, end, kind in png_chunks(data) if kind == b"IDAT")


def with_idat_stream(data: bytes, stream: bytes) -> bytes:
    """The same PNG with `stream` as its image data, in one IDAT chunk."""
    idats = [(start, end) for start, end, kind in png_chunks(data) if kind == b"IDAT"]
    return data[: idats[0][0]] + png_chunk(b"IDAT", stream) + data[idats[-1][1] :]


def _split_idat(data: bytes, size: int) -> bytes:
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


@cache
def bases() -> dict[str, bytes]:
    """Undamaged files, one per kind of upload a site has."""
    photo = _photo()
    with Image.open(CORPUS / "photo" / "dog_exif_extended_xmp_icc.jpg") as source:
        exif, icc = source.info["exif"], source.info["icc_profile"]
        source.draft("RGB", (WIDTH * 2, HEIGHT * 2))
        dog = source.convert("RGB").resize((WIDTH, HEIGHT * 4 // 3))
    with Image.open(CORPUS / "graphic" / "transparent.png") as source:
        alpha = source.convert("RGBA").resize((120, 90))
    with Image.open(CORPUS / "graphic" / "logo.png") as source:
        logo = source.convert("RGBA").resize((96, 96))
    frames = [photo.resize((96, 64)).rotate(20 * i) for i in range(4)]
    animation = {"save_all": True, "append_images": frames[1:], "duration": 100, "loop": 0}
    png_rgb = _save(photo, "PNG")
    return {
        "jpeg_baseline": _save(photo, "JPEG", quality=85),
        "jpeg_progressive": _save(photo, "JPEG", quality=85, progressive=True),
        "jpeg_restart": _save(photo, "JPEG", quality=85, restart_marker_rows=1),
        "jpeg_444": _save(photo, "JPEG", quality=90, subsampling=0),
        "jpeg_metadata": _save(dog, "JPEG", quality=85, exif=exif, icc_profile=icc),
        "png_rgb": png_rgb,
        "png_ancillary": _png_with_ancillary(png_rgb, icc),
        "png_alpha": _save(alpha, "PNG"),
        "png_palette": _save(logo.convert("RGB").quantize(32), "PNG", transparency=0),
        "png_interlaced": _save(photo, "PNG", interlace=1),
        "png_split_idat": _split_idat(png_rgb, 4096),
        "gif_still": _save(photo.quantize(128), "GIF", comment=b"a comment"),
        "gif_animated": _save(frames[0], "GIF", **animation),
        "webp_lossy": _save(photo, "WEBP", quality=80),
        "webp_lossless": _save(alpha, "WEBP", lossless=True),
        "webp_alpha": _save(alpha, "WEBP", quality=80),
        "webp_animated": _save(frames[0], "WEBP", **animation),
        "avif_still": _save(photo, "AVIF", quality=60),
    }


def _flip(data: bytes, at: int, mask: int = 0x5A) -> bytes:
    return data[:at] + bytes([data[at] ^ mask]) + data[at + 1 :]


def _common(name: str, data: bytes, rng: random.Random) -> dict[str, bytes]:
    out: dict[str, bytes] = {}
    for share in CUT_SHARES:
        at = int(len(data) * share) + rng.randrange(-3, 4)
        out[f"{name}/cut_{share * 100:g}%"] = data[: max(1, at)]
    for cut in CUT_BYTES:
        out[f"{name}/minus_{cut}"] = data[:-cut]
    out[f"{name}/junk_before"] = JUNK + data
    out[f"{name}/nul_before"] = b"\x00" * 16 + data
    out[f"{name}/junk_after"] = data + JUNK
    out[f"{name}/zeros_after"] = data + b"\x00" * 1000
    out[f"{name}/twice"] = data + data
    return out


def _png(name: str, data: bytes, rng: random.Random) -> dict[str, bytes]:
    out: dict[str, bytes] = {}
    seen: dict[bytes, int] = {}
    for start, end, kind in png_chunks(data):
        index = seen[kind] = seen.get(kind, -1) + 1
        if kind == b"IDAT" and index > 0 and end + 12 < len(data) and data[end + 4 : end + 8] == b"IDAT":
            continue  # a middle IDAT of a split stream: the first and the last stand for them
        label = f"{name}/{kind.decode()}{index}"
        out[f"{label}_bad_crc"] = _flip(data, end - 2)
        if end - start > 12:
            out[f"{label}_bad_data"] = _flip(data, start + 8 + rng.randrange(end - start - 12))
        out[f"{label}_dropped"] = data[:start] + data[end:]
        if kind[:1].islower():
            out[f"{label}_length_plus_4"] = (
                data[:start] + struct.pack(">I", end - start - 8) + data[start + 4 :]
            )
            out[f"{label}_length_zero"] = data[:start] + b"\x00\x00\x00\x00" + data[start + 4 :]
    ihdr_end = 33
    first_idat = data.index(b"IDAT") - 4
    bad_text = png_chunk(b"tEXt", b"Comment\x00hello")[:-4] + b"\x00\x00\x00\x00"
    out[f"{name}/text_bad_crc_before_data"] = data[:ihdr_end] + bad_text + data[ihdr_end:]
    out[f"{name}/unknown_ancillary"] = data[:ihdr_end] + png_chunk(b"prVt", b"\x01" * 40) + data[ihdr_end:]
    out[f"{name}/unknown_ancillary_bad_crc"] = (
        data[:ihdr_end] + png_chunk(b"prVt", b"\x01" * 40)[:-1] + b"\x00" + data[ihdr_end:]
    )
    out[f"{name}/unknown_critical"] = data[:ihdr_end] + png_chunk(b"XXXX", b"\x01" * 8) + data[ihdr_end:]
    out[f"{name}/zTXt_bad_stream"] = (
        data[:first_idat] + png_chunk(b"zTXt", b"Comment\x00\x00not zlib at all") + data[first_idat:]
    )
    out[f"{name}/iCCP_bad_stream"] = (
        data[:ihdr_end] + png_chunk(b"iCCP", b"broken\x00\x00" + b"\x78\x9c garbage") + data[ihdr_end:]
    )
    out[f"{name}/iCCP_not_a_profile"] = (
        data[:ihdr_end] + png_chunk(b"iCCP", b"junk\x00\x00" + zlib.compress(b"x" * 300)) + data[ihdr_end:]
    )
    out[f"{name}/huge_text_length"] = (
        data[:ihdr_end] + struct.pack(">I", 0x7FFFFFF0) + b"tEXt" + data[ihdr_end:]
    )
    out[f"{name}/no_iend"] = data[:-12]
    out[f"{name}/iend_cut"] = data[:-6]
    # The zlib stream's own checksum (Adler-32) wrong, the chunk's CRC right: every row is there.
    start, end, _ = [chunk for chunk in png_chunks(data) if chunk[2] == b"IDAT"][-1]
    payload = _flip(data[start + 8 : end - 4], end - start - 14)
    out[f"{name}/adler_damaged"] = data[:start] + png_chunk(b"IDAT", payload) + data[end:]
    return out


def _jpeg_segments(data: bytes) -> Iterator[tuple[int, int, int]]:
    """(start, end, marker) of the segments up to the first SOS."""
    pos = 2
    while pos + 4 <= len(data) and data[pos] == 0xFF:
        marker = data[pos + 1]
        end = pos + 2 + int.from_bytes(data[pos + 2 : pos + 4], "big")
        yield pos, end, marker
        if marker == 0xDA:
            return
        pos = end


def _jpeg(name: str, data: bytes, rng: random.Random) -> dict[str, bytes]:
    out: dict[str, bytes] = {}
    for index, (start, end, marker) in enumerate(_jpeg_segments(data)):
        label = f"{name}/seg{index}_{marker:02X}"
        length = end - start - 2
        if end - start > 4:
            out[f"{label}_bad_data"] = _flip(data, start + 4 + rng.randrange(end - start - 4))
        if marker == 0xDA:
            continue
        out[f"{label}_dropped"] = data[:start] + data[end:]
        if 0xE0 <= marker <= 0xEF or marker == 0xFE:
            for delta in (-2, 2, 100):
                out[f"{label}_length{delta:+d}"] = (
                    data[: start + 2] + struct.pack(">H", max(2, length + delta)) + data[start + 4 :]
                )
            out[f"{label}_length_ffff"] = data[: start + 2] + b"\xff\xff" + data[start + 4 :]
        out[f"{label}_junk_before"] = data[:start] + b"\x00\x12\x34" + data[start:]
    scan = data.index(b"\xff\xda")
    for share in (0.05, 0.3, 0.6, 0.9):
        at = scan + 20 + int((len(data) - scan - 22) * share)
        out[f"{name}/scan_flip_{share * 100:g}%"] = _flip(data, at, 0x10)
    scan_bytes = len(data) - scan
    for share in (0.1, 0.25, 0.4, 0.55, 0.7, 0.85, 0.95):
        out[f"{name}/scan_cut_{share * 100:g}%"] = data[: scan + int(scan_bytes * share)]
    cut = scan + int(scan_bytes * 0.6)
    out[f"{name}/scan_cut_then_eoi"] = data[:cut] + b"\xff\xd9"
    out[f"{name}/stray_rst_before_eoi"] = data[:-2] + b"\xff\xd4" + data[-2:]
    out[f"{name}/app_between_scan_and_eoi"] = data[:-2] + b"\xff\xe5\x00\x04ab" + data[-2:]
    out[f"{name}/double_eoi"] = data + b"\xff\xd9"
    out[f"{name}/no_eoi_junk_after"] = data[:-2] + JUNK
    out[f"{name}/double_soi"] = b"\xff\xd8" + data
    out[f"{name}/comment_after_soi_bad_length"] = data[:2] + b"\xff\xfe\x00\x01" + data[2:]
    return out


def gif_blocks(data: bytes) -> Iterator[tuple[str, int, int]]:
    """(kind, start, end) of the blocks after the screen descriptor: ext, image, trailer."""
    flags = data[10]
    pos = 13 + (3 << ((flags & 7) + 1) if flags & 0x80 else 0)
    while pos < len(data):
        kind = data[pos]
        if kind == 0x3B:
            yield "trailer", pos, pos + 1
            return
        start = pos
        if kind == 0x21:
            pos += 2
        elif kind == 0x2C:
            packed = data[pos + 9]
            pos += 10 + (3 << ((packed & 7) + 1) if packed & 0x80 else 0) + 1
        else:
            return
        while pos < len(data) and data[pos]:
            pos += data[pos] + 1
        pos += 1
        yield ("ext" if kind == 0x21 else "image"), start, pos


def _gif(name: str, data: bytes, rng: random.Random) -> dict[str, bytes]:
    out: dict[str, bytes] = {}
    blocks = list(gif_blocks(data))
    images = [(start, end) for kind, start, end in blocks if kind == "image"]
    first_block = blocks[0][1]
    trailer = data.rindex(b"\x3b")
    unknown = b"\x21\x99\x04abcd\x00"
    out[f"{name}/unknown_extension"] = data[:first_block] + unknown + data[first_block:]
    out[f"{name}/unknown_extension_before_trailer"] = data[:trailer] + unknown + data[trailer:]
    out[f"{name}/app_extension_odd"] = (
        data[:first_block] + b"\x21\xff\x0bXMP DataXMP\x03abc\x00" + data[first_block:]
    )
    out[f"{name}/comment_without_terminator"] = data[:first_block] + b"\x21\xfe\x05hello" + data[first_block:]
    out[f"{name}/gce_bad_size"] = data[:first_block] + b"\x21\xf9\x03\x00\x0a\x00\x00" + data[first_block:]
    out[f"{name}/no_trailer"] = data[:trailer]
    out[f"{name}/no_trailer_no_terminator"] = data[: trailer - 1]
    out[f"{name}/trailer_junk"] = data + JUNK
    for number, (start, end) in enumerate(images):
        if number not in (0, len(images) - 1):
            continue
        packed = data[start + 9]
        code_at = start + 10 + (3 << ((packed & 7) + 1) if packed & 0x80 else 0)
        label = f"{name}/frame{number}"
        for size in (0, 1, 11, 12):
            out[f"{label}_lzw_size_{size}"] = data[:code_at] + bytes([size]) + data[code_at + 1 :]
        first_sub = code_at + 1
        out[f"{label}_sub_block_longer"] = _flip(data, first_sub, 0x01) if data[first_sub] else data
        out[f"{label}_sub_block_too_long"] = data[:first_sub] + b"\xff" + data[first_sub + 1 :]
        out[f"{label}_no_terminator"] = data[: end - 1] + data[end:]
        out[f"{label}_data_flip"] = _flip(data, first_sub + 1 + rng.randrange(max(1, data[first_sub])))
        for share in (0.3, 0.7, 0.95):
            out[f"{label}_cut_{share * 100:g}%"] = data[: first_sub + int((end - first_sub) * share)]
        out[f"{label}_outside_canvas"] = data[: start + 1] + struct.pack("<H", 60000) + data[start + 3 :]
    out[f"{name}/zero_size_screen"] = data[:6] + b"\x00\x00\x00\x00" + data[10:]
    return out


def _riff(name: str, data: bytes, rng: random.Random) -> dict[str, bytes]:
    out: dict[str, bytes] = {}
    size = int.from_bytes(data[4:8], "little")
    for delta in (-8, -1, 1, 100):
        out[f"{name}/riff_size{delta:+d}"] = data[:4] + struct.pack("<I", size + delta) + data[8:]
    out[f"{name}/riff_size_zero"] = data[:4] + b"\x00\x00\x00\x00" + data[8:]
    unknown = b"JUNK" + struct.pack("<I", 6) + b"abcdef"
    grown = struct.pack("<I", size + len(unknown))
    out[f"{name}/unknown_chunk_at_end"] = data[:4] + grown + data[8:] + unknown
    out[f"{name}/unknown_chunk_first"] = data[:4] + grown + data[8:12] + unknown + data[12:]
    out[f"{name}/payload_flip"] = _flip(data, 40 + rng.randrange(len(data) - 40))
    return out


def _avif(name: str, data: bytes, rng: random.Random) -> dict[str, bytes]:
    return {f"{name}/payload_flip": _flip(data, len(data) // 2 + rng.randrange(len(data) // 2))}


_BY_FORMAT = {"jpeg": _jpeg, "png": _png, "gif": _gif, "webp": _riff, "avif": _avif}


@cache
def generate(seed: int = SEED) -> dict[str, bytes]:
    """Every base and its damaged copies, by name (`base/damage`); the same bytes for the same seed."""
    files: dict[str, bytes] = {}
    for name, data in bases().items():
        rng = random.Random(f"{seed}:{name}")
        files[f"{name}/intact"] = data
        files.update(_common(name, data, rng))
        files.update(_BY_FORMAT[name.split("_")[0]](name, data, rng))
    return files


def kind_of(name: str) -> str:
    """The damage's group for the report."""
    base, damage = name.split("/", 1)
    fmt = base.split("_")[0]
    if damage == "intact":
        return "intact"
    if "cut" in damage or damage.startswith(("minus_", "no_", "iend_cut")):
        return "truncation"
    if "junk" in damage or "before" in damage or "after" in damage or damage in {"twice", "double_eoi"}:
        return "junk"
    if "crc" in damage or "adler" in damage:
        return "checksum"
    if fmt == "png":
        return "png_chunks"
    if fmt == "jpeg":
        return "jpeg_scan" if damage.startswith("scan_") else "jpeg_segments"
    if fmt == "gif":
        return "gif_blocks"
    return f"{fmt}_container"


def main(argv: list[str]) -> None:
    out = Path(argv[0])
    out.mkdir(parents=True, exist_ok=True)
    for name, data in generate().items():
        (out / name.replace("/", "__").replace("%", "pc")).write_bytes(data)
    print(f"{len(generate())} files in {out}")


if __name__ == "__main__":
    main(sys.argv[1:])
