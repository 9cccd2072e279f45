from __future__ import annotations

import numpy as np
import pytest

from pixpress.errors import InvalidImage
from pixpress.imaging.formats import jpeg_segments
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


def _app1(payload: bytes) -> bytes:
    return b"\xff\xe1" + (len(payload) + 2).to_bytes(2, "big") + payload


def _gps_exif() -> bytes:
    """An EXIF APP1 whose IFD0 points to a GPS IFD holding GPSLatitudeRef = "N"."""
    ifd0 = b"\x00\x01" + b"\x88\x25\x00\x04\x00\x00\x00\x01" + (26).to_bytes(4, "big") + bytes(4)
    gps = b"\x00\x01" + b"\x00\x01\x00\x02\x00\x00\x00\x02" + b"N\x00\x00\x00" + bytes(4)
    return _app1(b"Exif\x00\x00" + b"MM\x00\x2a\x00\x00\x00\x08" + ifd0 + gps)


def _between_scans(data: bytes, insert: bytes) -> bytes:
    """`insert` placed after the first scan's entropy-coded data, before the next scan's tables."""
    layout = jpeg_segments.parse(data)
    second = layout.scan_segments[1].start  # the DHT or SOS that opens the second scan
    return data[:second] + insert + data[second:]


def test_metadata_between_progressive_scans_is_stripped() -> None:
    source = images.load(images.read(images.PHOTO / "rocket.jpg"))  # Adobe RGB profile
    progressive: bytes = source.jpegsave_buffer(Q=90, interlace=True, keep="icc")
    xmp = _app1(b"http://ns.adobe.com/xap/1.0/\x00<x:xmpmeta>pixpress-secret-place</x:xmpmeta>")
    data = _between_scans(progressive, _gps_exif() + xmp)
    assert len(jpeg_segments.parse(data).scan_segments) > 5  # progressive: many scans
    stripped = jpeg_segments.strip_metadata(data, keep_icc=True)
    assert b"Exif\x00\x00" not in stripped
    assert b"pixpress-secret-place" not in stripped
    assert stripped == progressive  # exactly the segments that were inserted are gone
    assert np.array_equal(images.pixels(stripped), images.pixels(data))
    assert images.load(stripped).get("icc-profile-data") == source.get("icc-profile-data")


def test_tables_between_scans_are_kept() -> None:
    source = images.load(images.read(images.PHOTO / "rocket.jpg"))
    progressive: bytes = source.jpegsave_buffer(Q=90, interlace=True, keep="none")
    layout = jpeg_segments.parse(progressive)
    markers = {segment.marker for segment in layout.scan_segments}
    assert 0xDA in markers and 0xC4 in markers  # SOS and DHT between scans
    assert jpeg_segments.strip_metadata(progressive, keep_icc=False) == progressive
