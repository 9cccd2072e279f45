from __future__ import annotations

import pytest

from pixpress.imaging import KeepMetadata, Mode
from pixpress.imaging.palette import THRESHOLDS, difference, palette_png
from tests.imaging import images


def test_identical_images_have_no_difference() -> None:
    image = images.load(images.read(images.GRAPHIC / "transparent.png"))
    diff = difference(image, image)
    assert (diff.mean_de, diff.p99_de, diff.mean_alpha_error) == (0.0, 0.0, 0.0)


def test_a_visible_change_is_measured() -> None:
    image = images.load(images.read(images.PHOTO / "kodim05.png"))
    shifted = image.linear([1, 1, 1], [12, 0, 0]).cast("uchar")
    assert difference(image, shifted).mean_de > THRESHOLDS[Mode.LOSSY].mean_de


@pytest.mark.parametrize("name", ["logo.png", "text.png", "transparent.png"])
def test_graphics_take_a_palette(name: str) -> None:
    data = images.read(images.GRAPHIC / name)
    image = images.load(data)
    out = palette_png(image, quality=80, mode=Mode.LOSSY, keep=KeepMetadata.NONE)
    assert out is not None and len(out) < len(data)
    decoded = images.load(out)
    assert decoded.get("bits-per-sample") <= 8
    transparent = image.hasalpha() and image[image.bands - 1].min() < 255
    assert decoded.hasalpha() == transparent  # an all-opaque alpha band may go


def test_smooth_gradients_refuse_the_palette() -> None:
    image = images.load(images.read(images.GRAPHIC / "color.png"))
    assert palette_png(image, quality=80, mode=Mode.LOSSY, keep=KeepMetadata.NONE) is None
    # an explicit quality is the caller's choice: no look check
    assert palette_png(image, quality=80, mode=Mode.LOSSY, keep=KeepMetadata.NONE, checked=False)


def test_glossy_is_stricter_than_lossy() -> None:
    image = images.load(images.read(images.PHOTO / "kodim03.png"))
    assert palette_png(image, quality=80, mode=Mode.LOSSY, keep=KeepMetadata.NONE) is not None
    assert palette_png(image, quality=90, mode=Mode.GLOSSY, keep=KeepMetadata.NONE) is None


def test_transparency_survives_the_palette() -> None:
    image = images.load(images.read(images.GRAPHIC / "transparent.png"))
    out = palette_png(image, quality=80, mode=Mode.LOSSY, keep=KeepMetadata.NONE)
    assert out is not None
    alpha_in = image[3].numpy().astype(int)
    alpha_out = images.load(out)[3].numpy().astype(int)
    assert abs(alpha_in - alpha_out).mean() < 2
    assert (alpha_out[alpha_in == 0] == 0).all()
