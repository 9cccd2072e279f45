from __future__ import annotations

import json

import pytest

from pixpress.errors import InvalidOption
from pixpress.imaging import (
    AcceptFor,
    ImageFormat,
    KeepMetadata,
    Mode,
    OptimizeOptions,
    OutputFormat,
    options_from_dict,
    options_to_dict,
    parse_options,
)


def test_defaults_and_empty_strings() -> None:
    assert parse_options({}) == OptimizeOptions()
    empty = dict.fromkeys(
        ("mode", "quality", "format", "max_width", "max_height", "keep_metadata", "accept"), ""
    )
    assert parse_options(empty) == OptimizeOptions()
    assert parse_options({"mode": None, "file": "ignored"}) == OptimizeOptions()


def test_every_field() -> None:
    options = parse_options(
        {
            "mode": "glossy",
            "quality": "85",
            "format": "auto",
            "max_width": "800",
            "max_height": "600",
            "keep_metadata": "all",
            "accept": "webp, avif",
            "accept_for": "SIZES",
        }
    )
    assert options == OptimizeOptions(
        mode=Mode.GLOSSY,
        quality=85,
        format=OutputFormat.AUTO,
        max_width=800,
        max_height=600,
        keep_metadata=KeepMetadata.ALL,
        accept=frozenset({ImageFormat.WEBP, ImageFormat.AVIF}),
        accept_for=AcceptFor.SIZES,
    )


def test_browser_accept_header() -> None:
    options = parse_options({"accept": "image/avif,image/webp,image/apng,image/svg+xml,image/*,*/*;q=0.8"})
    assert options.accept == {ImageFormat.AVIF, ImageFormat.WEBP}
    assert parse_options({"format": "JPG"}).format is OutputFormat.JPEG


@pytest.mark.parametrize(
    ("field", "value"),
    [
        ("mode", "extreme"),
        ("quality", "0"),
        ("quality", "101"),
        ("quality", "high"),
        ("quality", "8.5"),
        ("format", "tiff"),
        ("format", "gif"),
        ("max_width", "0"),
        ("max_width", "-5"),
        ("max_height", "abc"),
        ("keep_metadata", "some"),
        ("accept", "webp,bmp"),
        ("accept_for", "main"),
    ],
)
def test_bad_values(field: str, value: str) -> None:
    with pytest.raises(InvalidOption) as caught:
        parse_options({field: value})
    assert caught.value.details == {"field": field}


def test_dict_round_trip_through_json() -> None:
    options = parse_options({"mode": "lossless", "format": "auto", "accept": "webp,avif", "max_width": "10"})
    stored = json.loads(json.dumps(options_to_dict(options)))
    assert options_from_dict(stored) == options
    assert options_from_dict({}) == OptimizeOptions()
    sizes_only = parse_options({"format": "auto", "accept": "webp", "accept_for": "sizes"})
    assert options_from_dict(json.loads(json.dumps(options_to_dict(sizes_only)))) == sizes_only


def test_the_default_accept_for_leaves_the_stored_form_as_before() -> None:
    # The stored form is hashed to find identical re-uploads: uploads from before the option keep theirs.
    assert "accept_for" not in options_to_dict(parse_options({"format": "auto", "accept": "webp"}))
