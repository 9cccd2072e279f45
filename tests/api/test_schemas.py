"""The OpenAPI description of the hand-parsed submit form lists every option the route reads."""

from __future__ import annotations

import re

import pytest
from fastapi.testclient import TestClient
from hypothesis import given, settings
from hypothesis import strategies as st

from pixpress.api.schemas import SUBMIT_FORM
from pixpress.client.calls import OPTION_NAMES
from pixpress.errors import InvalidOption
from pixpress.imaging import parse_options
from pixpress.imaging.options import OPTION_FIELDS


def test_every_submit_option_is_described_and_known_to_the_sdk() -> None:
    schema = SUBMIT_FORM["requestBody"]["content"]["multipart/form-data"]["schema"]
    assert set(schema["properties"]) == {"file", *OPTION_FIELDS}
    assert "thumbnail:150x150:crop" in schema["properties"]["sizes"]["example"]
    assert set(OPTION_NAMES) == set(OPTION_FIELDS)


PROPERTIES = SUBMIT_FORM["requestBody"]["content"]["multipart/form-data"]["schema"]["properties"]


@pytest.mark.parametrize("field", ["mode", "format", "keep_metadata"])
def test_every_value_the_schema_lists_is_accepted_in_any_case(field: str) -> None:
    for value in PROPERTIES[field]["enum"]:
        parse_options({field: value})
        parse_options({field: value.upper()})
    with pytest.raises(InvalidOption):
        parse_options({field: "nonsense"})


@pytest.mark.parametrize("field", ["quality", "max_width", "max_height"])
def test_the_schema_s_bounds_are_the_parser_s(field: str) -> None:
    low, high = PROPERTIES[field]["minimum"], PROPERTIES[field]["maximum"]
    parse_options({field: str(low)})
    parse_options({field: str(high)})
    for outside in (low - 1, high + 1):
        with pytest.raises(InvalidOption):
            parse_options({field: str(outside)})


@settings(max_examples=300, deadline=None)
@given(st.from_regex(PROPERTIES["accept"]["pattern"], fullmatch=True))
def test_any_accept_the_schema_allows_is_accepted(accept: str) -> None:
    parse_options({"accept": accept})


@settings(max_examples=300, deadline=None)
@given(st.from_regex(PROPERTIES["sizes"]["pattern"], fullmatch=True))
def test_sizes_the_schema_allows_parse_unless_names_repeat_or_a_box_is_empty(sizes: str) -> None:
    entries = [item.strip().split(":") for item in sizes.split(",") if item.strip()]
    names = [entry[0] for entry in entries]
    boxes = [tuple(int(side) for side in entry[1].lower().split("x")) for entry in entries]
    crops = [len(entry) == 3 for entry in entries]
    fine = len(set(names)) == len(names) and all(
        box != (0, 0) and not (crop and 0 in box) for box, crop in zip(boxes, crops, strict=True)
    )
    if fine:
        parse_options({"sizes": sizes})
    else:
        with pytest.raises(InvalidOption):
            parse_options({"sizes": sizes})


def test_the_schema_refuses_what_the_parser_refuses() -> None:
    assert not re.fullmatch(PROPERTIES["accept"]["pattern"], "webp,tiff")
    with pytest.raises(InvalidOption):
        parse_options({"accept": "webp,tiff"})
    seventeen = ",".join(f"s{i}:10x10" for i in range(17))
    assert not re.fullmatch(PROPERTIES["sizes"]["pattern"], seventeen)
    with pytest.raises(InvalidOption):
        parse_options({"sizes": seventeen})


def test_metrics_declares_its_text_answer(client: TestClient) -> None:
    operation = client.get("/openapi.json").json()["paths"]["/metrics"]["get"]
    content = operation["responses"]["200"]["content"]
    assert list(content) == ["text/plain; version=0.0.4; charset=utf-8"]
    assert content["text/plain; version=0.0.4; charset=utf-8"]["schema"] == {"type": "string"}
