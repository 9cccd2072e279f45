"""Redis that cannot be reached, reported as a pixpress error by the adapters that talk to it (leases,
failed-check counters, the queue): nothing above them knows redis-py's exception classes."""

from __future__ import annotations

import logging
from collections.abc import Iterator
from contextlib import contextmanager

from redis.exceptions import ConnectionError as RedisConnectionError
from redis.exceptions import TimeoutError as RedisTimeoutError

from pixpress.errors import backend_unavailable

log = logging.getLogger("pixpress.redis")


@contextmanager
def redis_reachable(reason: str = "redis_unavailable") -> Iterator[None]:
    """Connection refused, reset or timed out: ServiceUnavailable with `reason` (the client may retry).
    Other Redis errors (a script error, a wrong type) are bugs and pass through unchanged."""
    try:
        yield
    except (RedisConnectionError, RedisTimeoutError) as exc:
        log.error("redis unreachable (%s): %r", reason, exc)
        raise backend_unavailable(reason) from exc
