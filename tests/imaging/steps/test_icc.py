from __future__ import annotations

import pytest

from pixpress.imaging.steps import compact_profiles, icc
from tests.imaging import images


def profile(name: str) -> bytes:
    found = images.profile_of(images.read(images.PHOTO / name))
    assert found is not None
    return found


def test_srgb_v2_and_v4_descriptions() -> None:
    assert icc.description(profile("hubble_deep_field.jpg")) == "sRGB IEC61966-2.1"
    assert icc.description(profile("paris_exif_xmp_icc.jpg")) == "sRGB IEC61966-2.1"  # v4 mluc


@pytest.mark.parametrize(
    "name",
    ["astronaut.png", "chelsea.png", "seine_sdr_gainmap_srgb.jpg", "paris_exif_xmp_icc.jpg"],
    ids=["3144-byte-v2", "3144-byte-v2-chelsea", "3144-byte-jpeg", "596-byte-v4"],
)
def test_the_corpus_srgb_profiles_are_srgb_equivalent(name: str) -> None:
    assert icc.srgb_equivalent(profile(name))


def test_compact_srgb_profiles_are_srgb_equivalent() -> None:
    built_in = compact_profiles.built_in("srgb")  # libvips' 480-byte v4 profile, parametric curves
    assert built_in is not None and len(built_in) == 480
    assert icc.srgb_equivalent(built_in)
    # A v2 profile with sRGB's curve as a table and colorants rounded differently: same colours.
    assert icc.srgb_equivalent(images.matrix_trc_profile(images.SRGB_COLORANTS, images.srgb_table(42)))


def test_wide_gamut_profiles_are_not() -> None:
    adobe = profile("rocket.jpg")
    assert icc.description(adobe) == "Adobe RGB (1998)"
    assert icc.colour_space(adobe) == "RGB"
    assert not icc.srgb_equivalent(adobe)
    p3 = compact_profiles.built_in("p3")
    assert p3 is not None and not icc.srgb_equivalent(p3)
    display = images.load(images.read(images.GRAPHIC / "color.png")).get("icc-profile-data")
    assert not icc.srgb_equivalent(display)  # a Mac's "Color LCD" display profile


def test_the_name_does_not_decide() -> None:
    """Compared by colorants and tone curves: an Adobe RGB profile named sRGB is not sRGB (the old
    name-based test said it was), and sRGB's primaries with a gamma 2.2 curve are not either."""
    adobe = profile("rocket.jpg")
    renamed = adobe.replace(b"Adobe RGB (1998)", b"sRGB IEC61966-21")
    assert icc.description(renamed) == "sRGB IEC61966-21"
    assert not icc.srgb_equivalent(renamed)
    gamma = images.matrix_trc_profile(images.SRGB_COLORANTS, images.gamma_curve(2.2), description="sRGB")
    assert not icc.srgb_equivalent(gamma)
    shifted = tuple((r + 0.01, g, b) for r, g, b in images.SRGB_COLORANTS)
    assert not icc.srgb_equivalent(
        images.matrix_trc_profile(shifted, images.srgb_table(), description="sRGB")
    )
    plain = images.matrix_trc_profile(images.SRGB_COLORANTS, images.srgb_table(), description="Untitled")
    assert icc.srgb_equivalent(plain)


def test_same_colours_compares_two_profiles() -> None:
    p3 = compact_profiles.built_in("p3")
    assert p3 is not None
    big_p3 = images.matrix_trc_profile(images.P3_COLORANTS, images.srgb_table(), description="Display P3")
    assert icc.same_colours(big_p3, p3)
    assert not icc.same_colours(profile("rocket.jpg"), p3)


def test_other_profiles_and_garbage() -> None:
    cmyk = images.load(images.cmyk_jpeg(embed_profile=True)[0]).get("icc-profile-data")
    assert icc.colour_space(cmyk) == "CMYK"
    assert icc.matrix_trc(cmyk) is None and not icc.srgb_equivalent(cmyk)
    assert icc.description(b"\x00" * 10) == ""
    assert not icc.srgb_equivalent(b"\xff" * 200)
    truncated = profile("chelsea.png")[:600]  # the tag table points past the end
    assert icc.matrix_trc(truncated) is None and not icc.srgb_equivalent(truncated)
