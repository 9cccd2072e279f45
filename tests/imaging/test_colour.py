from __future__ import annotations

import pytest

from pixpress.imaging import KeepMetadata, Mode, OptimizeOptions, OutputFormat, optimize
from pixpress.imaging.types import Limits
from tests.imaging import images
from tests.imaging.steps import run_until

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
