from __future__ import annotations

import pytest
import pyvips

from pixpress.errors import InvalidOption
from pixpress.imaging import (
    ImageFormat,
    Limits,
    OptimizeOptions,
    OutputFormat,
    optimize,
    parse_options,
    probe,
)
from pixpress.imaging.plan import output_formats, targets
from tests.imaging import images
from tests.imaging.run_steps import run_until

F = ImageFormat


def test_targets() -> None:
    accept = frozenset({F.WEBP, F.AVIF, F.PNG})
    assert targets(OutputFormat.ORIGINAL, accept, F.JPEG, False) == (F.JPEG,)
    assert targets(OutputFormat.WEBP, frozenset(), F.JPEG, False) == (F.WEBP,)
    assert targets(OutputFormat.AUTO, accept, F.JPEG, False) == (F.JPEG, F.AVIF, F.PNG, F.WEBP)
    assert targets(OutputFormat.AUTO, frozenset(), F.PNG, False) == (F.PNG,)
    assert targets(OutputFormat.AUTO, accept, F.GIF, True) == (F.GIF, F.WEBP)


def test_still_output_of_an_animation_keeps_the_first_frame() -> None:
    ctx = run_until(images.animated_gif(), "first_frame", options=OptimizeOptions(format=OutputFormat.PNG))
    assert ctx.frames == 1
    assert (ctx.pixels.width, ctx.pixels.height) == (48, 32)
    assert "page-height" not in ctx.pixels.get_fields()


def wide_jpeg(width: int = 17_000, height: int = 16, orientation: int = 1) -> bytes:
    """A few KB of JPEG wider than WebP can hold (16383 pixels a side)."""
    image = (pyvips.Image.black(width, height, bands=3) + 128).cast("uchar").copy(interpretation="srgb")
    if orientation != 1:
        image.set_type(pyvips.GValue.gint_type, "orientation", orientation)
    data: bytes = image.jpegsave_buffer(Q=80, keep="all")
    return data


def test_a_format_that_cannot_hold_the_image_is_refused() -> None:
    info = probe(wide_jpeg(), limits=Limits())
    with pytest.raises(InvalidOption, match="16383") as refused:
        output_formats(info, parse_options({"format": "webp"}))
    assert refused.value.details["format"] == "webp"
    with pytest.raises(InvalidOption, match="16384"):
        output_formats(info, parse_options({"format": "avif"}))
    assert output_formats(info, parse_options({"format": "jpeg"})) == (F.JPEG,)


def test_auto_drops_the_formats_that_cannot_hold_the_image() -> None:
    info = probe(wide_jpeg(), limits=Limits())
    options = parse_options({"format": "auto", "accept": "webp,avif,png"})
    assert output_formats(info, options) == (F.JPEG, F.PNG)


def test_the_limit_applies_to_the_resized_and_turned_image() -> None:
    info = probe(wide_jpeg(), limits=Limits())
    assert output_formats(info, parse_options({"format": "webp", "max_width": "16000"})) == (F.WEBP,)
    # Stored 16 wide and 17000 high, shown turned a quarter: max_width applies to the 17000 side.
    turned = probe(wide_jpeg(16, 17_000, orientation=6), limits=Limits())
    assert turned.orientation == 6
    assert output_formats(turned, parse_options({"format": "webp", "max_width": "16000"})) == (F.WEBP,)
    with pytest.raises(InvalidOption):
        output_formats(turned, parse_options({"format": "webp", "max_height": "16000"}))


def test_optimize_with_auto_encodes_only_the_formats_that_fit() -> None:
    options = parse_options({"format": "auto", "accept": "webp", "mode": "lossy", "quality": "80"})
    result = optimize(wide_jpeg(), options=options, limits=Limits())
    assert [variant.format for variant in result.variants] == [F.JPEG]
