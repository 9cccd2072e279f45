"""The `sizes` option: `thumbnail:150x150:crop,medium:300x300,medium_large:768x0`, parsed and checked.

Each entry is `name:WxH` (fit inside the box, aspect kept, never upscaled; 0 leaves a side free, as
WordPress's medium_large 768x0) or `name:WxH:crop` (centre crop to exactly W x H). A size must make
the image smaller, like WordPress, which never upscales and skips a size the upload already fits:
a box at least as large as the upload on both sides is refused at submit. A box larger on one side
only is accepted: fit shrinks by the other side; crop clamps that side to the upload (a 150x150 crop
of a 100x800 upload is 100x150).
"""

from __future__ import annotations

import re

from pixpress.errors import InvalidOption
from pixpress.imaging.steps.resize import target_size
from pixpress.imaging.types import ImageInfo, SizeSpec

MAX_SIZES = 16
MAX_SIZE_PX = 100_000  # guards the arithmetic; a box must be smaller than the upload anyway
NAME = re.compile(r"[a-z0-9_-]{1,40}")
BOX = re.compile(r"(\d{1,6})[xX](\d{1,6})")
FIELD = {"field": "sizes"}


def parse_sizes(text: str | None) -> tuple[SizeSpec, ...]:
    """The specs in the order given; blank entries (a trailing comma) are skipped.

    Raises InvalidOption (details {"field": "sizes"}) for bad syntax, more than MAX_SIZES entries,
    a repeated name, a zero side with crop, or a box of 0x0.
    """
    if text is None:
        return ()
    specs = tuple(_parse_one(item.strip()) for item in text.split(",") if item.strip())
    if len(specs) > MAX_SIZES:
        raise InvalidOption(f"sizes lists at most {MAX_SIZES} entries.", details=FIELD)
    names = [spec.name for spec in specs]
    if duplicate := next((n for n in names if names.count(n) > 1), None):
        raise InvalidOption(f"sizes names each entry once ({duplicate!r} is repeated).", details=FIELD)
    return specs


def _parse_one(item: str) -> SizeSpec:
    parts = item.split(":")
    if len(parts) not in (2, 3) or (len(parts) == 3 and parts[2].strip().lower() != "crop"):
        raise InvalidOption(
            "sizes entries read name:WxH or name:WxH:crop, e.g. thumbnail:150x150:crop,medium:300x300.",
            details=FIELD,
        )
    name, box = parts[0].strip(), parts[1].strip()
    if not NAME.fullmatch(name):
        raise InvalidOption("sizes names are 1 to 40 characters among a-z, 0-9, '_' and '-'.", details=FIELD)
    match = BOX.fullmatch(box)
    width, height = (int(match[1]), int(match[2])) if match else (-1, -1)
    if not (0 <= width <= MAX_SIZE_PX and 0 <= height <= MAX_SIZE_PX) or width == height == 0:
        raise InvalidOption(
            f"sizes boxes read WxH with sides from 1 to {MAX_SIZE_PX} (0 leaves one side free).",
            details=FIELD,
        )
    crop = len(parts) == 3
    if crop and 0 in (width, height):
        raise InvalidOption("a cropped size needs both sides (e.g. 150x150:crop).", details=FIELD)
    return SizeSpec(name=name, width=width, height=height, crop=crop)


def format_sizes(specs: tuple[SizeSpec, ...]) -> str:
    """The canonical text of `specs`; parse_sizes(format_sizes(s)) == s."""
    return ",".join(f"{s.name}:{s.width}x{s.height}{':crop' if s.crop else ''}" for s in specs)


def output_size(spec: SizeSpec, width: int, height: int) -> tuple[int, int]:
    """The size `spec` makes of a width x height image (as displayed)."""
    if spec.crop:
        return min(spec.width, width), min(spec.height, height)
    return target_size(width, height, spec.width or None, spec.height or None)


def check_sizes_fit(specs: tuple[SizeSpec, ...], info: ImageInfo) -> None:
    """Refuse (InvalidOption) a size that would not make the upload smaller: pixpress never upscales."""
    width, height = info.display_size
    for spec in specs:
        if output_size(spec, width, height) == (width, height):
            raise InvalidOption(
                f"size {spec.name!r} ({spec.width}x{spec.height}) is not smaller than the upload "
                f"({width}x{height}); sizes never upscale, leave it out for this image.",
                details={**FIELD, "size": spec.name, "width": width, "height": height},
            )
