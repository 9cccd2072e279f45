"""optimize_with_sizes(): one decode, the optimized upload and one optimized copy per size."""

from __future__ import annotations

from dataclasses import replace

import pytest

from pixpress.imaging import (
    AcceptFor,
    ImageFormat,
    Limits,
    Mode,
    OptimizeOptions,
    OutputFormat,
    SizedResult,
    optimize,
    optimize_with_sizes,
    pipeline,
)
from pixpress.imaging.context import Context
from pixpress.imaging.perceptual import Judge
from pixpress.imaging.size_specs import parse_sizes
from pixpress.imaging.types import ColourPath
from tests.imaging import images

LIMITS = Limits()
SIZES = parse_sizes("thumbnail:150x150:crop,medium:300x300,wide:600x100")


def run(name: str, **options: object) -> SizedResult:
    data = images.read(images.PHOTO / name)
    return optimize_with_sizes(data, options=OptimizeOptions(sizes=SIZES, **options), limits=LIMITS)  # type: ignore[arg-type]


@pytest.mark.parametrize(
    ("name", "expected"),
    [
        ("kodim03.png", {"thumbnail": (150, 150), "medium": (300, 200), "wide": (150, 100)}),
        ("rocket.jpg", {"thumbnail": (150, 150), "medium": (300, 200), "wide": (150, 100)}),
    ],
)
def test_each_size_has_its_dimensions_decodes_and_reaches_the_target(
    name: str, expected: dict[str, tuple[int, int]]
) -> None:
    result = run(name)
    source_format = ImageFormat.PNG if name.endswith(".png") else ImageFormat.JPEG
    assert [s.spec.name for s in result.sizes] == list(expected)
    target = LIMITS.targets.lossy
    for sized in result.sizes:
        image = sized.image
        decoded = images.load(image.data)
        assert (decoded.width, decoded.height) == (image.width, image.height) == expected[sized.spec.name]
        assert image.format is source_format  # format=original: each size keeps the upload's format
        assert not sized.result.kept_original and image.data != images.read(images.PHOTO / name)
        if image.settings.get("fallback") == "plain":
            # rocket.jpg is a Q95 JPEG: the 150x100 size cannot reach the target below q100 4:4:4,
            # which is larger than the same resize saved at the upload's Q95 (never_bigger.py).
            instead = image.settings["instead_of"]
            assert isinstance(instead, dict) and instead["size"] > image.size_bytes
            continue
        assert image.score is not None and image.score >= target, (sized.spec.name, image.score)
    source = images.load(images.read(images.PHOTO / name))
    assert (result.main.image.width, result.main.image.height) == (source.width, source.height)


def test_a_size_is_scored_against_its_own_resized_pixels() -> None:
    data = images.read(images.PHOTO / "rocket.jpg")
    result = optimize_with_sizes(
        data, options=OptimizeOptions(sizes=parse_sizes("medium:300x300")), limits=LIMITS
    )
    medium = result.sizes[0].image
    # The same resize on its own, as a caller with max_width/max_height gets it: same pixels, same judge.
    alone = optimize(data, options=OptimizeOptions(max_width=300, max_height=300), limits=LIMITS)
    reference = images.load(alone.image.data)
    assert (reference.width, reference.height) == (medium.width, medium.height)
    assert medium.size_bytes == alone.image.size_bytes
    assert medium.score == alone.image.score


def test_crop_is_centred() -> None:
    data = images.read(images.PHOTO / "kodim03.png")
    result = optimize_with_sizes(
        data,
        options=OptimizeOptions(mode=Mode.LOSSLESS, sizes=parse_sizes("centre:200x200:crop")),
        limits=LIMITS,
    )
    crop = images.load(result.sizes[0].image.data)
    source = images.load(data)
    # 768x512 -> the centred 512x512 square scaled to 200x200: compare with the same made by hand.
    expected = source.crop(128, 0, 512, 512).resize(200 / 512)
    assert (crop.width, crop.height) == (200, 200)
    assert abs(crop.avg() - expected.avg()) < 1.0


def test_lossless_sizes_are_exact_encodes_of_the_resized_pixels() -> None:
    result = run("kodim03.png", mode=Mode.LOSSLESS)
    for sized in result.sizes:
        assert sized.image.format is ImageFormat.PNG
        assert sized.image.settings.get("exact") is True


def test_format_auto_lets_each_size_pick_its_smallest_format() -> None:
    result = run("kodim03.png", format=OutputFormat.AUTO, accept=frozenset({ImageFormat.WEBP}))
    for sized in result.sizes:
        formats = {v.format for v in sized.result.variants}
        assert formats == {ImageFormat.PNG, ImageFormat.WEBP}
        assert sized.image.size_bytes == min(v.size_bytes for v in sized.result.variants)


def test_accept_for_sizes_keeps_the_image_in_its_format_and_gives_the_sizes_every_format() -> None:
    result = run(
        "kodim03.png",
        format=OutputFormat.AUTO,
        accept=frozenset({ImageFormat.WEBP}),
        accept_for=AcceptFor.SIZES,
    )
    assert [v.format for v in result.main.variants] == [ImageFormat.PNG]
    for sized in result.sizes:
        assert {v.format for v in sized.result.variants} == {ImageFormat.PNG, ImageFormat.WEBP}


def test_accept_for_sizes_without_sizes_is_the_image_in_its_format() -> None:
    data = images.read(images.PHOTO / "rocket.jpg")
    options = OptimizeOptions(format=OutputFormat.AUTO, accept=frozenset({ImageFormat.WEBP}))
    assert {v.format for v in optimize(data, options=options, limits=LIMITS).variants} == {
        ImageFormat.JPEG,
        ImageFormat.WEBP,
    }
    only = optimize(data, options=replace(options, accept_for=AcceptFor.SIZES), limits=LIMITS)
    assert [v.format for v in only.variants] == [ImageFormat.JPEG]


def test_a_named_format_applies_to_every_size() -> None:
    result = run("rocket.jpg", format=OutputFormat.WEBP, mode=Mode.GLOSSY)
    for sized in result.sizes:
        if sized.image.settings.get("fallback") == "plain":  # a lossless WebP above the plain JPEG
            assert sized.image.format is ImageFormat.JPEG
            continue
        assert sized.image.format is ImageFormat.WEBP
        assert images.load(sized.image.data).get("vips-loader").startswith("webpload")
        assert sized.image.score is not None and sized.image.score >= LIMITS.targets.glossy


def test_the_upload_is_decoded_once(monkeypatch: pytest.MonkeyPatch) -> None:
    decodes: list[int] = []
    judged: list[tuple[int, int]] = []
    steps = dict(pipeline.STEPS)

    def counting_decode(ctx: Context) -> None:
        decodes.append(1)
        steps["decode"](ctx)

    class CountingJudge(Judge):
        def __init__(self, image, *, frame_height: int) -> None:  # type: ignore[no-untyped-def]
            judged.append((int(image.width), frame_height))
            super().__init__(image, frame_height=frame_height)

    monkeypatch.setattr(
        pipeline, "STEPS", tuple((n, counting_decode if n == "decode" else s) for n, s in pipeline.STEPS)
    )
    monkeypatch.setattr("pixpress.imaging.variants.Judge", CountingJudge)
    result = run("rocket.jpg")
    assert len(decodes) == 1
    assert len(result.sizes) == 3
    # One judge per image: the upload's and each size's own (none shared, none made twice).
    assert sorted(judged) == sorted(
        [(result.main.image.width, result.main.image.height), (150, 150), (300, 200), (150, 100)]
    )


def test_without_sizes_it_is_optimize() -> None:
    data = images.read(images.PHOTO / "kodim03.png")
    result = optimize_with_sizes(data, options=OptimizeOptions(), limits=LIMITS)
    assert result.sizes == ()
    assert result.main.image.data == optimize(data, options=OptimizeOptions(), limits=LIMITS).image.data


def test_an_animation_keeps_its_frames_in_every_size() -> None:
    data = images.animated_gif()  # 5 frames of 48x32
    result = optimize_with_sizes(
        data, options=OptimizeOptions(sizes=parse_sizes("square:16x16:crop,half:24x24")), limits=LIMITS
    )
    for sized, expected in zip(result.sizes, [(16, 16), (24, 16)], strict=True):
        out = images.load(sized.image.data, n=-1)
        assert sized.image.format is ImageFormat.GIF
        assert (out.width, out.get("page-height")) == expected
        assert out.height // out.get("page-height") == 5


def test_a_size_of_an_srgb_tagged_png_carries_no_profile() -> None:
    """astronaut.png's 150x150 thumbnail as a PNG was 19,397 bytes with the 3,144-byte sRGB profile and
    16,781 without: every size drops it (an sRGB chunk says the same in 13 bytes)."""
    result = run("astronaut.png", format=OutputFormat.PNG)
    for sized in result.sizes:
        image = sized.image
        assert images.profile_of(image.data) is None, sized.spec.name
        assert image.colour is ColourPath.SRGB_PROFILE_DROPPED
        assert b"sRGB" in image.data[:64]
