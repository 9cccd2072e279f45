from __future__ import annotations

import numpy as np
import pytest

from pixpress.errors import InvalidImage
from pixpress.imaging import jpeg_segments
from tests.imaging import images

JPEGS = sorted(images.PHOTO.glob("*.jpg"))


@pytest.mark.parametrize("path", JPEGS, ids=lambda p: p.name)
def test_strip_keeps_every_pixel(path: object) -> None:
    data = images.read(path)  # type: ignore[arg-type]
    stripped = jpeg_segments.strip_metadata(data, keep_icc=False)
    assert len(stripped) <= len(data)
    assert np.array_equal(images.pixels(stripped, autorotate=False), images.pixels(data, autorotate=False))
    assert "exif-data" not in images.load(stripped).get_fields()
    assert "xmp-data" not in images.load(stripped).get_fields()


def test_icc_kept_on_request() -> None:
    data = images.read(images.PHOTO / "rocket.jpg")  # Adobe RGB profile
    kept = images.load(jpeg_segments.strip_metadata(data, keep_icc=True))
    dropped = images.load(jpeg_segments.strip_metadata(data, keep_icc=False))
    assert kept.get("icc-profile-data") == images.load(data).get("icc-profile-data")
    assert "icc-profile-data" not in dropped.get_fields()


def test_gain_map_after_eoi_is_dropped() -> None:
    data = images.read(images.PHOTO / "seine_sdr_gainmap_srgb.jpg")
    layout = jpeg_segments.parse(data)
    assert layout.length - layout.eoi_end > 10_000
    assert len(jpeg_segments.strip_metadata(data, keep_icc=True)) < layout.eoi_end


def test_orientation_survives_as_minimal_exif() -> None:
    data = images.read(images.PHOTO / "paris_exif_xmp_icc.jpg")
    stripped = jpeg_segments.strip_metadata(data, keep_icc=False, orientation=6)
    image = images.load(stripped)
    assert image.get("orientation") == 6
    assert len(image.get("exif-data")) < 64  # only the orientation tag: no GPS, no camera data


def test_dimensions_from_sof() -> None:
    layout = jpeg_segments.parse(images.read(images.PHOTO / "dog_exif_extended_xmp_icc.jpg"))
    assert (layout.width, layout.height) == (4032, 3024)


@pytest.mark.parametrize("path", JPEGS, ids=lambda p: p.name)
def test_truncated_is_invalid(path: object) -> None:
    with pytest.raises(InvalidImage):
        jpeg_segments.parse(images.half(images.read(path)))  # type: ignore[arg-type]
