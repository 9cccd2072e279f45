"""The answers shown in the docs fit the models: DESIGN.md's samples of the system this replaces (copied
here) and README.md's curl walk-through (parsed out of it). A sample may show only some keys, abbreviated
with "...", but each key it shows must be one the route declares, with a value of the declared type."""

from __future__ import annotations

import json
import re
from typing import Any

import pytest
from fastapi.testclient import TestClient

from tests.api.contract import answer_schema, validate
from tests.conftest import REPO_ROOT

SUBMIT = ("/api/optimize/submit", "post")
STATUS = ("/api/optimize/status/{task_id}", "get")
QUOTA = ("/api/optimize/quota", "get")
RESET = ("/api/optimize/reset-usage", "post")

# The design notes' "Sample responses from the system this replaces (shapes to keep)".
DESIGN_SAMPLES = [
    (
        SUBMIT,
        {
            "success": True,
            "data": {
                "task_id": "78d00651-ae7a-4f68-a97c-c89a6cbab355",
                "quota_info": {"used_mb": 1, "remaining_mb": 999, "limit_mb": 1000},
            },
        },
    ),
    (
        QUOTA,
        {
            "success": True,
            "data": {
                "token": "test-token-123",
                "quota_mb": 1000,
                "used_mb": 0,
                "remaining_mb": 1000,
                "last_used_at": None,
            },
        },
    ),
    (
        RESET,
        {
            "success": True,
            "message": "Usage reset successfully",
            "data": {
                "token": "test-token-456",
                "old_usage_mb": 1,
                "new_usage_mb": 0,
                "quota_mb": 1000,
                "remaining_mb": 1000,
            },
        },
    ),
]
# The answers README.md's walk-through shows, in order.
README_ROUTES = [SUBMIT, STATUS, SUBMIT, SUBMIT]


def readme_samples() -> list[Any]:
    """Each `# {"success":...}` comment of README.md's shell blocks, its `#   ` continuation lines joined,
    with the elisions taken out ("[...]" -> "[]", ", ...the other fields..." -> "")."""
    samples: list[Any] = []
    current: list[str] | None = None
    for line in (REPO_ROOT / "README.md").read_text().splitlines():
        if line.startswith('# {"success"'):
            current = [line[2:]]
            samples.append(current)
        elif current is not None and line.startswith("#   "):
            current.append(line[1:].strip())
        else:
            current = None
    parsed = []
    for parts in samples:
        text = "".join(parts).replace("[...]", "[]")
        text = re.sub(r",\s*\.\.\.(?:[a-z ]+\.\.\.)?", "", text)
        parsed.append(json.loads(text))
    return parsed


@pytest.fixture(scope="module")
def openapi() -> dict[str, Any]:
    from pixpress.app import create_app
    from pixpress.config import Settings

    app = create_app(Settings(environment="test", _env_file=None))  # type: ignore[call-arg]
    return dict(TestClient(app).get("/openapi.json").json())  # no lifespan: the schema only


@pytest.mark.parametrize(("route", "sample"), DESIGN_SAMPLES, ids=["submit", "quota", "reset"])
def test_design_samples_fit(openapi: dict[str, Any], route: tuple[str, str], sample: Any) -> None:
    validate(answer_schema(openapi, *route, 200), sample, partial=True)


def test_readme_samples_fit(openapi: dict[str, Any]) -> None:
    samples = readme_samples()
    assert len(samples) == len(README_ROUTES)
    for route, sample in zip(README_ROUTES, samples, strict=True):
        validate(answer_schema(openapi, *route, 200), sample, partial=True)


def test_a_sample_with_an_undeclared_key_is_caught(openapi: dict[str, Any]) -> None:
    from jsonschema import ValidationError

    drifted = {"success": True, "data": {"token": "t", "quota_megabytes": 1000}}
    with pytest.raises(ValidationError):
        validate(answer_schema(openapi, *QUOTA, 200), drifted, partial=True)
