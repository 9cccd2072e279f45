"""HDR gain maps of JPEG photos: found in the upload, carried to every JPEG output, scaled with it.

A gain-map JPEG is an ordinary (SDR) JPEG, the base image every viewer shows, followed by a second,
smaller JPEG, the gain map, that an HDR screen uses to brighten the base (Ultra HDR on Android, Adobe's
and ISO 21496-1 gain maps, Apple's HDR photos). The MPF index in the base's header says where the
second picture is (mpf.py); the gain map's own header says how to apply it:

- "adobe": XMP in the hdrgm namespace (Adobe's gain map spec, Ultra HDR v1); the primary image's XMP
  declares hdrgm:Version and, for Ultra HDR readers, a Container directory giving the gain map's length;
- "iso": an ISO 21496-1 APP2 segment (libultrahdr 2 writes only this; the primary holds its version);
- "apple": XMP in Apple's HDRGainMap namespace (the headroom in the gain map's XMP from version 2.0,
  in the maker note of the primary's EXIF before).

The pixels are the base image's alone (decode reads the primary JPEG with jpegload: libvips' uhdrload
would pick these files up and refuse the options of a plain JPEG load); quality search and scoring
see the base image. A JPEG output gets the gain map back, turned, cropped and resized like the base
and encoded once at GAIN_MAP_QUALITY, with the segments that describe it copied unchanged (they hold
the gain map's parameters, nothing about the photograph: kept for every keep_metadata). WebP and AVIF
outputs are the base image only: libvips writes no gain map into them.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import pyvips

from pixpress.errors import InvalidImage
from pixpress.imaging.context import Context
from pixpress.imaging.formats import jpeg_segments, mpf
from pixpress.imaging.formats.jpeg_segments import APP1, APP2
from pixpress.imaging.types import ImageFormat

GAIN_MAP_QUALITY = 90  # libultrahdr's own default is 95; the gain map is 1/4-1/16 of the base's pixels
ADOBE_NS = b"http://ns.adobe.com/hdr-gain-map/1.0/"
APPLE_NS = b"http://ns.apple.com/HDRGainMap/1.0/"
ISO_ID = b"urn:iso:std:iso:ts:21496:-1\x00"
XMP_ID = b"http://ns.adobe.com/xap/1.0/\x00"
NOT_KEPT = "not kept: {fmt} output is the SDR base image only (libvips writes no gain map into {fmt})"


@dataclass(frozen=True)
class GainMap:
    kind: str  # "adobe", "iso" or "apple"
    data: bytes  # the gain map JPEG as stored in the upload
    width: int
    height: int
    segments: tuple[bytes, ...]  # the gain map's own segments that describe it (XMP, ISO 21496-1)
    primary_segments: tuple[bytes, ...]  # the primary's ISO 21496-1 version segment, when there is one


def find(data: bytes) -> GainMap | None:
    """The gain map of a JPEG upload, None when it has none (or one pixpress cannot carry: an MPF
    picture larger than the base image is not a gain map)."""
    try:
        layout = jpeg_segments.parse_header(data)
    except InvalidImage:
        return None
    index = next((s for s in layout.segments if mpf.is_mpf(s, data)), None)
    if index is None:
        return None
    for picture in mpf.pictures(data, index):
        found = _gain_map(data[picture.start : picture.end], layout.width, layout.height)
        if found is not None:
            kind, header, segments = found
            primary = tuple(
                data[s.start : s.end] for s in layout.segments if _is_iso(s, data) and found[0] == "iso"
            )
            return GainMap(
                kind, data[picture.start : picture.end], header.width, header.height, segments, primary
            )
    return None


def _gain_map(
    picture: bytes, max_width: int, max_height: int
) -> tuple[str, jpeg_segments.JpegHeader, tuple[bytes, ...]] | None:
    try:
        header = jpeg_segments.parse_header(picture)
    except InvalidImage:
        return None
    if not (0 < header.width <= max_width and 0 < header.height <= max_height):
        return None
    kinds = []
    segments = []
    for segment in header.segments:
        payload = segment.payload(picture)
        if _is_iso(segment, picture):
            kinds.append("iso")
        elif segment.marker == APP1 and payload.startswith(XMP_ID):
            if ADOBE_NS in payload:
                kinds.append("adobe")
            elif APPLE_NS in payload:
                kinds.append("apple")
            else:
                continue
        else:
            continue
        segments.append(picture[segment.start : segment.end])
    if not kinds:
        return None
    return ("iso" if "iso" in kinds else kinds[0]), header, tuple(segments)


def _is_iso(segment: jpeg_segments.Segment, data: bytes) -> bool:
    return segment.marker == APP2 and segment.payload(data).startswith(ISO_ID)


def find_step(ctx: Context) -> None:
    """Pipeline step after decode: note the upload's gain map (JPEG uploads only)."""
    if ctx.source_format is ImageFormat.JPEG and not ctx.animated:
        ctx.gain_map = find(ctx.data)


def carry(ctx: Context, fmt: ImageFormat, data: bytes, settings: dict[str, Any]) -> bytes:
    """The encoded base image `data` with the upload's gain map attached (JPEG) or the status saying
    it was not kept (other formats). Unchanged when the upload has no gain map."""
    found = ctx.gain_map
    if found is None:
        return data
    if fmt is not ImageFormat.JPEG:
        settings["hdr_gain_map"] = {"kept": False, "note": NOT_KEPT.format(fmt=fmt.value.upper())}
        return data
    if _has_index(data):  # the upload's own bytes (lossless with keep_metadata=all)
        settings["hdr_gain_map"] = {"kept": True, "kind": found.kind, "quality": "as uploaded"}
        return data
    width, height = int(ctx.pixels.width), ctx.frame_height
    # Lossless JPEG is the upload's own scan, not turned (its EXIF orientation kept): so is its gain map.
    as_stored = settings.get("method") == "metadata-strip"
    same = as_stored or (
        (width, height) == ctx.full_size and ctx.orientation in (1, 0) and ctx.region is None
    )
    stored = found.data if same else _scaled(ctx, found, width, height)
    gm_width, gm_height = _size(stored)
    settings["hdr_gain_map"] = {
        "kept": True,
        "kind": found.kind,
        "width": gm_width,
        "height": gm_height,
        "quality": "as uploaded" if same else GAIN_MAP_QUALITY,
        "size": len(stored),
    }
    return attach(data, stored, found)


def attach(base: bytes, gain_map: bytes, found: GainMap) -> bytes:
    """A two-picture MPF JPEG: `base` and `gain_map` (its describing segments added when missing),
    with what the primary of this kind of file declares."""
    header = jpeg_segments.parse_header(gain_map)
    if not any(_describes(s, gain_map) for s in header.segments):
        after_jfif = next(
            (s.end for s in header.segments if s.marker == jpeg_segments.APP0 and s.start == 2), 2
        )
        gain_map = gain_map[:after_jfif] + b"".join(found.segments) + gain_map[after_jfif:]
    primary: list[bytes] = list(found.primary_segments)
    if found.kind == "adobe" and not _has_xmp(base):
        primary.append(_container_xmp(len(gain_map)))
    return mpf.join(base, primary, gain_map)


def _describes(segment: jpeg_segments.Segment, data: bytes) -> bool:
    payload = segment.payload(data)
    xmp = segment.marker == APP1 and payload.startswith(XMP_ID)
    return _is_iso(segment, data) or (xmp and (ADOBE_NS in payload or APPLE_NS in payload))


def _has_index(data: bytes) -> bool:
    header = jpeg_segments.parse_header(data)
    return any(mpf.is_mpf(s, data) for s in header.segments)


def _has_xmp(data: bytes) -> bool:
    header = jpeg_segments.parse_header(data)
    return any(s.marker == APP1 and s.payload(data).startswith(XMP_ID) for s in header.segments)


def _container_xmp(gain_map_bytes: int) -> bytes:
    """The primary image's XMP of an Ultra HDR v1 file: hdrgm:Version (Adobe's spec) and the Container
    directory naming the gain map and its length (Android's readers)."""
    xmp = (
        '<x:xmpmeta xmlns:x="adobe:ns:meta/"><rdf:RDF xmlns:rdf="http://www.w3.org/1999/02/22-rdf-syntax-ns#">'
        '<rdf:Description rdf:about="" xmlns:hdrgm="http://ns.adobe.com/hdr-gain-map/1.0/"'
        ' xmlns:Container="http://ns.google.com/photos/1.0/container/"'
        ' xmlns:Item="http://ns.google.com/photos/1.0/container/item/" hdrgm:Version="1.0">'
        "<Container:Directory><rdf:Seq>"
        '<rdf:li rdf:parseType="Resource"><Container:Item Item:Semantic="Primary" Item:Mime="image/jpeg"/>'
        "</rdf:li>"
        '<rdf:li rdf:parseType="Resource"><Container:Item Item:Semantic="GainMap" Item:Mime="image/jpeg"'
        f' Item:Length="{gain_map_bytes}"/></rdf:li>'
        "</rdf:Seq></Container:Directory></rdf:Description></rdf:RDF></x:xmpmeta>"
    ).encode()
    payload = XMP_ID + xmp
    return b"\xff\xe1" + (len(payload) + 2).to_bytes(2, "big") + payload


def _scaled(ctx: Context, found: GainMap, width: int, height: int) -> bytes:
    """The gain map turned like the upload, cropped to the output's region and resized in proportion
    to the output, as a JPEG at GAIN_MAP_QUALITY (its describing segments are added by attach). A much
    smaller output decodes the gain map at 1/2-1/8 of its size (libjpeg's scaled decode, as shrink.py)."""
    turned = ctx.orientation in (5, 6, 7, 8)
    gm_width, gm_height = (found.height, found.width) if turned else (found.width, found.height)
    full_width, full_height = ctx.full_size
    left, top, right, bottom = ctx.region or (0.0, 0.0, 1.0, 1.0)
    out_width = max(1, round(width * gm_width / full_width))
    out_height = max(1, round(height * gm_height / full_height))
    room = min((right - left) * gm_width / out_width, (bottom - top) * gm_height / out_height)
    shrink = next((factor for factor in (8, 4, 2) if factor * 2 <= room), 1)
    image = pyvips.Image.jpegload_buffer(found.data, autorotate=False, shrink=shrink)
    if ctx.orientation not in (0, 1):
        image = image.copy()
        image.set_type(pyvips.GValue.gint_type, "orientation", ctx.orientation)
        image = image.autorot()
    x0, y0 = round(left * image.width), round(top * image.height)
    crop_width = max(1, min(image.width - x0, round((right - left) * image.width)))
    crop_height = max(1, min(image.height - y0, round((bottom - top) * image.height)))
    if (crop_width, crop_height) != (image.width, image.height):
        image = image.crop(x0, y0, crop_width, crop_height)
    if (out_width, out_height) != (image.width, image.height):
        # The gain map holds log-encoded gains, not light: resized as stored, not in linear light.
        image = image.resize(out_width / image.width, vscale=out_height / image.height, kernel="lanczos3")
        if (image.width, image.height) != (out_width, out_height):
            image = image.gravity("north-west", out_width, out_height, extend="copy")
    data: bytes = image.jpegsave_buffer(Q=GAIN_MAP_QUALITY, keep="none", optimize_coding=True)
    return data


def _size(data: bytes) -> tuple[int, int]:
    header = jpeg_segments.parse_header(data)
    return header.width, header.height
