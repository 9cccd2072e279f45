from __future__ import annotations

import time
import uuid
from collections.abc import Iterator

import pytest
import redis

from pixpress.coordination.leader import LeaderJob
from pixpress.coordination.leases import DatabaseLeases, Leases, RedisLeases
from pixpress.db.session import Database


@pytest.fixture(params=["database", pytest.param("redis", marks=pytest.mark.redis)])
def leases(request: pytest.FixtureRequest, database: Database) -> Iterator[Leases]:
    if request.param == "database":
        yield DatabaseLeases(database)
        return
    client = redis.Redis.from_url(request.getfixturevalue("redis_url"))
    prefix = f"test-{uuid.uuid4().hex[:8]}"
    yield RedisLeases(client, prefix=prefix)
    for key in client.scan_iter(f"{prefix}:*"):
        client.delete(key)
    client.close()


def test_one_holder_at_a_time_and_hand_over_on_expiry(leases: Leases) -> None:
    assert leases.acquire("job", owner="a", ttl_s=0.5)
    assert not leases.acquire("job", owner="b", ttl_s=0.5)
    assert leases.acquire("job", owner="a", ttl_s=0.5)  # renewal
    time.sleep(1.1)
    assert leases.acquire("job", owner="b", ttl_s=5)
    assert not leases.acquire("job", owner="a", ttl_s=5)


def test_release_only_by_the_holder(leases: Leases) -> None:
    assert leases.acquire("job", owner="a", ttl_s=5)
    leases.release("job", owner="b")
    assert not leases.acquire("job", owner="b", ttl_s=5)
    leases.release("job", owner="a")
    assert leases.acquire("job", owner="b", ttl_s=5)


def test_leader_job_runs_in_one_process_only(leases: Leases) -> None:
    runs: list[str] = []
    jobs = [
        LeaderJob(leases=leases, name="cleanup", owner=name, ttl_s=5, run=lambda n=name: runs.append(n) or 1)
        for name in ("a", "b", "c")
    ]
    for _ in range(3):
        for job in jobs:
            job()
    assert runs == ["a", "a", "a"]
