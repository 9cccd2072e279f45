"""Parsing and checking the `sizes` option (no pixels involved)."""

from __future__ import annotations

import pytest

from pixpress.errors import InvalidOption
from pixpress.imaging import (
    ImageFormat,
    ImageInfo,
    SizeSpec,
    check_sizes_fit,
    options_from_dict,
    options_to_dict,
    parse_options,
)
from pixpress.imaging.size_specs import MAX_SIZES, output_size, parse_sizes

WORDPRESS = "thumbnail:150x150:crop,medium:300x300,medium_large:768x0,large:1024x1024"
PHOTO = ImageInfo(format=ImageFormat.JPEG, width=1600, height=1200)


def test_wordpress_sizes_parse_in_order() -> None:
    assert parse_sizes(WORDPRESS) == (
        SizeSpec("thumbnail", 150, 150, crop=True),
        SizeSpec("medium", 300, 300),
        SizeSpec("medium_large", 768, 0),
        SizeSpec("large", 1024, 1024),
    )


def test_spaces_case_of_crop_and_a_trailing_comma_are_tolerated() -> None:
    assert parse_sizes(" a:10X20 , b:5x5:CROP ,") == (SizeSpec("a", 10, 20), SizeSpec("b", 5, 5, crop=True))
    assert parse_sizes(None) == parse_sizes("") == ()


@pytest.mark.parametrize(
    "text",
    [
        "thumbnail",  # no box
        "thumbnail:150",  # half a box
        "thumbnail:150x",
        "thumbnail:x150",
        "thumbnail:150x150:fit",  # only crop is a flag
        "thumbnail:150x150:crop:more",
        "Thumbnail:150x150",  # names are lower case
        "thumb nail:150x150",
        ":150x150",
        "a" * 41 + ":150x150",
        "t:0x0",
        "t:-5x10",
        "t:150x0:crop",  # a crop needs both sides
        "t:200000x10",
        "t:1.5x10",
    ],
)
def test_bad_syntax_is_invalid_option(text: str) -> None:
    with pytest.raises(InvalidOption) as caught:
        parse_sizes(text)
    assert caught.value.details["field"] == "sizes"


def test_at_most_sixteen_sizes() -> None:
    many = ",".join(f"s{i}:10x10" for i in range(MAX_SIZES))
    assert len(parse_sizes(many)) == MAX_SIZES
    with pytest.raises(InvalidOption, match="at most 16"):
        parse_sizes(many + ",one_more:10x10")


def test_names_are_unique() -> None:
    with pytest.raises(InvalidOption, match="'medium' is repeated"):
        parse_sizes("medium:300x300,large:1024x1024,medium:200x200")


def test_sizes_travel_through_the_task_row() -> None:
    options = parse_options({"sizes": WORDPRESS, "format": "webp"})
    stored = options_to_dict(options)
    assert stored["sizes"] == WORDPRESS
    assert options_from_dict(stored) == options
    assert options_from_dict({}).sizes == ()  # rows written before sizes existed


def test_fit_keeps_the_aspect_and_crop_is_exact() -> None:
    assert output_size(SizeSpec("m", 300, 300), 1600, 1200) == (300, 225)
    assert output_size(SizeSpec("ml", 768, 0), 1600, 1200) == (768, 576)
    assert output_size(SizeSpec("t", 150, 150, crop=True), 1600, 1200) == (150, 150)


def test_a_size_that_would_upscale_is_refused() -> None:
    check_sizes_fit(parse_sizes(WORDPRESS), PHOTO)
    for text in ("huge:2000x2000", "same:1600x1200", "huge:2000x2000:crop", "wide:0x1200"):
        with pytest.raises(InvalidOption, match="not smaller than the upload") as caught:
            check_sizes_fit(parse_sizes(text), PHOTO)
        assert caught.value.details["size"] == text.split(":")[0]


def test_one_side_larger_is_allowed_when_the_other_shrinks() -> None:
    wide = parse_sizes("banner:2000x600,strip:2000x600:crop")
    check_sizes_fit(wide, PHOTO)
    assert output_size(wide[0], 1600, 1200) == (800, 600)  # fitted by its height
    assert output_size(wide[1], 1600, 1200) == (1600, 600)  # crop clamped to the upload's width


def test_the_check_uses_the_size_a_viewer_sees() -> None:
    portrait = ImageInfo(format=ImageFormat.JPEG, width=1600, height=1200, orientation=6)  # shown 1200x1600
    check_sizes_fit(parse_sizes("tall:1300x1500"), portrait)
    with pytest.raises(InvalidOption):
        check_sizes_fit(parse_sizes("tall:1300x1700"), portrait)
