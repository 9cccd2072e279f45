"""The vocabulary of the imaging engine: formats, options, limits and results. Pure data."""

from __future__ import annotations

from dataclasses import dataclass, field
from enum import StrEnum


class ImageFormat(StrEnum):
    JPEG = "jpeg"
    PNG = "png"
    WEBP = "webp"
    GIF = "gif"
    AVIF = "avif"

    @property
    def mime_type(self) -> str:
        return MIME_TYPES[self]

    @property
    def extension(self) -> str:
        return "jpg" if self is ImageFormat.JPEG else self.value


MIME_TYPES = {
    ImageFormat.JPEG: "image/jpeg",
    ImageFormat.PNG: "image/png",
    ImageFormat.WEBP: "image/webp",
    ImageFormat.GIF: "image/gif",
    ImageFormat.AVIF: "image/avif",
}


class Mode(StrEnum):
    LOSSLESS = "lossless"  # pixel-exact
    GLOSSY = "glossy"  # visually indistinguishable
    LOSSY = "lossy"  # high quality, the default


class OutputFormat(StrEnum):
    ORIGINAL = "original"
    JPEG = "jpeg"
    PNG = "png"
    WEBP = "webp"
    AVIF = "avif"
    AUTO = "auto"  # smallest of the formats the site accepts


class KeepMetadata(StrEnum):
    NONE = "none"
    ICC = "icc"  # colour profile kept; EXIF/XMP/GPS stripped; orientation applied to the pixels
    ALL = "all"


@dataclass(frozen=True)
class Targets:
    """SSIMULACRA2 each mode aims for (PIXPRESS_TARGET_GLOSSY / _LOSSY); lossless is pixel-exact."""

    glossy: float = 80.0
    lossy: float = 70.0

    def for_mode(self, mode: Mode) -> float | None:
        return {Mode.GLOSSY: self.glossy, Mode.LOSSY: self.lossy}.get(mode)


@dataclass(frozen=True)
class Limits:
    max_pixels: int = 50_000_000  # per frame
    max_frames: int = 1000
    max_dimension_px: int = 32768
    max_total_pixels: int = 500_000_000  # all frames of an animation together (decoded memory guard)
    targets: Targets = field(default_factory=Targets)  # perceptual goals of the modes


@dataclass(frozen=True)
class ImageInfo:
    """What the header says, read without decoding the pixels."""

    format: ImageFormat
    width: int
    height: int  # of one frame
    frames: int = 1
    has_alpha: bool = False
    orientation: int = 1  # EXIF orientation (5-8: width and height swap when it is applied)

    @property
    def mime_type(self) -> str:
        return self.format.mime_type


@dataclass(frozen=True)
class OptimizeOptions:
    mode: Mode = Mode.LOSSY
    quality: int | None = None  # 1-100: a fixed encoder setting instead of the mode's target
    format: OutputFormat = OutputFormat.ORIGINAL
    max_width: int | None = None
    max_height: int | None = None
    keep_metadata: KeepMetadata = KeepMetadata.ICC
    accept: frozenset[ImageFormat] = frozenset()  # extra formats the site can serve (format=auto)


@dataclass(frozen=True)
class EncodedImage:
    data: bytes
    format: ImageFormat
    width: int
    height: int
    quality: int | None = None  # encoder setting chosen, None for lossless output
    score: float | None = None  # SSIMULACRA2 against the oriented, resized source, when measured
    settings: dict[str, object] = field(default_factory=dict)  # encoder parameters, for the status

    @property
    def mime_type(self) -> str:
        return self.format.mime_type

    @property
    def size_bytes(self) -> int:
        return len(self.data)


@dataclass(frozen=True)
class OptimizeResult:
    """The chosen output, plus every variant produced (format=auto lists each candidate)."""

    image: EncodedImage
    variants: tuple[EncodedImage, ...] = ()
    kept_original: bool = False  # the input bytes were returned: nothing smaller was found
