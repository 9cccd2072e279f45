"""HEIC/HEIF uploads: made here from corpus photos with pillow-heif's x265 encoder, read through
pillow-heif (libheif + libde265), turned upright, served as JPEG (or WebP/AVIF when asked), never HEIC."""

from __future__ import annotations

import io

import numpy as np
import pillow_heif
import pytest
from PIL import Image

from pixpress.errors import InvalidImage, InvalidOption, UnsupportedFormat
from pixpress.imaging import (
    ImageFormat,
    KeepMetadata,
    Limits,
    Mode,
    OptimizeOptions,
    OutputFormat,
    optimize,
    parse_options,
    probe,
    sniff,
)
from pixpress.imaging.steps import icc
from tests.imaging import images

PHOTO = np.asarray(Image.open(images.PHOTO / "chelsea.png").convert("RGB"))  # 451 x 300


def _exif(orientation: int) -> bytes:
    exif = Image.Exif()
    exif[0x0112] = orientation
    exif[0x010E] = "a cat"  # ImageDescription, kept with keep_metadata=all
    return exif.tobytes()


def _thumb(data: bytes, side: int = 32) -> np.ndarray:
    image = images.load(data)
    return np.asarray(image.resize(side / image.width, vscale=side / image.height).numpy()[:, :, :3], float)


def _close(data: bytes, expected: np.ndarray) -> float:
    """Mean absolute difference of 32x32 thumbnails (0-255)."""
    return float(np.abs(_thumb(data) - _thumb(_png(expected))).mean())


def _png(pixels: np.ndarray) -> bytes:
    out = io.BytesIO()
    Image.fromarray(pixels).save(out, "PNG")
    return out.getvalue()


def test_a_heic_is_sniffed_probed_and_served_as_jpeg() -> None:
    data = images.heic(PHOTO)
    assert sniff(data) is ImageFormat.HEIC
    info = probe(data, limits=Limits())
    assert (info.width, info.height, info.has_alpha, info.orientation) == (451, 300, False, 1)
    result = optimize(data, options=OptimizeOptions(), limits=Limits())
    assert result.image.format is ImageFormat.JPEG and sniff(result.image.data) is ImageFormat.JPEG
    assert not result.kept_original and [v.format for v in result.variants] == [ImageFormat.JPEG]
    assert images.load(result.image.data).width == 451
    assert _close(result.image.data, PHOTO) < 6


@pytest.mark.parametrize(
    ("fmt", "expected"),
    [(OutputFormat.WEBP, ImageFormat.WEBP), (OutputFormat.AVIF, ImageFormat.AVIF)],
)
def test_webp_or_avif_when_asked(fmt: OutputFormat, expected: ImageFormat) -> None:
    result = optimize(images.heic(PHOTO), options=OptimizeOptions(format=fmt), limits=Limits())
    assert result.image.format is expected and sniff(result.image.data) is expected


def test_auto_tries_jpeg_and_the_accepted_formats_never_heic() -> None:
    options = OptimizeOptions(format=OutputFormat.AUTO, accept=frozenset(ImageFormat))
    result = optimize(images.heic(PHOTO), options=options, limits=Limits())
    assert {v.format for v in result.variants} == {
        ImageFormat.JPEG,
        ImageFormat.PNG,
        ImageFormat.WEBP,
        ImageFormat.GIF,
        ImageFormat.AVIF,
    }
    with pytest.raises(InvalidOption):
        parse_options({"format": "heic"})
    with pytest.raises(InvalidOption):
        parse_options({"accept": "heic"})


def test_lossless_mode_gives_a_full_quality_jpeg() -> None:
    result = optimize(images.heic(PHOTO), options=OptimizeOptions(mode=Mode.LOSSLESS), limits=Limits())
    assert result.image.format is ImageFormat.JPEG and result.image.quality == 100
    assert not result.kept_original


@pytest.mark.parametrize(
    ("orientation", "turn"),
    [
        (6, lambda p: np.rot90(p, -1)),  # irot: a quarter turn clockwise to show it upright
        (3, lambda p: np.rot90(p, 2)),
        (5, lambda p: np.rot90(p, 1)[::-1]),  # transpose: imir and irot
        (2, lambda p: p[:, ::-1]),  # imir alone
    ],
)
def test_orientation_is_applied_once(orientation: int, turn: object) -> None:
    # pillow-heif's encoder writes the EXIF orientation as irot/imir and keeps the EXIF tag too (as
    # iPhones do): applying both would turn the picture twice.
    data = images.heic(PHOTO, exif=_exif(orientation))
    assert b"irot" in data or b"imir" in data
    expected = np.ascontiguousarray(turn(PHOTO))  # type: ignore[operator]
    info = probe(data, limits=Limits())
    assert (info.width, info.height) == (expected.shape[1], expected.shape[0])
    for keep in KeepMetadata:
        result = optimize(data, options=OptimizeOptions(keep_metadata=keep), limits=Limits())
        out = images.load(result.image.data)
        assert (out.width, out.height) == (expected.shape[1], expected.shape[0])
        assert _close(result.image.data, expected) < 6, keep
        twice = np.ascontiguousarray(turn(turn(PHOTO)))  # type: ignore[operator]
        if twice.shape == expected.shape:
            assert _close(result.image.data, twice) > 20
        orientation_kept = out.get("orientation") if out.get_typeof("orientation") else 1
        assert orientation_kept == 1  # no viewer turns it again


def test_exif_is_kept_upright_with_keep_all() -> None:
    data = images.heic(PHOTO, exif=_exif(6))
    result = optimize(data, options=OptimizeOptions(keep_metadata=KeepMetadata.ALL), limits=Limits())
    exif = Image.open(io.BytesIO(result.image.data)).getexif()
    assert exif.get(0x010E) == "a cat" and exif.get(0x0112, 1) == 1
    stripped = optimize(data, options=OptimizeOptions(keep_metadata=KeepMetadata.ICC), limits=Limits())
    assert not images.load(stripped.image.data).get_typeof("exif-data")


def test_a_display_p3_profile_is_honoured() -> None:
    source = images.load(_png(PHOTO))
    p3 = source.icc_export(output_profile="p3")
    profile = bytes(p3.get("icc-profile-data"))
    data = images.heic(np.asarray(p3.numpy()), icc_profile=profile)
    kept = optimize(data, options=OptimizeOptions(keep_metadata=KeepMetadata.ICC), limits=Limits())
    assert bytes(images.load(kept.image.data).get("icc-profile-data")) == profile
    converted = optimize(data, options=OptimizeOptions(keep_metadata=KeepMetadata.NONE), limits=Limits())
    out = images.load(converted.image.data)
    assert not out.get_typeof("icc-profile-data") or icc.is_srgb(bytes(out.get("icc-profile-data")))
    # Converted back to sRGB: the colours of the sRGB photo, not the P3 numbers shown as sRGB.
    assert _close(converted.image.data, PHOTO) < 6
    as_srgb = np.abs(_thumb(_png(np.asarray(p3.numpy()))) - _thumb(_png(PHOTO))).mean()
    assert as_srgb > _close(converted.image.data, PHOTO)


def test_alpha_is_flattened_on_white_for_jpeg_and_kept_for_webp() -> None:
    rgba = np.asarray(Image.open(images.GRAPHIC / "transparent.png").convert("RGBA"))
    data = images.heic(rgba)
    assert probe(data, limits=Limits()).has_alpha
    jpeg = optimize(data, options=OptimizeOptions(), limits=Limits())
    assert jpeg.image.format is ImageFormat.JPEG and images.load(jpeg.image.data).bands == 3
    transparent = rgba[:, :, 3] == 0
    assert transparent.any()
    assert images.pixels(jpeg.image.data)[transparent].mean() > 240  # white where it was transparent
    webp = optimize(data, options=OptimizeOptions(format=OutputFormat.WEBP), limits=Limits())
    assert images.load(webp.image.data).hasalpha()


def test_a_burst_gives_its_primary_image() -> None:
    heif = pillow_heif.from_pillow(Image.fromarray(PHOTO))
    heif.add_from_pillow(Image.fromarray(np.ascontiguousarray(PHOTO[:100, :200])))
    out = io.BytesIO()
    heif.save(out, quality=60, primary_index=1)
    result = optimize(out.getvalue(), options=OptimizeOptions(), limits=Limits())
    assert (result.image.width, result.image.height) == (200, 100)
    assert _close(result.image.data, np.ascontiguousarray(PHOTO[:100, :200])) < 6


def test_a_10_bit_heic_is_read() -> None:
    wide = PHOTO.astype(np.uint16) << 8
    heif = pillow_heif.from_bytes("RGB;16", (PHOTO.shape[1], PHOTO.shape[0]), wide.tobytes())
    out = io.BytesIO()
    heif.save(out, quality=70)
    assert pillow_heif.open_heif(out.getvalue(), convert_hdr_to_8bit=False).info["bit_depth"] == 10
    result = optimize(out.getvalue(), options=OptimizeOptions(), limits=Limits())
    assert result.image.format is ImageFormat.JPEG
    assert _close(result.image.data, PHOTO) < 6


def _brands_only_mif1(data: bytes) -> bytes:
    """The same file with its ftyp saying only the generic mif1 (as some writers do)."""
    size = int.from_bytes(data[:4], "big")
    body = b"mif1" + b"\x00\x00\x00\x00" + b"mif1" * ((size - 16) // 4)
    return data[:8] + body + data[size:]


def test_a_generic_heif_brand_is_told_apart_by_its_items() -> None:
    heic = _brands_only_mif1(images.heic(PHOTO[:64, :64].copy()))
    assert sniff(heic) is ImageFormat.HEIC
    source = images.load(_png(np.ascontiguousarray(PHOTO[:64, :64])))
    avif = _brands_only_mif1(source.heifsave_buffer(compression="av1", effort=0))
    assert sniff(avif) is ImageFormat.AVIF
    assert optimize(heic, options=OptimizeOptions(), limits=Limits()).image.format is ImageFormat.JPEG
    with pytest.raises(UnsupportedFormat):
        sniff(_brands_only_mif1(images.heic(PHOTO[:64, :64].copy())).replace(b"hvc1", b"xxxx"))


def test_a_damaged_heic_is_a_typed_error() -> None:
    data = images.heic(PHOTO)
    with pytest.raises((InvalidImage, UnsupportedFormat)):
        optimize(data[: len(data) // 2], options=OptimizeOptions(), limits=Limits())
    ftyp_only = data[: int.from_bytes(data[:4], "big")]
    with pytest.raises(InvalidImage):
        probe(ftyp_only, limits=Limits())
    # Boxes that tile the file, but image data cut short of where iloc says it is: libheif's refusal.
    at = data.index(b"mdat") - 4
    cut = data[:at] + (len(data) - 1000 - at).to_bytes(4, "big") + data[at + 4 : -1000]
    with pytest.raises(InvalidImage):
        optimize(cut, options=OptimizeOptions(), limits=Limits())
