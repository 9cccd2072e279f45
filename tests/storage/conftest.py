"""Storage fixtures: moto's stand-alone S3 server on loopback (one per session), a fresh bucket per test."""

from __future__ import annotations

import contextlib
import os
import signal
import socket
import subprocess
import sys
import time
import uuid
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

from pixpress.storage.s3 import S3Storage

STARTUP_TIMEOUT_S = 30.0
STOP_TIMEOUT_S = 10.0
REGION = "us-east-1"
# moto accepts any credentials; S3Storage must still be given some explicitly, like a deployment would.
CREDENTIALS = {"aws_access_key_id": "test-key", "aws_secret_access_key": "test-secret"}


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def _answers(port: int) -> bool:
    with contextlib.suppress(OSError), socket.create_connection(("127.0.0.1", port), timeout=0.5):
        return True
    return False


def _stop(process: subprocess.Popen[bytes]) -> None:
    if process.poll() is None:
        process.send_signal(signal.SIGTERM)
        with contextlib.suppress(subprocess.TimeoutExpired):
            process.wait(STOP_TIMEOUT_S)
    with contextlib.suppress(ProcessLookupError):  # the server's own children too (own session)
        os.killpg(process.pid, signal.SIGKILL)
    process.wait()


def _start_moto(log_path: Path) -> tuple[subprocess.Popen[bytes], str]:
    port = _free_port()
    with log_path.open("ab") as log:  # the child keeps its own handle
        process = subprocess.Popen(
            [sys.executable, "-m", "moto.server", "-H", "127.0.0.1", "-p", str(port)],
            stdout=log,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
    deadline = time.monotonic() + STARTUP_TIMEOUT_S
    while time.monotonic() < deadline:
        if process.poll() is not None:
            break
        if _answers(port):
            return process, f"http://127.0.0.1:{port}"
        time.sleep(0.1)
    _stop(process)
    raise RuntimeError(f"moto server did not start on port {port}:\n{log_path.read_text()[-4000:]}")


@pytest.fixture(scope="session")
def s3_endpoint(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """URL of moto's stand-alone S3 server (`python -m moto.server`) on a free loopback port."""
    log_path = tmp_path_factory.mktemp("moto") / "moto.log"
    for attempt in range(3):  # another process may grab the free port between bind and moto's start
        try:
            process, url = _start_moto(log_path)
            break
        except RuntimeError:
            if attempt == 2:
                raise
    try:
        yield url
    finally:
        _stop(process)


@pytest.fixture(scope="session")
def s3_client(s3_endpoint: str) -> Any:
    """A plain boto3 client on the moto server, to look at the bucket from outside S3Storage."""
    import boto3

    return boto3.session.Session(region_name=REGION, **CREDENTIALS).client("s3", endpoint_url=s3_endpoint)


@pytest.fixture
def s3_bucket(s3_client: Any) -> Iterator[str]:
    """A fresh, empty bucket per test, emptied and removed afterwards (moto keeps blobs in memory)."""
    name = f"pixpress-test-{uuid.uuid4().hex[:16]}"
    s3_client.create_bucket(Bucket=name)
    try:
        yield name
    finally:
        for page in s3_client.get_paginator("list_objects_v2").paginate(Bucket=name):
            for item in page.get("Contents", []):
                s3_client.delete_object(Bucket=name, Key=item["Key"])
        s3_client.delete_bucket(Bucket=name)


@pytest.fixture
def make_s3_storage(s3_endpoint: str, s3_bucket: str) -> Callable[..., S3Storage]:
    """S3Storage on the test bucket; keyword arguments override the defaults."""

    def make(**overrides: Any) -> S3Storage:
        values: dict[str, Any] = {
            "bucket": s3_bucket,
            "prefix": "pixpress",
            "endpoint_url": s3_endpoint,
            "region": REGION,
            "access_key_id": CREDENTIALS["aws_access_key_id"],
            "secret_access_key": CREDENTIALS["aws_secret_access_key"],
            **overrides,
        }
        return S3Storage(**values)

    return make
