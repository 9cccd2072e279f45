"""The S3 bucket unreachable (moto's server stopped mid-run): 503 service_unavailable with reason
storage_unavailable, like Redis and the database, and nothing charged."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import boto3
import pytest
from fastapi.testclient import TestClient

from pixpress.config import Settings
from tests.api.conftest import SITE
from tests.e2e.server import ServerProcess, moto_server

BUCKET = "pixpress-down"


@pytest.fixture
def moto(tmp_path: Path) -> Iterator[ServerProcess]:
    server = moto_server(tmp_path)  # our own: stopping it harms no other test
    try:
        yield server
    finally:
        server.stop()


def used_mb(client: TestClient) -> float:
    return float(client.get("/api/optimize/quota", headers=SITE).json()["data"]["used_mb"])


def assert_storage_unavailable(answer: Any) -> None:
    assert answer.status_code == 503, answer.text
    error = answer.json()["error"]
    assert (error["code"], error["reason"]) == ("service_unavailable", "storage_unavailable")
    assert answer.headers["retry-after"]


def test_an_unreachable_bucket_answers_503_and_charges_nothing(
    api_settings: Settings, make_client: Callable[..., TestClient], moto: ServerProcess, corpus: Path
) -> None:
    credentials = {"aws_access_key_id": "k", "aws_secret_access_key": "s", "region_name": "us-east-1"}
    boto3.session.Session(**credentials).client("s3", endpoint_url=moto.url).create_bucket(Bucket=BUCKET)
    settings = api_settings.model_copy(
        update={
            "storage_url": f"s3://{BUCKET}/pixpress",
            "s3_endpoint_url": moto.url,
            "s3_access_key_id": "k",
            "s3_secret_access_key": "s",
            "s3_connect_timeout_s": 1.0,
            "s3_max_attempts": 2,
        }
    )
    client = make_client(settings)
    logo = (corpus / "graphic" / "logo.png").read_bytes()
    submitted = client.post("/api/optimize/submit", headers=SITE, files={"file": ("logo.png", logo)})
    assert submitted.status_code == 200, submitted.text
    task_id = submitted.json()["data"]["task_id"]
    client.app.state.container.runner.run(task_id)  # type: ignore[attr-defined]
    assert client.get(f"/api/optimize/download/{task_id}", headers=SITE).status_code == 200
    before = used_mb(client)

    moto.stop()
    # Other options: a new upload (the same one would get the earlier task back, without storage).
    refused = client.post(
        "/api/optimize/submit", headers=SITE, files={"file": ("logo.png", logo)}, data={"mode": "glossy"}
    )
    assert_storage_unavailable(refused)
    assert used_mb(client) == before  # nothing charged
    assert_storage_unavailable(client.get(f"/api/optimize/download/{task_id}", headers=SITE))
