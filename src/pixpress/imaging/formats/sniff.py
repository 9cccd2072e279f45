"""Step 1, sniff: the image type from its magic bytes alone, never from a name or a client's claim."""

from __future__ import annotations

from pixpress.errors import InvalidImage, UnsupportedFormat
from pixpress.imaging.formats import isobmff
from pixpress.imaging.types import ImageFormat

# ISO-BMFF brands that mean AV1 still images (avif) or AV1 image sequences (avis), and HEVC images,
# image collections (bursts) and sequences (HEIC: read, served as JPEG).
AVIF_BRANDS = frozenset({b"avif", b"avis"})
HEIC_BRANDS = frozenset({b"heic", b"heix", b"hevc", b"heim", b"heis", b"hevm", b"hevs"})
# The generic HEIF brands say nothing of the codec: the items of the meta box do.
HEIF_BRANDS = frozenset({b"mif1", b"msf1"})
AV1_ITEMS = frozenset({b"av01"})
HEVC_ITEMS = frozenset({b"hvc1", b"hev1"})


def sniff(data: bytes) -> ImageFormat:
    """Return the format of `data` or raise UnsupportedFormat (SVG, TIFF, BMP, PDF, text, empty, a HEIF
    coded with neither AV1 nor HEVC...)."""
    if data.startswith(b"\xff\xd8\xff"):
        return ImageFormat.JPEG
    if data.startswith(b"\x89PNG\r\n\x1a\n"):
        return ImageFormat.PNG
    if data.startswith((b"GIF87a", b"GIF89a")):
        return ImageFormat.GIF
    if len(data) >= 16 and data[:4] == b"RIFF" and data[8:12] == b"WEBP":
        return ImageFormat.WEBP
    brands = ftyp_brands(data)
    if any(brand in AVIF_BRANDS for brand in brands):
        return ImageFormat.AVIF
    if any(brand in HEIC_BRANDS for brand in brands):
        return ImageFormat.HEIC
    if any(brand in HEIF_BRANDS for brand in brands):
        return _heif_by_items(data)
    raise UnsupportedFormat()


def ftyp_brands(data: bytes) -> list[bytes]:
    """Major and compatible brands of an ISO-BMFF `ftyp` box at the start of `data` ([] when absent)."""
    if len(data) < 16 or data[4:8] != b"ftyp":
        return []
    size = int.from_bytes(data[0:4], "big")
    if size < 16 or size > len(data) or size > 4096:
        return []
    major = data[8:12]
    compatible = [data[i : i + 4] for i in range(16, size - 3, 4)]
    return [major, *compatible]


def _heif_by_items(data: bytes) -> ImageFormat:
    """A HEIF with only the generic brand: AVIF when its items are AV1, HEIC when they are HEVC."""
    try:
        types = isobmff.items(data).types
    except InvalidImage:
        raise UnsupportedFormat() from None
    if types & HEVC_ITEMS:
        return ImageFormat.HEIC
    if types & AV1_ITEMS:
        return ImageFormat.AVIF
    raise UnsupportedFormat()
