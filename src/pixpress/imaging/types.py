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
    HEIC = "heic"  # HEIC/HEIF (HEVC): read, never written (browsers other than Safari cannot show it)

    @property
    def mime_type(self) -> str:
        return MIME_TYPES[self]

    @property
    def servable(self) -> ImageFormat:
        """What `format=original` means for an upload of this format: itself, JPEG for HEIC."""
        return ImageFormat.JPEG if self in INPUT_ONLY_FORMATS else self

    @property
    def extension(self) -> str:
        return "jpg" if self is ImageFormat.JPEG else self.value


MIME_TYPES = {
    ImageFormat.JPEG: "image/jpeg",
    ImageFormat.PNG: "image/png",
    ImageFormat.WEBP: "image/webp",
    ImageFormat.GIF: "image/gif",
    ImageFormat.AVIF: "image/avif",
    ImageFormat.HEIC: "image/heic",
}
INPUT_ONLY_FORMATS = frozenset({ImageFormat.HEIC})
OUTPUT_FORMATS = frozenset(ImageFormat) - INPUT_ONLY_FORMATS


class Mode(StrEnum):
    LOSSLESS = "lossless"  # pixel-exact
    GLOSSY = "glossy"  # visually indistinguishable
    LOSSY = "lossy"  # high quality, the default


class OutputFormat(StrEnum):
    ORIGINAL = "original"  # the upload's format (JPEG for HEIC: ImageFormat.servable)
    JPEG = "jpeg"
    PNG = "png"
    WEBP = "webp"
    AVIF = "avif"
    AUTO = "auto"  # smallest of the formats the site accepts


class AcceptFor(StrEnum):
    """Which outputs of a format=auto upload get the accepted formats."""

    ALL = "all"  # the image and each size
    SIZES = "sizes"  # the sizes only; the image keeps the upload's format (a site that never serves it)


class KeepMetadata(StrEnum):
    NONE = "none"
    ICC = "icc"  # colour profile kept; EXIF/XMP/GPS stripped; orientation applied to the pixels
    ALL = "all"


class ColourPath(StrEnum):
    """What the colour step did with the upload's colour profile (steps/colour.py); each output says."""

    UNTAGGED = "untagged"  # no profile in the upload: sRGB, as every browser reads an untagged image
    PROFILE_KEPT = "profile_kept"  # the pixels stay in the profile's colours and the profile goes along
    COMPACT_PROFILE = "compact_profile"  # kept, as a smaller profile of the same colours (Display P3)
    SRGB_PROFILE_DROPPED = "srgb_profile_dropped"  # the profile said sRGB: output untagged (PNG: sRGB chunk)
    CONVERTED_TO_SRGB = "converted_to_srgb"  # pixels converted through the profile (keep_metadata=none, CMYK)


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
    orientation: int = 1  # EXIF orientation (5-8 swap width and height once applied)

    @property
    def display_size(self) -> tuple[int, int]:
        """Width and height as a viewer shows the image, after the EXIF orientation."""
        if self.orientation in (5, 6, 7, 8) and self.frames == 1:  # animations are not rotated
            return self.height, self.width
        return self.width, self.height

    @property
    def mime_type(self) -> str:
        return self.format.mime_type


@dataclass(frozen=True)
class SizeSpec:
    """One resized copy asked for with `sizes` (WordPress's image sizes): a box, fitted or cropped.

    Fit: inside width x height, aspect kept, never upscaled; 0 leaves that side free (768x0).
    Crop: centre crop to exactly width x height (each side clamped to the upload, never upscaled).
    """

    name: str
    width: int  # 0: no limit on this side (fit only)
    height: int
    crop: bool = False


@dataclass(frozen=True)
class OptimizeOptions:
    mode: Mode = Mode.LOSSY
    quality: int | None = None  # 1-100: a fixed encoder setting instead of the mode's target
    format: OutputFormat = OutputFormat.ORIGINAL
    max_width: int | None = None
    max_height: int | None = None
    keep_metadata: KeepMetadata = KeepMetadata.ICC
    accept: frozenset[ImageFormat] = frozenset()  # extra formats the site can serve (format=auto)
    sizes: tuple[SizeSpec, ...] = ()  # resized copies made from the same upload (imaging/sizes.py)
    accept_for: AcceptFor = AcceptFor.ALL


@dataclass(frozen=True)
class EncodedImage:
    data: bytes
    format: ImageFormat
    width: int
    height: int
    quality: int | None = None  # encoder setting chosen, None for lossless output
    score: float | None = None  # SSIMULACRA2 against the oriented, resized source, when measured
    settings: dict[str, object] = field(default_factory=dict)  # encoder parameters, for the status
    colour: ColourPath | None = None  # what became of the colour profile (None: not recorded)

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


@dataclass(frozen=True)
class SizedImage:
    """One `sizes` entry made: its spec and the optimized copy (variants: each format tried)."""

    spec: SizeSpec
    result: OptimizeResult

    @property
    def image(self) -> EncodedImage:
        return self.result.image


@dataclass(frozen=True)
class SizedResult:
    """The optimized upload and one optimized copy per requested size, from one decode."""

    main: OptimizeResult
    sizes: tuple[SizedImage, ...] = ()
