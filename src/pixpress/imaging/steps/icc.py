"""Just enough of ICC profiles to tell what colours they describe: colour space, description, and the
matrix/TRC model of RGB and grey display profiles (colorants, white point, tone curves), so a profile can
be compared with sRGB or Display P3 by the colours it gives, not by its name or its bytes.

A matrix/TRC profile maps each channel through its tone curve (TRC) to linear light, then through the
colorants (rXYZ, gXYZ, bXYZ: the primaries, already adapted to the D50 connection space) to XYZ. Two such
profiles show every pixel alike when their colorants agree and their curves agree; the white point tag
only matters for absolute rendering (browsers render relative). A profile with lookup tables (A2B0,
A2B1...) is rendered through them, not its matrix: it is never called equivalent here.
"""

from __future__ import annotations

import functools
import struct
from collections.abc import Callable, Sequence
from dataclasses import dataclass

ICC_FIELD = "icc-profile-data"  # where libvips keeps an image's profile
Curve = Callable[[float], float]  # encoded value 0-1 -> linear light 0-1
XYZ = tuple[float, float, float]

# sRGB (IEC 61966-2-1) colorants adapted to D50 with Bradford, as the ICC's sRGB profiles carry them.
SRGB_COLORANTS: tuple[XYZ, XYZ, XYZ] = (
    (0.4360747, 0.2225045, 0.0139322),
    (0.3850649, 0.7168786, 0.0971045),
    (0.1430804, 0.0606169, 0.7141733),
)
D50: XYZ = (0.9642, 1.0, 0.8249)
D65: XYZ = (0.9505, 1.0, 1.0890)
# How far two descriptions may differ and still show the same colours: colorants by 0.002 in XYZ (well
# under a just-noticeable difference; sRGB profiles in the wild differ by up to 0.0003), tone curves by
# one 8-bit code value anywhere (gamma 2.2 against sRGB's curve: 7 code values in the shadows).
COLORANT_TOLERANCE = 0.002
WHITE_TOLERANCE = 0.01
CURVE_TOLERANCE_CODES = 1.0
_LUT_TAGS = frozenset({b"A2B0", b"A2B1", b"A2B2", b"B2A0", b"B2A1", b"B2A2", b"D2B0", b"D2B1"})
MAX_TAGS = 200


def colour_space(profile: bytes) -> str:
    """The profile's data colour space signature, stripped: 'RGB', 'CMYK', 'GRAY' ('' when unreadable)."""
    if len(profile) < 128:
        return ""
    return profile[16:20].decode("latin-1").strip()


def description(profile: bytes) -> str:
    """The 'desc' tag (ICC v2 textDescriptionType or v4 multiLocalizedUnicodeType), '' when absent."""
    try:
        return _description(_tags(profile).get(b"desc", b""))
    except (struct.error, UnicodeDecodeError, IndexError, ValueError):
        return ""


@dataclass(frozen=True)
class MatrixTrc:
    """What a matrix/TRC profile says about colours: three colorants (none for grey) and a curve per
    channel, sampled at the 256 8-bit code values."""

    colour_space: str  # 'RGB' or 'GRAY'
    colorants: tuple[XYZ, ...]  # rXYZ, gXYZ, bXYZ (empty for grey)
    white: XYZ
    curves: tuple[tuple[float, ...], ...]  # linear light at each code value, per channel

    def same_colours(self, other: MatrixTrc) -> bool:
        """True when every pixel shows alike through both (within the tolerances above)."""
        if self.colour_space != other.colour_space:
            return False
        colorants = all(
            abs(a - b) <= COLORANT_TOLERANCE
            for mine, theirs in zip(self.colorants, other.colorants, strict=True)
            for a, b in zip(mine, theirs, strict=True)
        )
        return colorants and all(
            curve_distance_codes(mine, theirs) <= CURVE_TOLERANCE_CODES
            for mine, theirs in zip(self.curves, other.curves, strict=True)
        )


def srgb_curve(value: float) -> float:
    """sRGB's tone curve, encoded -> linear."""
    return value / 12.92 if value <= 0.04045 else ((value + 0.055) / 1.055) ** 2.4


def _srgb_encode(linear: float) -> float:
    linear = min(1.0, max(0.0, linear))
    return linear * 12.92 if linear <= 0.0031308 else 1.055 * linear ** (1 / 2.4) - 0.055


def sampled(curve: Curve) -> tuple[float, ...]:
    return tuple(curve(code / 255) for code in range(256))


SRGB = MatrixTrc("RGB", SRGB_COLORANTS, D50, (sampled(srgb_curve),) * 3)
SRGB_GREY = MatrixTrc("GRAY", (), D50, (sampled(srgb_curve),))


def curve_distance_codes(a: Sequence[float], b: Sequence[float]) -> float:
    """The largest difference between two sampled curves, in 8-bit code values of sRGB's encoding
    (a perceptual scale: the same linear difference matters more in the shadows)."""
    return max(abs(_srgb_encode(x) - _srgb_encode(y)) for x, y in zip(a, b, strict=True)) * 255


@functools.lru_cache(maxsize=64)
def matrix_trc(profile: bytes) -> MatrixTrc | None:
    """The matrix/TRC model of an RGB or grey display profile; None for any other profile (lookup
    tables, CMYK, Lab, damaged or incomplete tags)."""
    try:
        return _matrix_trc(profile)
    except (struct.error, IndexError, ValueError, ZeroDivisionError, OverflowError):
        return None


def srgb_equivalent(profile: bytes) -> bool:
    """True when the profile shows the same colours as sRGB (RGB) or sRGB's grey (GRAY): an untagged
    image means exactly that to every browser, so the profile says nothing."""
    model = matrix_trc(profile)
    if model is None:
        return False
    return model.same_colours(SRGB if model.colour_space == "RGB" else SRGB_GREY)


def same_colours(a: bytes, b: bytes) -> bool:
    """True when two profiles show every pixel alike (both matrix/TRC, within the tolerances)."""
    model_a, model_b = matrix_trc(a), matrix_trc(b)
    return model_a is not None and model_b is not None and model_a.same_colours(model_b)


def _matrix_trc(profile: bytes) -> MatrixTrc | None:
    space = colour_space(profile)
    if space not in ("RGB", "GRAY") or profile[20:24] != b"XYZ ":
        return None
    tags = _tags(profile)
    if _LUT_TAGS & tags.keys():
        return None
    white = _xyz(tags[b"wtpt"]) if b"wtpt" in tags else D50
    if not (_near(white, D50, WHITE_TOLERANCE) or _near(white, D65, WHITE_TOLERANCE)):
        return None  # an unusual media white: not a display profile this comparison knows
    if space == "GRAY":
        if b"kTRC" not in tags:
            return None
        return MatrixTrc("GRAY", (), white, (sampled(_curve(tags[b"kTRC"])),))
    names = (b"rXYZ", b"gXYZ", b"bXYZ", b"rTRC", b"gTRC", b"bTRC")
    if not all(name in tags for name in names):
        return None
    colorants = tuple(_xyz(tags[name]) for name in names[:3])
    curves = tuple(sampled(_curve(tags[name])) for name in names[3:])
    return MatrixTrc("RGB", colorants, white, curves)


def _tags(profile: bytes) -> dict[bytes, bytes]:
    """Tag signature -> the tag's bytes (from the tag table; a tag outside the profile is left out)."""
    if len(profile) < 132:
        return {}
    (count,) = struct.unpack(">I", profile[128:132])
    tags: dict[bytes, bytes] = {}
    for i in range(min(count, MAX_TAGS)):
        entry = 132 + 12 * i
        signature, offset, size = struct.unpack(">4sII", profile[entry : entry + 12])
        if offset + size <= len(profile):
            tags.setdefault(signature, profile[offset : offset + size])
    return tags


def _s15(data: bytes, offset: int) -> float:
    (value,) = struct.unpack(">i", data[offset : offset + 4])
    return value / 65536


def _xyz(tag: bytes) -> XYZ:
    if tag[:4] != b"XYZ " or len(tag) < 20:
        raise ValueError("not an XYZType")
    return (_s15(tag, 8), _s15(tag, 12), _s15(tag, 16))


def _near(a: XYZ, b: XYZ, tolerance: float) -> bool:
    return all(abs(x - y) <= tolerance for x, y in zip(a, b, strict=True))


def _curve(tag: bytes) -> Curve:
    """curveType (identity, gamma or a table) or parametricCurveType (functions 0-4 of ICC v4)."""
    kind = tag[:4]
    if kind == b"curv":
        (count,) = struct.unpack(">I", tag[8:12])
        if count == 0:
            return lambda x: x
        if count == 1:
            (raw,) = struct.unpack(">H", tag[12:14])
            gamma = raw / 256
            return lambda x: x**gamma
        table = struct.unpack(f">{count}H", tag[12 : 12 + 2 * count])
        return functools.partial(_interpolate, tuple(v / 65535 for v in table))
    if kind == b"para":
        (function,) = struct.unpack(">H", tag[8:10])
        wanted = {0: 1, 1: 3, 2: 4, 3: 5, 4: 7}[function]
        params = [_s15(tag, 12 + 4 * i) for i in range(wanted)]
        return functools.partial(_parametric, function, tuple(params))
    raise ValueError("not a tone curve")


def _interpolate(table: tuple[float, ...], x: float) -> float:
    position = x * (len(table) - 1)
    low = min(int(position), len(table) - 2)
    fraction = position - low
    return table[low] + (table[low + 1] - table[low]) * fraction


def _parametric(function: int, p: tuple[float, ...], x: float) -> float:
    g = p[0]
    if function == 0:
        return x**g
    a, b = p[1], p[2]
    if function in (1, 2):
        c = p[3] if function == 2 else 0.0
        return (a * x + b) ** g + c if a * x + b >= 0 and x >= -b / a else c
    c, d = p[3], p[4]
    e, f = (p[5], p[6]) if function == 4 else (0.0, 0.0)
    return (a * x + b) ** g + e if x >= d else c * x + f


def _description(tag: bytes) -> str:
    kind = tag[:4]
    if kind == b"desc":
        (length,) = struct.unpack(">I", tag[8:12])
        return tag[12 : 12 + length].split(b"\x00", 1)[0].decode("latin-1")
    if kind == b"mluc":
        records = struct.unpack(">I", tag[8:12])[0]
        if records == 0:
            return ""
        length, start = struct.unpack(">II", tag[20:28])
        return tag[start : start + length].decode("utf-16-be").rstrip("\x00")
    return ""
