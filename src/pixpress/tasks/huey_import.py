"""huey, imported without the PostgreSQL driver it would load for nothing.

huey's storage module imports psycopg whenever it is installed, for a PostgreSQL queue pixpress never
uses (its queue is SQLite or Redis). psycopg, with the libpq and OpenSSL it bundles, cost every process
that imports huey about 10 MB: the API and the worker consumer. It is hidden from that one import;
pixpress's own database code still imports it when PostgreSQL is configured (or already has).
"""

from __future__ import annotations

import sys

_NOT_FOR_HUEY = "psycopg"
_hidden = _NOT_FOR_HUEY not in sys.modules
if _hidden:
    sys.modules[_NOT_FOR_HUEY] = None  # type: ignore[assignment]  # an import of it fails: huey skips it
try:
    from huey import Huey, PriorityRedisHuey, SqliteHuey
    from huey.consumer import Consumer
finally:
    if _hidden:
        del sys.modules[_NOT_FOR_HUEY]

__all__ = ["Consumer", "Huey", "PriorityRedisHuey", "SqliteHuey"]
