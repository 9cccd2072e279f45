"""What several processes of one deployment must agree on: who runs a periodic job, shared locks.

In the database (table `locks`) on one machine; in Redis when PIXPRESS_REDIS_URL is set.
"""

from pixpress.coordination.leases import DatabaseLeases, Leases, RedisLeases

__all__ = ["DatabaseLeases", "Leases", "RedisLeases"]
