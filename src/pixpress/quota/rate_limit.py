"""Failed token checks per client address, in fixed one-minute windows (database or Redis)."""

from __future__ import annotations

import time
from typing import Any, Protocol

from sqlalchemy import delete, update
from sqlalchemy.exc import IntegrityError

from pixpress.coordination.reachable import redis_reachable
from pixpress.db.models import RateCounter
from pixpress.db.session import Database

WINDOW_S = 60


class FailureCounter(Protocol):
    def count(self, key: str) -> int: ...

    def add(self, key: str) -> int: ...


class DatabaseFailureCounter:
    def __init__(self, database: Database) -> None:
        self.db = database

    def count(self, key: str) -> int:
        window = _window()
        with self.db.session() as session:
            row = session.get(RateCounter, key)
            return row.count if row is not None and row.window_start == window else 0

    def add(self, key: str) -> int:
        window = _window()
        for _ in range(3):
            with self.db.session() as session:
                count = session.scalar(
                    update(RateCounter)
                    .where(RateCounter.key == key, RateCounter.window_start == window)
                    .values(count=RateCounter.count + 1)
                    .returning(RateCounter.count)
                )
                if count is not None:
                    return int(count)
                session.execute(delete(RateCounter).where(RateCounter.key == key))
            try:
                with self.db.session() as session:
                    session.add(RateCounter(key=key, window_start=window, count=1))
                return 1
            except IntegrityError:
                continue
        return self.count(key)


class RedisFailureCounter:
    def __init__(self, client: Any, *, prefix: str) -> None:
        self.redis = client
        self.prefix = prefix

    def _key(self, key: str) -> str:
        return f"{self.prefix}:failed:{key}:{int(_window())}"

    def count(self, key: str) -> int:
        with redis_reachable():
            return int(self.redis.get(self._key(key)) or 0)

    def add(self, key: str) -> int:
        pipe = self.redis.pipeline()
        redis_key = self._key(key)
        pipe.incr(redis_key)
        pipe.expire(redis_key, WINDOW_S * 2)
        with redis_reachable():
            return int(pipe.execute()[0])


def _now() -> float:
    """The clock of the windows (tests pin it inside one minute)."""
    return time.time()


def _window() -> float:
    return float(int(_now() // WINDOW_S) * WINDOW_S)


def retry_after_s() -> int:
    return max(1, int(_window() + WINDOW_S - _now()) + 1)
