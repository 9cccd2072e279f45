"""A `pixpress serve` on a Redis queue that goes away: uploads are refused with 503 and not charged,
and work again once Redis is back."""

from __future__ import annotations

import shutil
import subprocess
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from tests import needs
from tests.e2e.server import ServerProcess, free_port, serve
from tests.e2e.test_quota_http import exact_size_png

pytestmark = pytest.mark.slow
TOKEN = {"X-Token": "site-token-queue-down"}
MB = 1024 * 1024


class RedisServer:
    """A throwaway redis-server of our own on loopback, so that stopping it harms no other test."""

    def __init__(self, tmp_path: Path) -> None:
        self.port = free_port()
        self.tmp_path = tmp_path
        self.process: subprocess.Popen[bytes] | None = None

    @property
    def url(self) -> str:
        return f"redis://127.0.0.1:{self.port}/0"

    def start(self) -> None:
        self.process = subprocess.Popen(
            [
                "redis-server",
                "--port",
                str(self.port),
                "--bind",
                "127.0.0.1",
                "--save",
                "",
                "--appendonly",
                "no",
            ],
            cwd=self.tmp_path,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        deadline = time.monotonic() + 10
        while time.monotonic() < deadline:
            probe = subprocess.run(
                ["redis-cli", "-p", str(self.port), "ping"], capture_output=True, text=True, check=False
            )
            if probe.stdout.strip() == "PONG":
                return
            time.sleep(0.1)
        raise RuntimeError("redis-server did not start")

    def stop(self) -> None:
        if self.process is not None and self.process.poll() is None:
            self.process.kill()
            self.process.wait(10)


@pytest.fixture(scope="module")
def stack(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[ServerProcess, RedisServer]]:
    if not (shutil.which("redis-server") and shutil.which("redis-cli")):
        needs.missing(needs.REDIS, "redis-server is not installed")
    tmp = tmp_path_factory.mktemp("queue-down")
    redis = RedisServer(tmp)
    redis.start()
    api = None
    try:
        api = serve(tmp, env={"PIXPRESS_REDIS_URL": redis.url})
        yield api, redis
    finally:
        if api is not None:
            api.stop()
        redis.stop()


def used_mb(api: ServerProcess) -> float:
    answer = httpx.get(f"{api.url}/api/optimize/quota", headers=TOKEN, timeout=10)
    answer.raise_for_status()
    return float(answer.json()["data"]["used_mb"])


def submit(api: ServerProcess, data: bytes) -> httpx.Response:
    files = {"file": ("one-mb.png", data, "image/png")}
    return httpx.post(f"{api.url}/api/optimize/submit", headers=TOKEN, files=files, timeout=30)


def test_uploads_are_refused_uncharged_while_the_queue_is_down(
    stack: tuple[ServerProcess, RedisServer],
) -> None:
    api, redis = stack
    upload = exact_size_png(MB)
    assert submit(api, upload).status_code == 200
    before = used_mb(api)

    redis.stop()
    refused = [submit(api, exact_size_png(MB, variant=i)) for i in range(1, 4)]
    for answer in refused:
        assert answer.status_code == 503, answer.text
        assert answer.json()["error"]["code"] == "service_unavailable"
        assert answer.json()["error"]["reason"] in {"redis_unavailable", "queue_unavailable"}
        assert answer.headers["retry-after"] == "5"

    redis.start()  # same port, empty: what was queued before is the sweeper's business, not this test's
    assert used_mb(api) == before  # three refused retries, none charged
    assert submit(api, exact_size_png(MB, variant=4)).status_code == 200
    assert used_mb(api) == before + 1
