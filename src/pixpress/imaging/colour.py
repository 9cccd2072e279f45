"""Step 6, colour and metadata: decide what colour profile the output carries and what the pixels are.

- CMYK images are always converted to sRGB (with the embedded profile, or libvips' default CMYK
  profile when none is embedded): the web formats we write cannot show CMYK reliably.
- A non-sRGB RGB/grey profile is converted to sRGB when it is not kept (keep_metadata=none), so colours
  do not shift once the profile is stripped. Lossless mode keeps the profile instead: converting
  would change the pixels, and dropping it would change the colours.
- When the profile is kept (icc/all) pixels are left as they are and the profile travels with them.
- After a conversion the output is untagged, which every browser reads as sRGB.
The rest of the metadata (EXIF, XMP, IPTC) is dropped or kept by the encoder's `keep` flag.
"""

from __future__ import annotations

import pyvips

from pixpress.errors import InvalidImage
from pixpress.imaging import icc, metadata
from pixpress.imaging.context import Context
from pixpress.imaging.types import KeepMetadata, Mode

ICC_FIELD = metadata.ICC


def colour(ctx: Context) -> None:
    image = ctx.pixels
    profile = metadata.get_blob(image, ICC_FIELD)
    keep_profile = ctx.options.keep_metadata is not KeepMetadata.NONE or ctx.options.mode is Mode.LOSSLESS
    if image.interpretation == "cmyk":
        ctx.image = to_srgb(image, embedded=profile is not None, fallback="cmyk")
        ctx.converted_colour = True
    elif profile is not None and not keep_profile:
        if not icc.is_srgb(profile):
            ctx.image = to_srgb(image, embedded=True, fallback="srgb")
            ctx.converted_colour = True
        else:
            ctx.image = without_profile(image)


def to_srgb(image: pyvips.Image, *, embedded: bool, fallback: str) -> pyvips.Image:
    """Pixels converted to sRGB with the embedded profile (or `fallback`), then untagged."""
    depth = 16 if image.format in ("ushort", "short") else 8
    alpha = None
    colour_bands = 4 if image.interpretation == "cmyk" else (1 if image.bands <= 2 else 3)
    if image.bands > colour_bands:
        alpha = image.extract_band(colour_bands, n=image.bands - colour_bands)
        image = image.extract_band(0, n=colour_bands)
    try:
        out = image.icc_transform(
            "srgb", embedded=embedded, input_profile=fallback, intent="relative", depth=depth
        )
    except pyvips.Error:
        if not embedded:
            raise InvalidImage("The image's colours cannot be converted to sRGB.") from None
        # A broken embedded profile (or one for another colour space than the pixels'): browsers ignore
        # it and show the pixels in their space's default, and so does this (found by the fuzz test).
        return to_srgb(without_profile(image), embedded=False, fallback=fallback)
    if alpha is not None:
        out = out.bandjoin(alpha.cast(out.format))
    return without_profile(out)


def without_profile(image: pyvips.Image) -> pyvips.Image:
    return metadata.without(image, ICC_FIELD)
