"""Engine and sessions. SQLite gets WAL and a busy timeout so API and workers can write at once.

A database that cannot be reached (or stays locked past the busy timeout) is reported as the pixpress
error ServiceUnavailable(reason database_unavailable) by every unit of work: the layers above never see
SQLAlchemy's exceptions."""

from __future__ import annotations

import logging
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import Engine, create_engine, event
from sqlalchemy.exc import OperationalError
from sqlalchemy.orm import Session, sessionmaker

from pixpress.errors import backend_unavailable

SQLITE_BUSY_TIMEOUT_MS = 30_000
log = logging.getLogger("pixpress.db")


def utcnow() -> datetime:
    return datetime.now(UTC)


def as_utc(value: datetime | None) -> datetime | None:
    """SQLite hands back naive datetimes; everything pixpress stores is UTC."""
    if value is None:
        return None
    return value if value.tzinfo else value.replace(tzinfo=UTC)


def iso(value: datetime | None) -> str | None:
    """An instant as the API shows it: ISO 8601 in UTC with a Z (naive values are UTC, see as_utc)."""
    moment = as_utc(value)
    return moment.isoformat().replace("+00:00", "Z") if moment else None


def make_engine(url: str, **kwargs: Any) -> Engine:
    if url.startswith("sqlite"):
        engine = create_engine(
            url,
            connect_args={"check_same_thread": False, "timeout": SQLITE_BUSY_TIMEOUT_MS / 1000},
            pool_size=20,
            max_overflow=20,
            **kwargs,
        )
        event.listen(engine, "connect", _sqlite_pragmas)
        event.listen(engine, "begin", _sqlite_begin)
        return engine
    return create_engine(url, pool_pre_ping=True, pool_size=10, max_overflow=20, **kwargs)


def _sqlite_begin(conn: Any) -> None:
    # A write unit of work takes the write lock at BEGIN: a deferred transaction that reads and
    # then writes fails with "database is locked" instead of waiting on the busy timeout.
    immediate = conn.get_execution_options().get("pixpress_write", False)
    conn.exec_driver_sql("BEGIN IMMEDIATE" if immediate else "BEGIN")


def _sqlite_pragmas(dbapi_connection: Any, _record: Any) -> None:
    # pysqlite's own transaction handling would BEGIN lazily; we issue BEGIN ourselves.
    dbapi_connection.isolation_level = None
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute(f"PRAGMA busy_timeout={SQLITE_BUSY_TIMEOUT_MS}")
    cursor.execute("PRAGMA synchronous=NORMAL")
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.close()


class Database:
    """One engine and its session factory, shared by the API process or a worker."""

    def __init__(self, url: str) -> None:
        self.url = url
        self.engine = make_engine(url)
        self._sessions = sessionmaker(self.engine, expire_on_commit=False)
        self._write_sessions = sessionmaker(
            self.engine.execution_options(pixpress_write=True), expire_on_commit=False
        )

    @property
    def is_sqlite(self) -> bool:
        return self.url.startswith("sqlite")

    @contextmanager
    def session(self, *, write: bool = False) -> Iterator[Session]:
        """A unit of work: commits on success, rolls back on error.

        Pass write=True when the unit reads and then writes (SQLite then locks at BEGIN).
        """
        factory = self._write_sessions if write else self._sessions
        with reachable(), factory() as session, session.begin():
            yield session

    @contextmanager
    def join(self, session: Session | None, *, write: bool = False) -> Iterator[Session]:
        """The caller's unit of work when it passes one (it commits), else a unit of work of our own."""
        if session is not None:
            yield session
            return
        with self.session(write=write) as own:
            yield own

    def ping(self) -> None:
        """Raises the driver's own error when unreachable: /ready names its class to an admin."""
        with self.engine.connect() as conn:
            conn.exec_driver_sql("SELECT 1")

    def dispose(self) -> None:
        self.engine.dispose()


@contextmanager
def reachable() -> Iterator[None]:
    """OperationalError (connection refused or lost, server gone, SQLite locked past its busy timeout)
    becomes ServiceUnavailable(reason database_unavailable); errors about the statement itself (a
    constraint, a bad query) pass through unchanged."""
    try:
        yield
    except OperationalError as exc:
        log.error("database unreachable: %r", exc)
        raise backend_unavailable("database_unavailable") from exc
