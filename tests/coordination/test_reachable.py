"""The Redis adapters (leases, failed-check counters, the queue) report a Redis they cannot reach as a
pixpress error with its reason."""

from __future__ import annotations

from collections.abc import Callable

import pytest
import redis

from pixpress.config import Settings
from pixpress.coordination.leases import RedisLeases
from pixpress.errors import ServiceUnavailable
from pixpress.quota.rate_limit import RedisFailureCounter
from pixpress.tasks.queue import TaskQueue, make_huey

UNREACHABLE = "redis://127.0.0.1:1/0"


def refused_reason(call: Callable[[], object]) -> str:
    with pytest.raises(ServiceUnavailable) as refused:
        call()
    assert refused.value.headers == {"Retry-After": "5"}
    return str(refused.value.details["reason"])


def test_leases_and_counters_on_an_unreachable_redis() -> None:
    client = redis.Redis.from_url(UNREACHABLE, socket_connect_timeout=1)
    leases = RedisLeases(client, prefix="test")
    counter = RedisFailureCounter(client, prefix="test")
    assert refused_reason(lambda: leases.acquire("job", owner="me", ttl_s=1)) == "redis_unavailable"
    assert refused_reason(lambda: leases.release("job", owner="me")) == "redis_unavailable"
    assert refused_reason(lambda: counter.count("10.0.0.1")) == "redis_unavailable"
    assert refused_reason(lambda: counter.add("10.0.0.1")) == "redis_unavailable"


def test_the_queue_on_an_unreachable_redis(settings: Settings) -> None:
    queue = TaskQueue(make_huey(settings.model_copy(update={"redis_url": UNREACHABLE})))
    assert refused_reason(lambda: queue.enqueue("task-id")) == "queue_unavailable"
    assert refused_reason(queue.pending) == "queue_unavailable"
    with pytest.raises(redis.exceptions.ConnectionError):  # /ready names the client's error to an admin
        queue.ping()
