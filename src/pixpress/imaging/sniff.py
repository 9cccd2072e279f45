"""Step 1, sniff: the image type from its magic bytes alone, never from a name or a client's claim."""

from __future__ import annotations

from pixpress.errors import UnsupportedFormat
from pixpress.imaging.types import ImageFormat

# ISO-BMFF brands that mean AV1 still images (avif) or AV1 image sequences (avis). HEIC/HEIF brands
# (heic, heix, hevc, mif1 alone, msf1 alone) are refused: browsers cannot show them.
AVIF_BRANDS = frozenset({b"avif", b"avis"})


def sniff(data: bytes) -> ImageFormat:
    """Return the format of `data` or raise UnsupportedFormat (SVG, TIFF, BMP, HEIC, PDF, text, empty...)."""
    if data.startswith(b"\xff\xd8\xff"):
        return ImageFormat.JPEG
    if data.startswith(b"\x89PNG\r\n\x1a\n"):
        return ImageFormat.PNG
    if data.startswith((b"GIF87a", b"GIF89a")):
        return ImageFormat.GIF
    if len(data) >= 16 and data[:4] == b"RIFF" and data[8:12] == b"WEBP":
        return ImageFormat.WEBP
    if _is_avif(data):
        return ImageFormat.AVIF
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


def _is_avif(data: bytes) -> bool:
    return any(brand in AVIF_BRANDS for brand in ftyp_brands(data))
