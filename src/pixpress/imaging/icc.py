"""Just enough of ICC profiles to tell sRGB from the rest: colour space and description."""

from __future__ import annotations

import struct


def colour_space(profile: bytes) -> str:
    """The profile's data colour space signature, stripped: 'RGB', 'CMYK', 'GRAY' ('' when unreadable)."""
    if len(profile) < 128:
        return ""
    return profile[16:20].decode("latin-1").strip()


def description(profile: bytes) -> str:
    """The 'desc' tag (ICC v2 textDescriptionType or v4 multiLocalizedUnicodeType), '' when absent."""
    try:
        return _description(profile)
    except (struct.error, UnicodeDecodeError, IndexError):
        return ""


def is_srgb(profile: bytes) -> bool:
    """True for the usual sRGB profiles ("sRGB IEC61966-2.1", "sRGB built-in", "sRGB v4 ICC...")."""
    return colour_space(profile) == "RGB" and "srgb" in description(profile).lower()


def _description(profile: bytes) -> str:
    if len(profile) < 132:
        return ""
    (count,) = struct.unpack(">I", profile[128:132])
    for i in range(min(count, 200)):
        entry = 132 + 12 * i
        signature, offset, size = struct.unpack(">4sII", profile[entry : entry + 12])
        if signature != b"desc":
            continue
        tag = profile[offset : offset + size]
        kind = tag[:4]
        if kind == b"desc":
            (length,) = struct.unpack(">I", tag[8:12])
            return tag[12 : 12 + length].split(b"\x00", 1)[0].decode("latin-1")
        if kind == b"mluc":
            records, record_size = struct.unpack(">II", tag[8:16])
            if records == 0:
                return ""
            length, start = struct.unpack(">II", tag[20:28])
            del record_size
            return tag[start : start + length].decode("utf-16-be").rstrip("\x00")
        return ""
    return ""
