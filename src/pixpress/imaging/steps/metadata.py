"""Image metadata, read so that no name or value can crash a task: the one place imaging/ reads it.

pyvips decodes every metadata name and string value as UTF-8 and raises UnicodeDecodeError otherwise,
and the files carry whatever their writers put there: a PNG tEXt keyword is Latin-1 (libvips names the
field `png-comment-0-<keyword>`), EXIF strings are any bytes. `get_fields()` fails on the first such
name, so a check like `"orientation" in image.get_fields()` turned a photo with a Latin-1 comment into
internal_error. Here:

- a field is looked up by its own (ASCII) name with `get_typeof`, never by listing every field: nothing
  foreign is decoded, and a file with thousands of text chunks costs one hash lookup, not a list;
- string values are decoded leniently (undecodable bytes replaced), other values as pyvips reads them;
- `names()` lists the fields with the undecodable bytes escaped, for the rare reader that needs all.

Pillow's `info` (APNG frames, HEIC through pi-heif) holds whatever its plugins parsed: the readers
here take a value only when it has the expected type.
"""

from __future__ import annotations

import struct
from collections.abc import Mapping
from typing import Any

import pyvips
from pyvips import ffi, glib_lib, gobject_lib, vips_lib

ICC = "icc-profile-data"
EXIF = "exif-data"
XMP = "xmp-data"
ORIENTATION = "orientation"
PAGE_HEIGHT = "page-height"
N_PAGES = "n-pages"
DELAY = "delay"
LOOP = "loop"
ANIMATION = (PAGE_HEIGHT, DELAY, LOOP, N_PAGES)

_ORIENTATION_TAG = 0x0112
_EXIF_HEADER = b"Exif\x00\x00"
_STRING_TYPES = frozenset({pyvips.GValue.gstr_type, pyvips.GValue.refstr_type})


def has(image: pyvips.Image, name: str) -> bool:
    """Whether `image` carries the field `name` (no other field is looked at)."""
    return int(image.get_typeof(name)) != 0


def get(image: pyvips.Image, name: str) -> Any:
    """The value of `name` (None when absent); a string value that is not UTF-8 has the bad bytes
    replaced."""
    gtype = int(image.get_typeof(name))
    if gtype == 0:
        return None
    if gtype in _STRING_TYPES:
        return _string(image, name)
    return image.get(name)


def get_int(image: pyvips.Image, name: str, default: int) -> int:
    """An integer field, `default` when absent or not a number."""
    value = get(image, name)
    if isinstance(value, bool) or not isinstance(value, int | float):
        return default
    return int(value)


def get_ints(image: pyvips.Image, name: str) -> list[int] | None:
    """An array-of-integers field (frame delays), None when absent or of another type."""
    value = get(image, name)
    if not isinstance(value, list) or not all(isinstance(item, int) for item in value):
        return None
    return value


def get_blob(image: pyvips.Image, name: str) -> bytes | None:
    """A binary field (ICC profile, EXIF, XMP), None when absent or empty."""
    if int(image.get_typeof(name)) != int(pyvips.GValue.blob_type):
        return None
    value = image.get(name)
    return bytes(value) if value else None


def names(image: pyvips.Image) -> list[str]:
    """Every field name, bytes that are not UTF-8 escaped (backslashreplace)."""
    array = vips_lib.vips_image_get_fields(image.pointer)
    found: list[str] = []
    i = 0
    while array[i] != ffi.NULL:
        found.append(ffi.string(array[i]).decode("utf-8", "backslashreplace"))
        glib_lib.g_free(array[i])
        i += 1
    glib_lib.g_free(array)
    return found


def without(image: pyvips.Image, *fields: str) -> pyvips.Image:
    """A copy of `image` without the fields named (those it carries)."""
    out = image.copy()
    for name in fields:
        if has(out, name):
            out.remove(name)
    return out


def pillow_bytes(info: Mapping[Any, Any], key: str) -> bytes | None:
    """A binary entry of a Pillow `info` dict (icc_profile, exif, xmp), None when absent or not bytes."""
    value = info.get(key)
    return bytes(value) if isinstance(value, bytes | bytearray) and value else None


def pillow_number(info: Mapping[Any, Any], key: str) -> float | None:
    """A numeric entry of a Pillow `info` dict (duration, loop), None when absent or not a number."""
    value = info.get(key)
    if isinstance(value, bool) or not isinstance(value, int | float):
        return None
    return float(value)


def exif_upright(exif: bytes | None) -> bytes | None:
    """`exif` (TIFF data after "Exif\\0\\0") with its orientation set to 1, for pixels already turned;
    None when absent or when Pillow cannot parse it (such EXIF is dropped, not guessed at)."""
    if exif is None:
        return None
    from PIL import Image  # here, not at the top: the API process reads metadata without Pillow

    parsed = Image.Exif()
    try:
        parsed.load(exif)
        if parsed.get(_ORIENTATION_TAG, 1) != 1:
            parsed[_ORIENTATION_TAG] = 1
        written = parsed.tobytes()
    except (SyntaxError, ValueError, TypeError, KeyError, IndexError, EOFError, OSError, struct.error):
        return None
    return written if len(written) > len(_EXIF_HEADER) else None


def _string(image: pyvips.Image, name: str) -> str:
    value = pyvips.GValue()
    if vips_lib.vips_image_get(image.pointer, name.encode(), value.pointer) != 0:
        return ""
    if int(value.gvalue.g_type) == int(pyvips.GValue.refstr_type):
        size = ffi.new("size_t *")
        pointer = vips_lib.vips_value_get_ref_string(value.gvalue, size)
    else:
        pointer = gobject_lib.g_value_get_string(value.gvalue)
    if pointer == ffi.NULL:
        return ""
    text: str = ffi.string(pointer).decode("utf-8", "replace")
    return text
