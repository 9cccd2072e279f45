"""Named leases: the holder of a name until it expires. Leader election for periodic jobs and
cross-process single-flight both use them."""

from __future__ import annotations

import os
import socket
import uuid
from datetime import timedelta
from typing import Any, Protocol

from sqlalchemy import delete, or_, update
from sqlalchemy.exc import IntegrityError

from pixpress.coordination.reachable import redis_reachable
from pixpress.db.models import Lock
from pixpress.db.session import Database, utcnow


def owner_id() -> str:
    return f"{socket.gethostname()[:30]}:{os.getpid()}:{uuid.uuid4().hex[:8]}"


class Leases(Protocol):
    def acquire(self, name: str, *, owner: str, ttl_s: float) -> bool:
        """Take or renew `name` for `owner`; False while someone else holds it."""
        ...

    def release(self, name: str, *, owner: str) -> None: ...


class DatabaseLeases:
    def __init__(self, database: Database) -> None:
        self.db = database

    def acquire(self, name: str, *, owner: str, ttl_s: float) -> bool:
        now = utcnow()
        expires = now + timedelta(seconds=ttl_s)
        with self.db.session() as session:
            taken = session.scalar(
                update(Lock)
                .where(Lock.name == name, or_(Lock.owner == owner, Lock.expires_at < now))
                .values(owner=owner, expires_at=expires)
                .returning(Lock.name)
            )
        if taken is not None:
            return True
        try:
            with self.db.session() as session:
                session.add(Lock(name=name, owner=owner, expires_at=expires))
        except IntegrityError:
            return False  # held by another owner
        return True

    def release(self, name: str, *, owner: str) -> None:
        with self.db.session() as session:
            session.execute(delete(Lock).where(Lock.name == name, Lock.owner == owner))


# Renew only if we still own it; delete only if we still own it (no clobbering a new holder).
_RENEW = """
if redis.call('get', KEYS[1]) == ARGV[1] then
  return redis.call('pexpire', KEYS[1], ARGV[2])
end
return redis.call('set', KEYS[1], ARGV[1], 'NX', 'PX', ARGV[2]) and 1 or 0
"""
_RELEASE = """
if redis.call('get', KEYS[1]) == ARGV[1] then return redis.call('del', KEYS[1]) end
return 0
"""


class RedisLeases:
    def __init__(self, client: Any, *, prefix: str) -> None:
        self.redis = client
        self.prefix = prefix
        self._renew = client.register_script(_RENEW)
        self._release = client.register_script(_RELEASE)

    def acquire(self, name: str, *, owner: str, ttl_s: float) -> bool:
        ttl_ms = max(1, int(ttl_s * 1000))
        with redis_reachable():
            return bool(self._renew(keys=[f"{self.prefix}:lease:{name}"], args=[owner, ttl_ms]))

    def release(self, name: str, *, owner: str) -> None:
        with redis_reachable():
            self._release(keys=[f"{self.prefix}:lease:{name}"], args=[owner])
