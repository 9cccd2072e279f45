"""?wait on submit: bounded by PIXPRESS_MAX_WAIT_S, whatever it is set to (not by a number in the route)."""

from __future__ import annotations

import time
from collections.abc import Callable
from pathlib import Path

from fastapi.testclient import TestClient

from pixpress.config import Settings
from tests.api.conftest import SITE


def test_a_wait_longer_than_the_setting_is_cut_to_it(
    api_settings: Settings, make_client: Callable[..., TestClient], corpus: Path
) -> None:
    """No worker runs here: the task stays queued, so the answer comes when the wait is over."""
    client = make_client(api_settings.model_copy(update={"max_wait_s": 1.0}))
    data = (corpus / "photo" / "kodim05.png").read_bytes()
    started = time.monotonic()
    answer = client.post("/api/optimize/submit?wait=45", headers=SITE, files={"file": ("a.png", data)})
    waited = time.monotonic() - started
    assert answer.status_code == 200, answer.text  # 45 is more than 30: accepted, not 422
    assert answer.json()["data"]["status"] == "queued"
    assert 0.9 <= waited < 10


def test_a_negative_wait_is_an_invalid_option(client: TestClient, corpus: Path) -> None:
    data = (corpus / "photo" / "kodim05.png").read_bytes()
    answer = client.post("/api/optimize/submit?wait=-1", headers=SITE, files={"file": ("a.png", data)})
    assert answer.status_code == 422
