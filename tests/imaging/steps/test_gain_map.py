"""HDR gain-map JPEGs (Ultra HDR, Apple, Adobe/libavif's seine file) come back optimized, and JPEG
outputs carry the gain map scaled with the image."""

from __future__ import annotations

import pytest
import pyvips

from pixpress.imaging import (
    ImageFormat,
    KeepMetadata,
    Limits,
    Mode,
    OptimizeOptions,
    OutputFormat,
    SizedResult,
    optimize_with_sizes,
    probe,
)
from pixpress.imaging.size_specs import parse_sizes
from pixpress.imaging.steps import gain_map
from pixpress.imaging.types import EncodedImage
from tests.imaging import images
from tests.imaging.steps import gain_maps

SIZES = parse_sizes("thumb:100x100:crop,tall:90x300:crop,medium:300x300")


def run(data: bytes, **options: object) -> SizedResult:
    return optimize_with_sizes(data, options=OptimizeOptions(**options), limits=Limits())  # type: ignore[arg-type]


def outputs(result: SizedResult) -> list[EncodedImage]:
    return [result.main.image, *(size.image for size in result.sizes)]


def carried(image: EncodedImage) -> pyvips.Image:
    """The gain map an output carries, found through its MPF index, as pixels."""
    found = gain_map.find(image.data)
    assert found is not None, "no gain map in the output"
    return pyvips.Image.jpegload_buffer(found.data)


def assert_half_size(gm: pyvips.Image, image: EncodedImage) -> None:
    assert abs(gm.width - image.width / 2) <= 1 and abs(gm.height - image.height / 2) <= 1


def test_ultra_hdr_is_accepted_and_every_jpeg_output_keeps_a_scaled_gain_map() -> None:
    data = gain_maps.ultra_hdr()
    assert probe(data, limits=Limits()).format is ImageFormat.JPEG  # was invalid_image (uhdrload)
    result = run(data, max_width=400, sizes=SIZES)
    boost = pyvips.Image.uhdrload_buffer(data).get("gainmap-max-content-boost")
    for image in outputs(result):
        assert image.format is ImageFormat.JPEG
        hdr = pyvips.Image.uhdrload_buffer(image.data)  # libultrahdr reads the file we wrote
        assert (hdr.width, hdr.height) == (image.width, image.height)
        assert hdr.get("gainmap-max-content-boost") == boost
        assert_half_size(gain_maps.gain_map_of(image.data), image)
        note = image.settings["hdr_gain_map"]
        assert isinstance(note, dict) and note["kept"] is True and note["kind"] == "iso"
    assert result.main.image.width == 400


def test_a_gain_map_follows_the_rotation_and_the_crop_of_each_output() -> None:
    """Apple-style file turned by EXIF orientation 6: its gain map (the photo in grey at half size) must
    still line up with every output's pixels."""
    data = gain_maps.apple_hdr(orientation=6)
    result = run(data, sizes=SIZES)
    for image in outputs(result):
        gm = carried(image)
        assert_half_size(gm, image)
        base = pyvips.Image.jpegload_buffer(image.data).colourspace("b-w")
        expected = base.resize(gm.width / base.width, vscale=gm.height / base.height)
        assert (expected - gm).abs().avg() < 12  # a wrong turn or crop differs by 40-60
        found = gain_map.find(image.data)
        assert found is not None and found.kind == "apple"
        assert b"<HDRGainMap:HDRGainMapHeadroom>2.600000<" in found.data  # Apple's XMP travels with it
    assert (result.main.image.width, result.main.image.height) == (427, 640)


def test_the_seine_file_keeps_its_adobe_gain_map_and_declares_it_in_the_primary() -> None:
    data = images.read(gain_maps.SEINE)
    source = gain_map.find(data)
    assert source is not None and source.kind == "adobe" and (source.width, source.height) == (400, 300)
    result = run(data, sizes=parse_sizes("half:200x200,square:120x120:crop"))
    for image in outputs(result):
        gm = carried(image)
        assert (gm.width, gm.height) == (image.width, image.height)  # seine's gain map is full size
        assert gm.bands == 3
        found = gain_map.find(image.data)
        assert found is not None and b"hdrgm:GainMapMax" in found.data
        head = image.data[: image.data.index(b"\xff\xda")]
        assert b'hdrgm:Version="1.0"' in head and b"Container:Directory" in head
    assert result.main.image.size_bytes < len(data)


@pytest.mark.parametrize("fmt", [OutputFormat.WEBP, OutputFormat.AVIF])
def test_webp_and_avif_outputs_are_the_sdr_base_and_say_so(fmt: OutputFormat) -> None:
    result = run(gain_maps.ultra_hdr(), format=fmt, sizes=parse_sizes("small:200x200"))
    assert result.main.image.format.value == fmt.value
    for image in outputs(result):
        decoded = images.load(image.data)
        assert (decoded.width, decoded.height) == (image.width, image.height)
        note = image.settings["hdr_gain_map"]
        assert isinstance(note, dict)
        if image.settings.get("fallback") == "plain":  # never bigger: the plain JPEG, gain map and all
            assert image.format is ImageFormat.JPEG and note["kept"] is True
            continue
        assert note["kept"] is False and "SDR base image only" in str(note["note"])


@pytest.mark.parametrize("keep", [KeepMetadata.NONE, KeepMetadata.ICC, KeepMetadata.ALL])
def test_lossless_and_every_keep_metadata_keep_the_gain_map(keep: KeepMetadata) -> None:
    data = gain_maps.ultra_hdr()
    uploaded = gain_maps.gain_map_of(data)
    for mode in (Mode.LOSSLESS, Mode.LOSSY):
        image = run(data, mode=mode, keep_metadata=keep).main.image
        assert image.format is ImageFormat.JPEG
        gm = gain_maps.gain_map_of(image.data)
        assert (gm.width, gm.height) == (uploaded.width, uploaded.height)


def test_lossless_keeps_the_scan_and_its_gain_map_as_stored_when_the_photo_is_turned() -> None:
    turned = gain_maps.apple_hdr(orientation=6)
    comment = b"\xff\xfe" + (5002).to_bytes(2, "big") + b"x" * 5000  # metadata the lossless path drops
    data = turned[:2] + comment + turned[2:]
    source = gain_map.find(turned)
    image = run(data, mode=Mode.LOSSLESS).main.image
    assert image.settings["method"] == "metadata-strip"
    found = gain_map.find(image.data)
    assert source is not None and found is not None and found.data == source.data
    stored = pyvips.Image.jpegload_buffer(image.data, autorotate=False)
    assert (stored.width, stored.height, stored.get("orientation")) == (640, 427, 6)


def test_an_mpf_index_pointing_outside_the_file_is_no_gain_map() -> None:
    data = gain_maps.apple_hdr()
    cut = data[: len(data) - 500] + data[-2:]  # the second picture now ends past its stated size
    assert gain_map.find(cut) is None
    image = run(cut).main.image
    assert "hdr_gain_map" not in image.settings
