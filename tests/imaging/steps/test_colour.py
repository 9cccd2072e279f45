from __future__ import annotations

import pytest
import pyvips

from pixpress.imaging import KeepMetadata, Mode, OptimizeOptions, OutputFormat, optimize
from pixpress.imaging.types import ColourPath, ImageFormat, Limits
from tests.imaging import images
from tests.imaging.run_steps import run_until

# Mean of each channel, 0-255: against what a colour-managed viewer shows for the CMYK file, and
# against the sRGB photo it was made from (the CMYK gamut round trip itself costs a few levels of blue).
TOLERANCE_VIEWER = 1.5
TOLERANCE_SOURCE = 6.0


@pytest.mark.parametrize("embed_profile", [True, False], ids=["embedded-profile", "default-cmyk-profile"])
@pytest.mark.parametrize("fmt", [OutputFormat.PNG, OutputFormat.ORIGINAL, OutputFormat.WEBP])
def test_cmyk_converted_without_colour_shift(embed_profile: bool, fmt: OutputFormat) -> None:
    data, srgb = images.cmyk_jpeg(embed_profile=embed_profile)
    result = optimize(data, options=OptimizeOptions(format=fmt), limits=Limits())
    out = images.load(result.image.data)
    assert out.interpretation == "srgb" and out.bands == 3
    viewer = images.load(data).icc_transform("srgb", input_profile="cmyk", intent="relative")
    expected, actual = images.mean_colour(srgb), images.mean_colour(out)
    shown = images.mean_colour(viewer)
    assert all(abs(a - e) < TOLERANCE_VIEWER for a, e in zip(actual, shown, strict=True)), (actual, shown)
    assert all(abs(a - e) < TOLERANCE_SOURCE for a, e in zip(actual, expected, strict=True)), (
        actual,
        expected,
    )
    # The naive reading of CMYK as RGB is far off: the check above can fail.
    naive = images.mean_colour(images.load(data))
    assert any(abs(n - e) > 20 for n, e in zip(naive, expected, strict=True))


def test_adobe_rgb_converted_when_profile_stripped() -> None:
    data = images.read(images.PHOTO / "rocket.jpg")
    source = images.load(data)
    reference = source.icc_transform("srgb", embedded=True, intent="relative")
    stripped = optimize(
        data,
        # WebP: a PNG of this photo would be larger than its plain JPEG, which never_bigger returns.
        options=OptimizeOptions(format=OutputFormat.WEBP, keep_metadata=KeepMetadata.NONE),
        limits=Limits(),
    )
    out = images.load(stripped.image.data)
    assert "icc-profile-data" not in out.get_fields()
    actual, expected = images.mean_colour(out), images.mean_colour(reference)
    assert all(abs(a - e) < 1.5 for a, e in zip(actual, expected, strict=True))
    # and the raw Adobe RGB numbers differ: the conversion mattered
    assert abs(images.mean_colour(source)[0] - expected[0]) > 5


def test_profile_kept_with_keep_icc() -> None:
    data = images.read(images.PHOTO / "rocket.jpg")
    ctx = run_until(data, "colour", options=OptimizeOptions(keep_metadata=KeepMetadata.ICC))
    assert not ctx.converted_colour
    assert ctx.pixels.get("icc-profile-data") == images.load(data).get("icc-profile-data")


def test_lossless_keeps_non_srgb_profile_even_when_stripping() -> None:
    data = images.read(images.PHOTO / "rocket.jpg")
    options = OptimizeOptions(mode=Mode.LOSSLESS, keep_metadata=KeepMetadata.NONE)
    ctx = run_until(data, "colour", options=options)
    assert not ctx.converted_colour
    assert "icc-profile-data" in ctx.pixels.get_fields()


def test_srgb_profile_simply_dropped() -> None:
    data = images.read(images.PHOTO / "astronaut.png")
    ctx = run_until(data, "colour", options=OptimizeOptions(keep_metadata=KeepMetadata.NONE))
    assert not ctx.converted_colour
    assert "icc-profile-data" not in ctx.pixels.get_fields()


SRGB_TAGGED = ["chelsea.png", "astronaut.png", "seine_sdr_gainmap_srgb.jpg", "paris_exif_xmp_icc.jpg"]


@pytest.mark.parametrize("name", SRGB_TAGGED)
@pytest.mark.parametrize("fmt", [OutputFormat.JPEG, OutputFormat.PNG, OutputFormat.WEBP, OutputFormat.AVIF])
def test_srgb_profiles_are_dropped_from_every_output(name: str, fmt: OutputFormat) -> None:
    """With the default keep_metadata=icc: no output carries a profile that says sRGB (an untagged image
    means sRGB to every browser); PNG says it with a 13-byte sRGB chunk."""
    upload = images.read(images.PHOTO / name)
    result = optimize(upload, options=OptimizeOptions(format=fmt), limits=Limits())
    image = result.image
    assert images.profile_of(image.data) is None
    assert image.colour is ColourPath.SRGB_PROFILE_DROPPED
    if image.format is ImageFormat.PNG:  # a PNG of a JPEG photo may give way to the plain JPEG
        assert png_chunk_types(image.data)[:2] == [b"IHDR", b"sRGB"]
    # the colours are what the upload shows
    shown, out = images.as_shown(upload), images.as_shown(image.data)
    actual, expected = images.mean_colour(out), images.mean_colour(shown)
    assert all(abs(a - e) < 2.0 for a, e in zip(actual, expected, strict=True))


def test_keeping_the_profile_costs_an_srgb_photo_nothing() -> None:
    """chelsea.png (451x300) as a JPEG was 16,133 bytes with its 3,144-byte sRGB profile, 12,971 without."""
    upload = images.read(images.PHOTO / "chelsea.png")
    options = OptimizeOptions(format=OutputFormat.JPEG)
    image = optimize(upload, options=options, limits=Limits()).image
    converted = optimize(
        upload,
        options=OptimizeOptions(format=OutputFormat.JPEG, keep_metadata=KeepMetadata.NONE),
        limits=Limits(),
    ).image
    assert image.size_bytes == converted.size_bytes  # keep=icc costs nothing for an sRGB photo now


def test_srgb_profile_dropped_with_keep_all_and_in_lossless_mode() -> None:
    upload = images.read(images.PHOTO / "paris_exif_xmp_icc.jpg")
    for options in (
        OptimizeOptions(keep_metadata=KeepMetadata.ALL),
        OptimizeOptions(mode=Mode.LOSSLESS),
        OptimizeOptions(mode=Mode.LOSSLESS, keep_metadata=KeepMetadata.ALL),
    ):
        result = optimize(upload, options=options, limits=Limits())
        assert images.profile_of(result.image.data) is None, options
        if options.keep_metadata is KeepMetadata.ALL:
            assert images.load(result.image.data).get_typeof("exif-data"), options  # the rest is kept
    lossless = optimize(upload, options=OptimizeOptions(mode=Mode.LOSSLESS), limits=Limits()).image
    assert images.pixels(lossless.data).tobytes() == images.pixels(upload).tobytes()


def test_a_large_display_p3_profile_is_kept_in_compact_form() -> None:
    """A 2,472-byte Display P3 profile (sRGB's curve as a 1024-entry table) becomes libvips' 480-byte
    Display P3 profile: the same colours."""
    big = images.matrix_trc_profile(images.P3_COLORANTS, images.srgb_table(), description="Display P3")
    source = images.load(images.read(images.PHOTO / "kodim03.png")).thumbnail_image(320)
    with_big = source.copy()
    with_big.set_type(pyvips.GValue.blob_type, "icc-profile-data", big)
    upload = bytes(with_big.pngsave_buffer(keep="icc"))
    assert images.profile_of(upload) == big
    image = optimize(upload, options=OptimizeOptions(format=OutputFormat.JPEG), limits=Limits()).image
    kept = images.profile_of(image.data)
    assert kept is not None and len(kept) == 480
    assert image.colour is ColourPath.COMPACT_PROFILE
    actual, expected = (
        images.mean_colour(images.as_shown(image.data)),
        images.mean_colour(images.as_shown(upload)),
    )
    assert all(abs(a - e) < 1.5 for a, e in zip(actual, expected, strict=True))


def test_adobe_rgb_is_kept_as_it_is() -> None:
    upload = images.read(images.PHOTO / "rocket.jpg")
    image = optimize(upload, options=OptimizeOptions(format=OutputFormat.WEBP), limits=Limits()).image
    assert images.profile_of(image.data) == images.profile_of(upload)  # no compact Adobe RGB here
    assert image.colour is ColourPath.PROFILE_KEPT


def test_colour_paths() -> None:
    def path(name: str, **options: object) -> ColourPath:
        data = images.read(images.PHOTO / name)
        return run_until(data, "colour", options=OptimizeOptions(**options)).colour_path  # type: ignore[arg-type]

    assert path("kodim03.png") is ColourPath.UNTAGGED
    assert path("rocket.jpg") is ColourPath.PROFILE_KEPT
    assert path("rocket.jpg", keep_metadata=KeepMetadata.NONE) is ColourPath.CONVERTED_TO_SRGB
    assert path("chelsea.png") is ColourPath.SRGB_PROFILE_DROPPED
    assert path("chelsea.png", keep_metadata=KeepMetadata.NONE) is ColourPath.SRGB_PROFILE_DROPPED
    cmyk, _ = images.cmyk_jpeg(embed_profile=True)
    assert run_until(cmyk, "colour").colour_path is ColourPath.CONVERTED_TO_SRGB


def png_chunk_types(data: bytes) -> list[bytes]:
    types, pos = [], 8
    while pos + 8 <= len(data):
        length = int.from_bytes(data[pos : pos + 4], "big")
        types.append(data[pos + 4 : pos + 8])
        pos += 12 + length
    return types
