from __future__ import annotations

from pixpress.imaging import icc
from tests.imaging import images


def profile(name: str) -> bytes:
    data: bytes = images.load(images.read(images.PHOTO / name)).get("icc-profile-data")
    return data


def test_srgb_v2_and_v4_descriptions() -> None:
    assert icc.description(profile("hubble_deep_field.jpg")) == "sRGB IEC61966-2.1"
    assert icc.description(profile("paris_exif_xmp_icc.jpg")) == "sRGB IEC61966-2.1"  # v4 mluc
    assert icc.is_srgb(profile("astronaut.png"))


def test_other_profiles() -> None:
    adobe = profile("rocket.jpg")
    assert icc.description(adobe) == "Adobe RGB (1998)"
    assert icc.colour_space(adobe) == "RGB"
    assert not icc.is_srgb(adobe)
    cmyk = images.load(images.cmyk_jpeg(embed_profile=True)[0]).get("icc-profile-data")
    assert icc.colour_space(cmyk) == "CMYK"
    assert not icc.is_srgb(cmyk)


def test_garbage_is_not_srgb() -> None:
    assert icc.description(b"\x00" * 10) == ""
    assert not icc.is_srgb(b"\xff" * 200)
