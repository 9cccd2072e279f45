from __future__ import annotations

import pytest

from pixpress.imaging import OptimizeOptions
from pixpress.imaging.steps.resize import target_size
from tests.imaging import images
from tests.imaging.run_steps import run_until


@pytest.mark.parametrize(
    ("size", "box", "expected"),
    [
        ((768, 512), (400, None), (400, 267)),
        ((768, 512), (None, 256), (384, 256)),
        ((768, 512), (400, 100), (150, 100)),
        ((768, 512), (1000, 1000), (768, 512)),  # never upscales
        ((768, 512), (None, None), (768, 512)),
        ((10000, 10), (100, None), (100, 1)),  # at least one pixel
    ],
)
def test_target_size(
    size: tuple[int, int], box: tuple[int | None, int | None], expected: tuple[int, int]
) -> None:
    assert target_size(*size, *box) == expected


def test_photo_fits_inside() -> None:
    data = images.read(images.PHOTO / "kodim03.png")
    ctx = run_until(data, "resize", options=OptimizeOptions(max_width=300, max_height=300))
    assert (ctx.pixels.width, ctx.pixels.height) == (300, 200)
    assert ctx.resized


def test_no_upscale() -> None:
    data = images.read(images.PHOTO / "kodim05.png")
    ctx = run_until(data, "resize", options=OptimizeOptions(max_width=4000))
    assert (ctx.pixels.width, ctx.pixels.height) == (198, 128)
    assert not ctx.resized


def test_alpha_kept_without_dark_fringe() -> None:
    data = images.read(images.GRAPHIC / "transparent.png")
    ctx = run_until(data, "resize", options=OptimizeOptions(max_width=100))
    image = ctx.pixels
    assert (image.width, image.height, image.bands) == (100, 75, 4)
    assert image.hasalpha()


def test_every_frame_resized() -> None:
    ctx = run_until(images.animated_gif(), "resize", options=OptimizeOptions(max_width=24))
    assert ctx.frames == 5
    assert (ctx.pixels.width, ctx.frame_height, ctx.pixels.height) == (24, 16, 80)
    assert ctx.pixels.get("page-height") == 16
    assert list(ctx.pixels.get("delay")) == images.DELAYS_MS


def test_linear_light_keeps_brightness_of_fine_detail() -> None:
    # A one-pixel black/white checkerboard is 50% light: averaged in linear light it stays bright
    # (sRGB ~188), averaged on gamma-encoded values it turns mid-grey (128).
    import pyvips

    board = (pyvips.Image.xyz(64, 64)[0] + pyvips.Image.xyz(64, 64)[1]).remainder(2) * 255
    board = board.cast("uchar").copy(interpretation="b-w")
    data = board.pngsave_buffer()
    ctx = run_until(data, "resize", options=OptimizeOptions(max_width=16))
    assert 175 < ctx.pixels.avg() < 200


def test_sixteen_bit_resized_stays_sixteen_bit() -> None:
    ctx = run_until(images.png16(), "resize", options=OptimizeOptions(max_width=99))
    assert (ctx.pixels.width, ctx.pixels.height, ctx.pixels.format) == (99, 64, "ushort")
