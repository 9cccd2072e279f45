"""Scale-out end to end: 2 API processes and 2 worker processes on PostgreSQL + Redis + S3 (moto)."""

from __future__ import annotations

import contextlib
import os
import signal
import subprocess
import sys
import time
import uuid
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path

import boto3
import httpx
import pytest
import redis

from tests import needs
from tests.conftest import POSTGRES_URL, REDIS_URL, _postgres_schema_url, corpus_files
from tests.e2e.server import ServerProcess, free_port, moto_server
from tests.e2e.test_quota_http import exact_size_png

pytestmark = [pytest.mark.slow, pytest.mark.postgres, pytest.mark.redis]
MB = 1024 * 1024
TOKENS_TOML = """
[tokens."big-site"]
quota_mb = 100000
subscription_type = "premium"

[tokens."small-site"]
quota_mb = 50
subscription_type = "basic"
"""


@dataclass
class Cluster:
    apis: list[ServerProcess]
    workers: list[ServerProcess]
    env: dict[str, str]


def _start_worker(tmp: Path, env: dict[str, str], index: int) -> ServerProcess:
    worker = ServerProcess(
        ["worker", "--concurrency", "1"], env=env, log_path=tmp / f"worker-{index}.log", port=0
    )
    with worker.log_path.open("ab") as log:
        worker.process = subprocess.Popen(
            [sys.executable, "-m", "pixpress", *worker.args],
            env={**os.environ, **env},
            stdout=log,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
    return worker


@pytest.fixture
def cluster(tmp_path: Path) -> Iterator[Cluster]:
    if not POSTGRES_URL:
        needs.missing(needs.POSTGRESQL, "PIXPRESS_TEST_DATABASE_URL is not set")
    if not REDIS_URL:
        needs.missing(needs.REDIS, "PIXPRESS_TEST_REDIS_URL is not set")
    s3 = moto_server(tmp_path)
    schema_urls = _postgres_schema_url(POSTGRES_URL)
    database_url = next(schema_urls)
    bucket = "pixpress-test"
    boto3.client(
        "s3", endpoint_url=s3.url, region_name="us-east-1", aws_access_key_id="x", aws_secret_access_key="x"
    ).create_bucket(Bucket=bucket)
    queue_name = f"pixpress-{uuid.uuid4().hex[:8]}"
    tokens = tmp_path / "tokens.toml"
    tokens.write_text(TOKENS_TOML)
    env = {
        "PIXPRESS_ENVIRONMENT": "test",
        "PIXPRESS_DATA_DIR": str(tmp_path / "data"),
        "PIXPRESS_DATABASE_URL": database_url,
        "PIXPRESS_REDIS_URL": REDIS_URL,
        "PIXPRESS_QUEUE_NAME": queue_name,
        "PIXPRESS_STORAGE_URL": f"s3://{bucket}/results",
        "PIXPRESS_S3_ENDPOINT_URL": s3.url,
        "PIXPRESS_S3_ACCESS_KEY_ID": "x",
        "PIXPRESS_S3_SECRET_ACCESS_KEY": "x",
        "PIXPRESS_ADMIN_TOKENS": "admin-secret-token-0123",
        "PIXPRESS_TOKENS_FILE": str(tokens),
        "PIXPRESS_TASK_LEASE_S": "5",
        "PIXPRESS_LEASE_CHECK_INTERVAL_S": "1",
        "PIXPRESS_MAX_PENDING_PER_TOKEN": "1000",
    }
    subprocess.run(
        [sys.executable, "-m", "pixpress", "migrate"],
        env={**os.environ, **env},
        check=True,
        capture_output=True,
    )
    apis: list[ServerProcess] = []
    workers: list[ServerProcess] = []
    try:
        for _ in range(2):
            port = free_port()
            apis.append(
                ServerProcess(
                    ["serve", "--no-worker", "--port", str(port)],
                    env=env,
                    log_path=tmp_path / f"api-{port}.log",
                    port=port,
                ).start()
            )
        workers = [_start_worker(tmp_path, env, i) for i in range(2)]
        yield Cluster(apis=apis, workers=workers, env=env)
    finally:
        for process in [*apis, *workers]:
            process.stop(signal.SIGINT)
        s3.stop()
        redis.Redis.from_url(REDIS_URL).delete(
            *redis.Redis.from_url(REDIS_URL).keys(f"*{queue_name}*") or ["-"]
        )
        with contextlib.suppress(StopIteration):
            next(schema_urls)


def test_two_apis_two_workers_one_killed(cluster: Cluster) -> None:
    images = [p.read_bytes() for p in corpus_files("photo") + corpus_files("graphic")]
    uploads = [(i, images[i % len(images)]) for i in range(200)]
    token = {"X-Token": "big-site"}

    def send(item: tuple[int, bytes]) -> str:
        index, data = item
        api = cluster.apis[index % 2]
        answer = httpx.post(
            f"{api.url}/api/optimize/submit",
            headers={**token, "Idempotency-Key": f"upload-{index}"},
            files={"file": (f"{index}.png", data)},
            data={"max_width": str(600 + index)},  # each its own task: not a free re-upload of another
            timeout=120,
        )
        assert answer.status_code == 200, answer.text
        return str(answer.json()["data"]["task_id"])

    with ThreadPoolExecutor(max_workers=8) as pool:
        task_ids = list(pool.map(send, uploads[:100]))
        victim = cluster.workers[0]
        for pid in [victim.process.pid, *victim.descendants()]:  # type: ignore[union-attr]
            os.kill(pid, signal.SIGKILL)
        task_ids += list(pool.map(send, uploads[100:]))
    assert len(set(task_ids)) == 200

    deadline = time.monotonic() + 600
    pending = set(task_ids)
    while pending and time.monotonic() < deadline:
        for task_id in list(pending):
            status = httpx.get(f"{cluster.apis[0].url}/api/optimize/status/{task_id}", headers=token).json()[
                "data"
            ]
            if status["status"] in ("done", "failed"):
                assert status["status"] == "done", status
                pending.discard(task_id)
        time.sleep(0.5)
    assert not pending, f"{len(pending)} tasks never finished"
    for task_id in task_ids[::10]:
        download = httpx.get(f"{cluster.apis[1].url}/api/optimize/download/{task_id}", headers=token)
        assert download.status_code == 200 and download.content
    quota = httpx.get(f"{cluster.apis[1].url}/api/optimize/quota", headers=token).json()["data"]
    assert quota["used_mb"] == round(sum(len(d) for _, d in uploads) / MB, 2)


def test_concurrent_submits_across_two_apis_respect_the_quota(cluster: Cluster) -> None:
    token = {"X-Token": "small-site"}

    def send(i: int) -> int:
        return httpx.post(
            f"{cluster.apis[i % 2].url}/api/optimize/submit",
            headers=token,
            files={"file": (f"{i}.png", exact_size_png(MB, variant=i))},
            timeout=120,
        ).status_code

    with ThreadPoolExecutor(max_workers=24) as pool:
        codes = list(pool.map(send, range(200)))
    assert codes.count(200) == 50, codes
    assert codes.count(429) == 150
    quota = httpx.get(f"{cluster.apis[0].url}/api/optimize/quota", headers=token).json()["data"]
    assert quota["used_mb"] == 50.0
