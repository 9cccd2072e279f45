"""The OpenAPI description of the hand-parsed submit form lists every option the route reads."""

from __future__ import annotations

from pixpress.api.optimize import OPTION_FIELDS
from pixpress.api.schemas import SUBMIT_FORM
from pixpress.client.calls import OPTION_NAMES


def test_every_submit_option_is_described_and_known_to_the_sdk() -> None:
    schema = SUBMIT_FORM["requestBody"]["content"]["multipart/form-data"]["schema"]
    assert set(schema["properties"]) == {"file", *OPTION_FIELDS}
    assert "thumbnail:150x150:crop" in schema["properties"]["sizes"]["example"]
    assert set(OPTION_NAMES) == set(OPTION_FIELDS)
