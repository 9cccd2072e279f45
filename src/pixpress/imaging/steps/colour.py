"""Step 6, colour and metadata: decide what colour profile the output carries and what the pixels are.

- CMYK images are always converted to sRGB (with the embedded profile, or libvips' default CMYK
  profile when none is embedded): the web formats we write cannot show CMYK reliably.
- A profile that shows the same colours as sRGB (icc.srgb_equivalent: colorants and tone curves, not
  the name) is dropped, whatever keep_metadata says and in lossless mode too: an untagged image means
  sRGB to every browser, and the 3,144-byte "sRGB IEC61966-2.1" profile cost up to a fifth of a small
  file. PNG outputs say sRGB with a 13-byte sRGB chunk instead; JPEG, WebP and AVIF are untagged.
- Another RGB/grey profile is converted to sRGB when it is not kept (keep_metadata=none), so colours
  do not shift once the profile is stripped. Lossless mode keeps the profile instead: converting
  would change the pixels, and dropping it would change the colours.
- When the profile is kept (icc/all) pixels are left as they are and the profile travels with them, in
  a compact form of the same colours where one exists (compact_profiles.py: Display P3).
- After a conversion the output is untagged, which every browser reads as sRGB.
The rest of the metadata (EXIF, XMP, IPTC) is dropped or kept by the encoder's `keep` flag. The path
taken is ctx.colour_path, reported with every output.
"""

from __future__ import annotations

import pyvips

from pixpress.errors import InvalidImage
from pixpress.imaging.context import Context
from pixpress.imaging.steps import compact_profiles, icc, metadata
from pixpress.imaging.types import ColourPath, KeepMetadata, Mode

ICC_FIELD = metadata.ICC
SRGB_DECLARED = "pixpress-srgb-declared"  # set on pixels whose sRGB profile was dropped (PNG: sRGB chunk)


def colour(ctx: Context) -> None:
    image = ctx.pixels
    profile = embedded_profile(image)
    keep_profile = ctx.options.keep_metadata is not KeepMetadata.NONE or ctx.options.mode is Mode.LOSSLESS
    if image.interpretation == "cmyk":
        ctx.image = to_srgb(image, embedded=profile is not None, fallback="cmyk")
        ctx.converted_colour = True
        ctx.colour_path = ColourPath.CONVERTED_TO_SRGB
    elif profile is None:
        ctx.colour_path = ColourPath.UNTAGGED
    elif icc.srgb_equivalent(profile):
        ctx.image = declared_srgb(image)
        ctx.colour_path = ColourPath.SRGB_PROFILE_DROPPED
    elif not keep_profile:
        ctx.image = to_srgb(image, embedded=True, fallback="srgb")
        ctx.converted_colour = True
        ctx.colour_path = ColourPath.CONVERTED_TO_SRGB
    else:
        compact = compact_profiles.smaller_equivalent(profile)
        if compact is not None:
            ctx.image = with_profile(image, compact)
            ctx.colour_path = ColourPath.COMPACT_PROFILE
        else:
            ctx.colour_path = ColourPath.PROFILE_KEPT


def embedded_profile(image: pyvips.Image) -> bytes | None:
    return metadata.get_blob(image, ICC_FIELD)


def displayed(image: pyvips.Image) -> pyvips.Image:
    """The pixels as a browser shows them: through their embedded profile to sRGB, untagged. Untagged
    images and sRGB-equivalent profiles are returned as they are (nothing to transform)."""
    profile = embedded_profile(image)
    if profile is None or icc.srgb_equivalent(profile):
        return image
    return to_srgb(image, embedded=True, fallback="cmyk" if image.interpretation == "cmyk" else "srgb")


def declares_srgb(image: pyvips.Image) -> bool:
    """True for pixels whose sRGB-equivalent profile the colour step dropped."""
    return metadata.get_int(image, SRGB_DECLARED, 0) == 1 and metadata.get_blob(image, ICC_FIELD) is None


def declared_srgb(image: pyvips.Image) -> pyvips.Image:
    """Untagged, marked as sRGB for the savers that can say so in a few bytes (PNG's sRGB chunk)."""
    image = without_profile(image)
    image.set_type(pyvips.GValue.gint_type, SRGB_DECLARED, 1)
    return image


def with_profile(image: pyvips.Image, profile: bytes) -> pyvips.Image:
    image = image.copy()
    image.set_type(pyvips.GValue.blob_type, ICC_FIELD, profile)
    return image


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
