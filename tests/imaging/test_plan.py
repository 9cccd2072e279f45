from __future__ import annotations

from pixpress.imaging import ImageFormat, OptimizeOptions, OutputFormat
from pixpress.imaging.plan import targets
from tests.imaging import images
from tests.imaging.steps import run_until

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
