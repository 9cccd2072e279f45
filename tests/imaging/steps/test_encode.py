from __future__ import annotations

import zlib

import numpy as np
import pytest

from pixpress.errors import TaskTimeout
from pixpress.imaging import ImageFormat, KeepMetadata
from pixpress.imaging.deadline import Deadline
from pixpress.imaging.steps.encode import encode, encoder_settings
from pixpress.imaging.types import OUTPUT_FORMATS
from tests.imaging import images


@pytest.fixture
def photo() -> object:
    return images.load(images.read(images.PHOTO / "kodim05.png"))


@pytest.mark.parametrize("fmt", sorted(OUTPUT_FORMATS))
@pytest.mark.parametrize("quality", [75, None], ids=["q75", "lossless"])
def test_every_format_round_trips(photo: object, fmt: ImageFormat, quality: int | None) -> None:
    data = encode(photo, fmt, quality)  # type: ignore[arg-type]
    out = images.load(data)
    assert (out.width, out.height) == (198, 128)
    assert out.get("vips-loader").startswith({"avif": "heif"}.get(fmt.value, fmt.value))


def test_heic_is_never_written(photo: object) -> None:
    with pytest.raises(ValueError, match="never writes heic"):
        encode(photo, ImageFormat.HEIC, 75)  # type: ignore[arg-type]


def test_quality_changes_size(photo: object) -> None:
    sizes = [len(encode(photo, ImageFormat.JPEG, q)) for q in (40, 80, 95)]  # type: ignore[arg-type]
    assert sizes == sorted(sizes) and sizes[0] < sizes[2] / 2


def test_jpeg_flattens_alpha_on_white() -> None:
    image = images.load(images.read(images.GRAPHIC / "transparent.png"))
    out = images.load(encode(image, ImageFormat.JPEG, 90))
    assert out.bands == 3
    corner = out.crop(0, 0, 4, 4).numpy()  # fully transparent in the source
    assert image.crop(0, 0, 4, 4).numpy()[..., 3].max() == 0
    assert corner.min() > 240


def test_lossless_webp_is_exact(photo: object) -> None:
    data = encode(photo, ImageFormat.WEBP, None)  # type: ignore[arg-type]
    assert np.array_equal(images.pixels(data), photo.numpy())  # type: ignore[attr-defined]


def test_16_bit_reduced_for_lossy_kept_for_lossless_png() -> None:
    image = images.load(images.png16())
    assert image.format == "ushort"
    assert images.load(encode(image, ImageFormat.WEBP, 80)).format == "uchar"
    assert images.load(encode(image, ImageFormat.PNG, None)).format == "ushort"


def test_metadata_kept_or_stripped() -> None:
    image = images.load(images.read(images.PHOTO / "paris_exif_xmp_icc.jpg"))
    none = images.load(encode(image, ImageFormat.JPEG, 80, keep=KeepMetadata.NONE)).get_fields()
    icc = images.load(encode(image, ImageFormat.JPEG, 80, keep=KeepMetadata.ICC)).get_fields()
    every = images.load(encode(image, ImageFormat.JPEG, 80, keep=KeepMetadata.ALL)).get_fields()
    assert not {"exif-data", "xmp-data", "icc-profile-data"} & set(none)
    assert "icc-profile-data" in icc and not {"exif-data", "xmp-data"} & set(icc)
    assert {"exif-data", "xmp-data", "icc-profile-data"} <= set(every)


def test_deadline_kills_a_running_encode() -> None:
    import time

    big = images.load(images.read(images.PHOTO / "kodim03.png")).resize(6, kernel="lanczos3")
    with pytest.raises(TaskTimeout):
        encode(big, ImageFormat.JPEG, 80, deadline=Deadline(time.monotonic() + 0.01))


def test_palette_png_is_not_filtered(photo: object) -> None:
    # libpng's adaptive filter makes palette images 20-30% larger (presets.py); "none" writes filter
    # type 0 before every row.
    assert encoder_settings(ImageFormat.PNG, 80)["filter"] == "none"
    data = encode(photo, ImageFormat.PNG, 80)  # type: ignore[arg-type]
    out = images.load(data)
    assert out.get("palette") and out.get("bits-per-sample") == 8
    rows = zlib.decompress(_idat(data))
    stride = 1 + out.width  # the filter byte, then one index per pixel
    assert all(rows[y * stride] == 0 for y in range(out.height))


def _idat(png: bytes) -> bytes:
    chunks, at = [], 8
    while at < len(png):
        length = int.from_bytes(png[at : at + 4], "big")
        if png[at + 4 : at + 8] == b"IDAT":
            chunks.append(png[at + 8 : at + 8 + length])
        at += 12 + length
    return b"".join(chunks)
