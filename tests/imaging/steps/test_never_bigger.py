"""Never bigger, for every output: main, sizes, variants, animations (imaging/steps/never_bigger.py)."""

from __future__ import annotations

import pytest
import pyvips

from pixpress.imaging import (
    ImageFormat,
    Limits,
    OptimizeOptions,
    OutputFormat,
    SizedResult,
    optimize_with_sizes,
)
from pixpress.imaging.size_specs import parse_sizes
from pixpress.imaging.steps.plain import estimate_jpeg_quality
from pixpress.imaging.types import EncodedImage
from tests.conftest import CORPUS
from tests.imaging import images

WEBP = frozenset({ImageFormat.WEBP})


def run(data: bytes, **options: object) -> SizedResult:
    return optimize_with_sizes(data, options=OptimizeOptions(**options), limits=Limits())  # type: ignore[arg-type]


def flat_animation() -> bytes:
    """8 frames of 200x150: one flat colour with a white square moving across (GIF's best case)."""
    background = pyvips.Image.black(200, 150).new_from_image([30, 120, 200]).cast("uchar")
    pages = [background.draw_rect([255, 255, 255], 10 + 20 * i, 60, 20, 20, fill=True) for i in range(8)]
    strip = pyvips.Image.arrayjoin(pages, across=1).copy(interpretation="srgb")
    strip.set_type(pyvips.GValue.gint_type, "page-height", 150)
    data: bytes = strip.gifsave_buffer()
    return data


def test_an_animated_gif_converted_to_webp_comes_back_as_a_gif() -> None:
    data = flat_animation()
    image = run(data, format=OutputFormat.WEBP).main.image
    assert image.format is ImageFormat.GIF and image.size_bytes <= len(data)
    assert image.settings["fallback"] in ("plain", "original")  # the plain GIF save, unless larger
    assert frames_and_size(image.data) == (8, 200, 150)
    instead = image.settings["instead_of"]
    assert isinstance(instead, dict) and instead["format"] == "webp" and instead["size"] > len(data)


def frames_and_size(data: bytes) -> tuple[int, int, int]:
    decoded = pyvips.Image.gifload_buffer(data, n=-1)
    return decoded.get("n-pages"), decoded.width, decoded.get("page-height")


def test_an_animated_gif_resized_to_webp_comes_back_as_the_plain_gif_resize() -> None:
    data = flat_animation()
    image = run(data, format=OutputFormat.WEBP, max_width=100).main.image
    assert image.format is ImageFormat.GIF and image.settings["fallback"] == "plain"
    assert frames_and_size(image.data) == (8, 100, 75)
    instead = image.settings["instead_of"]
    assert isinstance(instead, dict) and instead["size"] > image.size_bytes


def test_format_auto_drops_a_webp_larger_than_the_gif_and_says_so() -> None:
    result = run(flat_animation(), format=OutputFormat.AUTO, accept=WEBP, max_width=100).main
    assert [v.format for v in result.variants] == [ImageFormat.GIF]
    dropped = result.image.settings["dropped"]
    assert isinstance(dropped, list) and dropped[0]["format"] == "webp"


def test_sizes_of_an_already_small_jpeg_are_never_larger_than_its_plain_resize() -> None:
    """A 4-KB Q40 JPEG: its sizes searched to the lossy target would be larger than the same resize
    saved at the upload's own quality."""
    photo = pyvips.Image.new_from_buffer(images.read(images.PHOTO / "kodim03.png"), "").resize(0.5)
    data: bytes = photo.jpegsave_buffer(Q=40)
    assert estimate_jpeg_quality(data) == 40
    result = run(data, sizes=parse_sizes("thumb:150x150:crop,medium:300x300"))
    fallbacks = [s.image.settings.get("fallback") for s in result.sizes]
    assert "plain" in fallbacks
    for size in result.sizes:
        assert size.image.format is ImageFormat.JPEG
        assert size.image.size_bytes <= plain_save(size.image, ImageFormat.JPEG, 40) * 1.02


@pytest.mark.parametrize("quality", [30, 50, 75, 90, 97])
def test_the_jpeg_quality_estimate_reads_libjpegs_scaling_back(quality: int) -> None:
    data: bytes = pyvips.Image.black(16, 16).jpegsave_buffer(Q=quality)
    assert estimate_jpeg_quality(data) == quality


def plain_save(image: EncodedImage, fmt: ImageFormat, jpeg_q: int | None) -> int:
    """The output's own pixels saved plainly in `fmt` (the documented plain settings): the yardstick
    computed here without pixpress's code."""
    decoded = (
        pyvips.Image.new_from_buffer(image.data, "", n=-1)
        if fmt in (ImageFormat.GIF, ImageFormat.WEBP)
        else images.load(image.data)
    )
    if fmt is ImageFormat.JPEG:
        if decoded.hasalpha():
            decoded = decoded.flatten(background=[255] * (decoded.bands - 1))
        return len(decoded.jpegsave_buffer(Q=jpeg_q or 85, keep="icc"))
    if fmt is ImageFormat.AVIF:
        return len(decoded.heifsave_buffer(compression="av1", keep="icc"))
    saver = getattr(decoded, f"{fmt.value}save_buffer")
    return len(saver(keep="icc"))


def test_every_output_of_the_corpus_keeps_the_rule() -> None:
    """Every file of the corpus (the 12-MP photo aside: the same rule, 40x the CPU) with two sizes and
    format=auto accepting WebP: each output at the upload's size and format is no larger than the
    upload; every other one no larger than its pixels saved plainly in the upload's format (computed
    here from the output's decoded pixels, within 3% for the extra generation)."""
    sizes = parse_sizes("thumb:150x150:crop,medium:300x300")
    checked = 0
    for path in sorted(p for p in CORPUS.glob("*/*") if p.suffix in (".jpg", ".png", ".gif")):
        if path.stat().st_size > 2_000_000:
            continue
        data = path.read_bytes()
        result = run(data, format=OutputFormat.AUTO, accept=WEBP, sizes=sizes)
        source = images.load(data)
        source_format = ImageFormat.JPEG if path.suffix == ".jpg" else ImageFormat.PNG
        jpeg_q = estimate_jpeg_quality(data)
        outputs = [*result.main.variants, *(v for s in result.sizes for v in s.result.variants)]
        for image in outputs:
            checked += 1
            same_size = (image.width, image.height) == (source.width, source.height)
            if (same_size and image.format is source_format) or same_size:
                assert image.size_bytes <= len(data), path.name
            elif image.settings.get("fallback") != "plain":
                limit = plain_save(image, source_format, jpeg_q)
                hdr = image.settings.get("hdr_gain_map")
                if isinstance(hdr, dict) and hdr["kept"]:
                    limit += hdr["size"]  # the plain JPEG would carry the same gain map
                assert image.size_bytes <= limit * 1.03, (path.name, image.format, image.width, limit)
    assert checked > 60
