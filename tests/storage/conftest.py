from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import boto3
import pytest

from tests.e2e.server import ServerProcess, moto_server


@pytest.fixture(scope="session")
def s3_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[ServerProcess]:
    """moto's stand-alone S3 server on loopback, one per test session."""
    pytest.importorskip("moto.server", reason="moto[server] is not installed")
    server = moto_server(tmp_path_factory.mktemp("moto"))
    yield server
    server.stop()


@pytest.fixture
def s3_bucket(s3_server: ServerProcess, tmp_path: Path) -> str:
    name = f"bucket-{tmp_path.name.lower().replace('_', '-')[-40:]}"
    boto3.client(
        "s3",
        endpoint_url=s3_server.url,
        region_name="us-east-1",
        aws_access_key_id="x",
        aws_secret_access_key="x",
    ).create_bucket(Bucket=name)
    return name
