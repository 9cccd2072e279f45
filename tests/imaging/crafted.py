"""Hostile files that are cheap to send and were expensive to check: each fills the 25 MB upload limit
with the smallest structural unit of its format (a 4-byte JPEG comment, an empty PNG chunk, a 1x1 GIF
frame...), so a parser that keeps an object or runs Python code per unit pays millions of times.

Every builder returns at most UPLOAD_BYTES bytes that start with a valid signature; the submit-time
checks must answer each of them (pass, or raise a typed pixpress error) within the budget measured
by tests/imaging/test_submit_bounds.py.
"""

from __future__ import annotations

import io
import struct
import zlib
from collections.abc import Callable

import numpy as np
import pillow_heif
import pyvips
from PIL import Image

UPLOAD_BYTES = 25 * 1024 * 1024  # Settings.max_upload_mb


def _small() -> pyvips.Image:
    image = pyvips.Image.black(16, 16, bands=3).linear([1, 1, 1], [200, 40, 90])
    return image.cast("uchar").copy(interpretation="srgb")


def _fill(head: bytes, unit: bytes, tail: bytes) -> bytes:
    """head + as many repetitions of unit as fit + tail, at most UPLOAD_BYTES in all."""
    count = (UPLOAD_BYTES - len(head) - len(tail)) // len(unit)
    return head + unit * count + tail


# --- JPEG -------------------------------------------------------------------------------------------


def baseline_jpeg() -> bytes:
    data: bytes = _small().jpegsave_buffer(Q=90, keep="none")
    return data


def progressive_jpeg() -> bytes:
    data: bytes = _small().jpegsave_buffer(Q=90, keep="none", interlace=True)
    return data


def _first_sos(data: bytes) -> int:
    return data.index(b"\xff\xda")


def _scan_end(data: bytes) -> int:
    """Offset of the marker that ends the first scan (a DHT/SOS of the next scan, or EOI)."""
    sos = _first_sos(data)
    pos = sos + 2 + int.from_bytes(data[sos + 2 : sos + 4], "big")
    while True:
        pos = data.index(b"\xff", pos)
        if data[pos + 1] not in (0x00, *range(0xD0, 0xD8)):
            return pos
        pos += 2


def jpeg_comments() -> bytes:
    """6.5 million empty COM segments before the frame header."""
    base = baseline_jpeg()
    return _fill(base[:2], b"\xff\xfe\x00\x02", base[2:])


def jpeg_app_segments() -> bytes:
    """Empty APP1..APP15 segments (never APP0/JFIF) in turns, before the frame header."""
    base = baseline_jpeg()
    unit = b"".join(bytes([0xFF, marker, 0x00, 0x02]) for marker in range(0xE1, 0xF0))
    return _fill(base[:2], unit, base[2:])


def jpeg_tables() -> bytes:
    """The image's own DQT, SOF and DHT segments repeated to fill the upload."""
    base = baseline_jpeg()
    sos = _first_sos(base)
    return _fill(base[:2], base[2:sos], base[sos:])


def jpeg_fill_bytes() -> bytes:
    """One 25 MB run of 0xFF fill bytes before the frame header (legal: any number may precede a marker)."""
    base = baseline_jpeg()
    return _fill(base[:2], b"\xff", base[2:])


def jpeg_fill_runs() -> bytes:
    """Empty COM segments each preceded by a few fill bytes."""
    base = baseline_jpeg()
    return _fill(base[:2], b"\xff\xff\xff\xfe\x00\x02", base[2:])


def jpeg_big_app_segments() -> bytes:
    """Four hundred 64 KB APP13 segments (libjpeg saves every APPn segment for libvips)."""
    base = baseline_jpeg()
    return _fill(base[:2], b"\xff\xed\xff\xff" + b"P" * 65533, base[2:])


def jpeg_big_icc() -> bytes:
    """A 16 MB ICC profile in 255 APP2 chunks, the most the format allows."""
    base = baseline_jpeg()
    size = 65519
    chunks = b"".join(
        b"\xff\xe2" + (2 + 14 + size).to_bytes(2, "big") + b"ICC_PROFILE\x00" + bytes([i, 255]) + bytes(size)
        for i in range(1, 256)
    )
    return base[:2] + chunks + base[2:]


def jpeg_restart_markers() -> bytes:
    """A 25 MB run of RST0..RST7 markers inside the first scan."""
    base = baseline_jpeg()
    end = _scan_end(base)
    unit = b"".join(bytes([0xFF, marker]) for marker in range(0xD0, 0xD8))
    return _fill(base[:end], unit, base[end:])


def jpeg_markers_in_scan() -> bytes:
    """Empty COM segments between the first scan and the next (where a progressive JPEG has DHTs)."""
    base = progressive_jpeg()
    end = _scan_end(base)
    return _fill(base[:end], b"\xff\xfe\x00\x02", base[end:])


def jpeg_tem_in_scan() -> bytes:
    """TEM (0xFF01), a marker without a length, repeated inside the first scan."""
    base = progressive_jpeg()
    end = _scan_end(base)
    return _fill(base[:end], b"\xff\x01", base[end:])


def jpeg_scans() -> bytes:
    """The first scan of a progressive JPEG (its SOS and entropy-coded data) repeated to fill the upload."""
    base = progressive_jpeg()
    sos = _first_sos(base)
    end = _scan_end(base)
    return _fill(base[:end], base[sos:end], base[end:])


# --- PNG --------------------------------------------------------------------------------------------


_IHDR_END = 8 + 25  # signature, then the 25-byte IHDR chunk


def png_chunk(kind: bytes, payload: bytes) -> bytes:
    return struct.pack(">I", len(payload)) + kind + payload + struct.pack(">I", zlib.crc32(kind + payload))


def small_png() -> bytes:
    data: bytes = _small().pngsave_buffer(keep="none")
    return data


def png_text_chunk(kind: bytes, keyword: bytes, value: bytes) -> bytes:
    """A tEXt, zTXt or iTXt chunk with `keyword` and `value` as given, whatever their bytes (PNG says
    Latin-1 for tEXt and zTXt, UTF-8 for iTXt's text; writers put anything)."""
    if kind == b"tEXt":
        return png_chunk(kind, keyword + b"\x00" + value)
    if kind == b"zTXt":
        return png_chunk(kind, keyword + b"\x00\x00" + zlib.compress(value))
    return png_chunk(kind, keyword + b"\x00\x00\x00\x00\x00" + value)  # iTXt, uncompressed, no language


def png_with_chunks(chunks: bytes, base: bytes | None = None) -> bytes:
    """`base` (a small PNG by default) with `chunks` between IHDR and the image data."""
    base = small_png() if base is None else base
    return base[:_IHDR_END] + chunks + base[_IHDR_END:]


def png_ancillary_chunks() -> bytes:
    """Two million empty private ancillary chunks between IHDR and IDAT."""
    base = small_png()
    end = _IHDR_END
    return _fill(base[:end], png_chunk(b"prVt", b""), base[end:])


def png_trailing_chunks() -> bytes:
    """The same chunks after the image data, between the last IDAT and IEND."""
    base = small_png()
    iend = len(base) - 12
    return _fill(base[:iend], png_chunk(b"prVt", b""), base[iend:])


def png_split_idat() -> bytes:
    """A noisy 830x830 image whose 2 MB zlib stream is cut into 1-byte IDAT chunks."""
    noise = np.random.default_rng(1).integers(0, 256, (830, 830, 3), dtype=np.uint8)
    image = pyvips.Image.new_from_array(noise, interpretation="srgb")
    base: bytes = image.pngsave_buffer(keep="none", compression=1)
    stream = _idat_stream(base)
    head = base[:_IHDR_END]
    room = (UPLOAD_BYTES - len(head) - 12) // 13
    one_byte = [png_chunk(b"IDAT", bytes([value])) for value in range(256)]  # 256 possible chunks
    chunks = b"".join(one_byte[value] for value in stream[:room])
    return head + chunks + png_chunk(b"IEND", b"")


def _zlib_bomb(compressed_bytes: int) -> bytes:
    """A zlib stream of zeros about 1000 times its size (identical deflate blocks, repeated)."""
    zeros = b"\x00" * 10_000_000
    deflate = zlib.compressobj(9)
    first = deflate.compress(zeros) + deflate.flush(zlib.Z_FULL_FLUSH)
    block = deflate.compress(zeros) + deflate.flush(zlib.Z_FULL_FLUSH)
    return first + block * (compressed_bytes // len(block)) + deflate.flush()


def png_text_bomb() -> bytes:
    """A zTXt chunk whose 24 MB of deflate data inflate to 24 GB of zeros."""
    base = small_png()
    text = png_chunk(b"zTXt", b"Comment\x00\x00" + _zlib_bomb(UPLOAD_BYTES - 1_000_000))
    return base[:_IHDR_END] + text + base[_IHDR_END:]


def png_xmp_bomb() -> bytes:
    """A compressed iTXt XMP packet whose 2 MB inflate to 2 GB of zeros."""
    base = small_png()
    text = png_chunk(b"iTXt", b"XML:com.adobe.xmp\x00\x01\x00\x00\x00" + _zlib_bomb(2_000_000))
    return base[:_IHDR_END] + text + base[_IHDR_END:]


def _idat_stream(data: bytes) -> bytes:
    pos, out = 8, []
    while pos < len(data):
        length = int.from_bytes(data[pos : pos + 4], "big")
        if data[pos + 4 : pos + 8] == b"IDAT":
            out.append(data[pos + 8 : pos + 8 + length])
        pos += 12 + length
    return b"".join(out)


def _apng_head(frames: int) -> bytes:
    """A 16x16 APNG's signature, IHDR, acTL (`frames`), the default image's fcTL and its IDAT."""
    base = small_png()
    idat = base[_IHDR_END:-12]
    actl = png_chunk(b"acTL", struct.pack(">II", frames, 0))
    return base[:_IHDR_END] + actl + _fctl(0) + idat


def _fctl(sequence: int) -> bytes:
    return png_chunk(b"fcTL", struct.pack(">IIIIIHHBB", sequence, 1, 1, 0, 0, 1, 10, 0, 0))


def apng_frames() -> bytes:
    """Two frames announced, then 1x1 frames (an fcTL and a 1-byte fdAT each, numbered in sequence)
    to fill the upload: 460,000 frames."""
    head = _apng_head(2)
    tail = png_chunk(b"IEND", b"")
    unit = len(_fctl(1)) + len(png_chunk(b"fdAT", b"\x00" * 5))
    count = (UPLOAD_BYTES - len(head) - len(tail)) // unit
    frames = (
        _fctl(2 * i + 1) + png_chunk(b"fdAT", struct.pack(">I", 2 * i + 2) + b"\x00") for i in range(count)
    )
    return head + b"".join(frames) + tail


def apng_announced() -> bytes:
    """An acTL announcing 4 billion frames."""
    return _apng_head(0xFFFFFFFF) + png_chunk(b"IEND", b"")


def png_no_iend_chunks() -> bytes:
    """No IEND: two million 1-byte IDAT chunks to walk before the end of the file."""
    data = png_split_idat()
    return data[: -len(png_chunk(b"IEND", b""))]


def png_no_iend_bomb() -> bytes:
    """No IEND, and an IDAT of 24 MB of deflate data that inflate to 24 GB (a 1448x1448 RGBA header:
    as much as the submit check inflates)."""
    ihdr = png_chunk(b"IHDR", struct.pack(">IIBBBBB", 1448, 1448, 8, 6, 0, 0, 0))
    idat = _zlib_bomb(UPLOAD_BYTES - 1_000_000)
    return small_png()[:8] + ihdr + png_chunk(b"IDAT", idat)


# --- GIF --------------------------------------------------------------------------------------------

_GIF_HEAD = b"GIF89a" + struct.pack("<HHBBB", 1, 1, 0x80, 0, 0) + b"\x00\x00\x00\xff\xff\xff"
_GIF_FRAME = (
    b"\x21\xf9\x04\x00\x00\x00\x00\x00"  # graphic control extension
    + b"\x2c"
    + struct.pack("<HHHHB", 0, 0, 1, 1, 0)  # image descriptor, 1x1
    + b"\x02\x02\x4c\x01\x00"  # LZW minimum code size 2, one sub-block, terminator
)


def small_gif() -> bytes:
    return _GIF_HEAD + _GIF_FRAME + b"\x3b"


def gif_frames() -> bytes:
    """A million 1x1 frames."""
    return _fill(_GIF_HEAD, _GIF_FRAME, b"\x3b")


def gif_extensions() -> bytes:
    """Five million one-byte comment extensions before a single 1x1 frame."""
    return _fill(_GIF_HEAD, b"\x21\xfe\x01\x41\x00", _GIF_FRAME + b"\x3b")


def gif_comment() -> bytes:
    """One comment extension of 100,000 full 255-byte sub-blocks."""
    return _fill(_GIF_HEAD + b"\x21\xfe", b"\xff" + b"C" * 255, b"\x00" + _GIF_FRAME + b"\x3b")


def gif_sub_blocks() -> bytes:
    """One frame whose image data is twelve million 1-byte sub-blocks."""
    head = _GIF_HEAD + _GIF_FRAME[:19] + b"\x02"
    return _fill(head, b"\x01\x00", b"\x00\x3b")


# --- WebP -------------------------------------------------------------------------------------------


def _riff_chunk(kind: bytes, payload: bytes) -> bytes:
    pad = b"\x00" if len(payload) % 2 else b""
    return kind + struct.pack("<I", len(payload)) + payload + pad


def _riff(chunks: bytes) -> bytes:
    return b"RIFF" + struct.pack("<I", 4 + len(chunks)) + b"WEBP" + chunks


def _vp8l_1x1() -> bytes:
    data: bytes = pyvips.Image.black(1, 1).cast("uchar").webpsave_buffer(lossless=True)
    pos = data.index(b"VP8L")
    length = int.from_bytes(data[pos + 4 : pos + 8], "little")
    return _riff_chunk(b"VP8L", data[pos + 8 : pos + 8 + length])


def _vp8x(flags: int) -> bytes:
    return _riff_chunk(b"VP8X", bytes([flags, 0, 0, 0]) + (0).to_bytes(3, "little") * 2)


def small_webp() -> bytes:
    data: bytes = _small().webpsave_buffer()
    return data


def webp_chunks() -> bytes:
    """Three million empty unknown chunks in an extended (VP8X) still image."""
    head = _vp8x(0)
    tail = _vp8l_1x1()
    count = (UPLOAD_BYTES - 12 - len(head) - len(tail)) // 8
    return _riff(head + _riff_chunk(b"ABCD", b"") * count + tail)


def _with_xmp(image: pyvips.Image, size: int) -> pyvips.Image:
    tagged = image.copy()
    xmp = b"<x:xmpmeta xmlns:x='adobe:ns:meta/'>" + b"A" * size + b"</x:xmpmeta>"
    tagged.set_type(pyvips.GValue.blob_type, "xmp-data", xmp)
    return tagged


def webp_xmp() -> bytes:
    """A 20 MB XMP chunk."""
    data: bytes = _with_xmp(_small(), 20_000_000).webpsave_buffer(keep="all")
    return data


def webp_frames() -> bytes:
    """Half a million 1x1 ANMF frames."""
    frame = _riff_chunk(b"ANMF", b"\x00" * 6 + b"\x00\x00\x00" * 2 + b"\x64\x00\x00\x00" + _vp8l_1x1())
    head = _vp8x(0x02) + _riff_chunk(b"ANIM", b"\x00" * 6)
    count = (UPLOAD_BYTES - 12 - len(head)) // len(frame)
    return _riff(head + frame * count)


# --- AVIF -------------------------------------------------------------------------------------------


def small_avif() -> bytes:
    data: bytes = _small().heifsave_buffer(compression="av1", Q=50, effort=0)
    return data


def _box(kind: bytes, payload: bytes) -> bytes:
    return struct.pack(">I", 8 + len(payload)) + kind + payload


def _top_boxes(data: bytes) -> list[bytes]:
    pos, boxes = 0, []
    while pos < len(data):
        size = int.from_bytes(data[pos : pos + 4], "big")
        boxes.append(data[pos : pos + size])
        pos += size
    return boxes


def avif_xmp() -> bytes:
    """A 20 MB XMP item."""
    data: bytes = _with_xmp(_small(), 20_000_000).heifsave_buffer(compression="av1", effort=0, keep="all")
    return data


def avif_boxes() -> bytes:
    """Three million empty `free` boxes after ftyp, before meta and mdat."""
    ftyp, *rest = _top_boxes(small_avif())
    return _fill(ftyp, _box(b"free", b""), b"".join(rest))


def avif_meta_children() -> bytes:
    """Three million empty unknown boxes inside meta."""
    ftyp, meta, *rest = _top_boxes(small_avif())
    assert meta[4:8] == b"meta"
    room = UPLOAD_BYTES - len(ftyp) - len(meta) - sum(map(len, rest))
    extra = _box(b"abcd", b"") * (room // 8)
    # meta is a full box: size, type, version/flags, then children. Its size grows; mdat offsets in
    # iloc are absolute, so the image data moves, which is fine: the file need not decode.
    return ftyp + struct.pack(">I", len(meta) + len(extra)) + meta[4:] + extra + b"".join(rest)


def avif_nesting() -> bytes:
    """`ipco` boxes nested three million deep inside meta/iprp (a recursive descent's stack)."""
    ftyp, meta, *rest = _top_boxes(small_avif())
    depth = (UPLOAD_BYTES - len(ftyp) - len(meta) - sum(map(len, rest)) - 16) // 8
    headers = np.empty((depth, 2), dtype=">u4")
    headers[:, 0] = 8 * (depth - np.arange(depth))  # each box holds the rest of the nest
    headers[:, 1] = int.from_bytes(b"ipco", "big")
    nest = headers.tobytes()
    iprp = struct.pack(">I", 8 + len(nest)) + b"iprp" + nest
    return ftyp + struct.pack(">I", len(meta) + len(iprp)) + meta[4:] + iprp + b"".join(rest)


def _avif_sequence() -> bytes:
    frames = [pyvips.Image.black(16, 16).cast("uchar") + i * 40 for i in range(3)]
    pages = [Image.fromarray(np.asarray(frame.numpy(), dtype=np.uint8)) for frame in frames]
    out = io.BytesIO()
    pages[0].save(out, "AVIF", save_all=True, append_images=pages[1:], duration=100, quality=50)
    return out.getvalue()


def _replace_moov(data: bytes, moov_payload: bytes) -> bytes:
    boxes = _top_boxes(data)
    rebuilt = [_box(b"moov", moov_payload) if box[4:8] == b"moov" else box for box in boxes]
    return b"".join(rebuilt)  # mdat offsets move: the file need not decode


def avif_moov_boxes() -> bytes:
    """An AVIF sequence whose moov holds three million empty boxes before its track."""
    data = _avif_sequence()
    moov = next(box for box in _top_boxes(data) if box[4:8] == b"moov")
    room = UPLOAD_BYTES - len(data) - 16
    return _replace_moov(data, _box(b"abcd", b"") * (room // 8) + moov[8:])


def avif_sequence_frames() -> bytes:
    """An AVIF sequence whose sample table claims four billion frames."""
    data = _avif_sequence()
    at = data.index(b"stsz")
    return data[: at + 12] + b"\xff\xff\xff\xff" + data[at + 16 :]


# --- HEIC -------------------------------------------------------------------------------------------


def small_heic() -> bytes:
    out = io.BytesIO()
    pillow_heif.from_pillow(Image.fromarray(np.asarray(_small().numpy()))).save(out, quality=50)
    return out.getvalue()


def heic_boxes() -> bytes:
    """Three million empty `free` boxes after ftyp, before meta and mdat."""
    ftyp, *rest = _top_boxes(small_heic())
    return _fill(ftyp, _box(b"free", b""), b"".join(rest))


def heic_meta_children() -> bytes:
    """Three million empty unknown boxes inside meta."""
    ftyp, meta, *rest = _top_boxes(small_heic())
    assert meta[4:8] == b"meta"
    room = UPLOAD_BYTES - len(ftyp) - len(meta) - sum(map(len, rest))
    extra = _box(b"abcd", b"") * (room // 8)
    return ftyp + struct.pack(">I", len(meta) + len(extra)) + meta[4:] + extra + b"".join(rest)


def heic_items() -> bytes:
    """Iinf declaring a million items, each an infe entry of an hvc1 image (as a burst's would be)."""
    ftyp, meta, *rest = _top_boxes(small_heic())
    infe = _box(b"infe", b"\x02\x00\x00\x00" + b"\x00\x02" + b"\x00\x00" + b"hvc1" + b"\x00")
    room = UPLOAD_BYTES - len(ftyp) - len(meta) - sum(map(len, rest)) - 14
    count = room // len(infe)
    iinf = _box(b"iinf", b"\x01\x00\x00\x00" + struct.pack(">I", count) + infe * count)
    return ftyp + struct.pack(">I", len(meta) + len(iinf)) + meta[4:] + iinf + b"".join(rest)


def heic_claims_huge() -> bytes:
    """A valid small HEIC whose ispe property claims 100,000 x 100,000 pixels."""
    data = small_heic()
    at = data.index(b"ispe")
    return data[: at + 8] + struct.pack(">II", 100_000, 100_000) + data[at + 16 :]


CRAFTED: dict[str, Callable[[], bytes]] = {
    "jpeg_comments": jpeg_comments,
    "jpeg_app_segments": jpeg_app_segments,
    "jpeg_tables": jpeg_tables,
    "jpeg_fill_bytes": jpeg_fill_bytes,
    "jpeg_fill_runs": jpeg_fill_runs,
    "jpeg_big_app_segments": jpeg_big_app_segments,
    "jpeg_big_icc": jpeg_big_icc,
    "jpeg_restart_markers": jpeg_restart_markers,
    "jpeg_markers_in_scan": jpeg_markers_in_scan,
    "jpeg_tem_in_scan": jpeg_tem_in_scan,
    "jpeg_scans": jpeg_scans,
    "png_ancillary_chunks": png_ancillary_chunks,
    "png_trailing_chunks": png_trailing_chunks,
    "png_split_idat": png_split_idat,
    "png_text_bomb": png_text_bomb,
    "png_xmp_bomb": png_xmp_bomb,
    "png_no_iend_chunks": png_no_iend_chunks,
    "png_no_iend_bomb": png_no_iend_bomb,
    "png_apng_frames": apng_frames,
    "png_apng_announced": apng_announced,
    "gif_frames": gif_frames,
    "gif_extensions": gif_extensions,
    "gif_comment": gif_comment,
    "gif_sub_blocks": gif_sub_blocks,
    "webp_chunks": webp_chunks,
    "webp_frames": webp_frames,
    "webp_xmp": webp_xmp,
    "avif_xmp": avif_xmp,
    "avif_boxes": avif_boxes,
    "avif_meta_children": avif_meta_children,
    "avif_nesting": avif_nesting,
    "avif_moov_boxes": avif_moov_boxes,
    "avif_sequence_frames": avif_sequence_frames,
    "heic_boxes": heic_boxes,
    "heic_meta_children": heic_meta_children,
    "heic_items": heic_items,
    "heic_claims_huge": heic_claims_huge,
}
