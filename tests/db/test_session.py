"""The database adapter reports a database it cannot reach as a pixpress error, nothing else."""

from __future__ import annotations

import pytest
from sqlalchemy import text
from sqlalchemy.exc import IntegrityError, OperationalError

from pixpress.db.models import Lock
from pixpress.db.session import Database, utcnow
from pixpress.errors import ServiceUnavailable

UNREACHABLE = "postgresql+psycopg://postgres@127.0.0.1:1/nothing?connect_timeout=2"


def test_an_unreachable_database_is_service_unavailable() -> None:
    database = Database(UNREACHABLE)
    try:
        with pytest.raises(ServiceUnavailable) as refused, database.session() as session:
            session.execute(text("SELECT 1"))  # a session connects at its first statement
        assert refused.value.details == {"reason": "database_unavailable"}
        assert refused.value.headers == {"Retry-After": "5"}
        with pytest.raises(OperationalError):  # /ready names the driver's error to an admin
            database.ping()
    finally:
        database.dispose()


def test_errors_about_the_statement_pass_through(database: Database) -> None:
    with database.session() as session:
        session.add(Lock(name="job", owner="a", expires_at=utcnow()))
    with pytest.raises(IntegrityError), database.session() as session:
        session.add(Lock(name="job", owner="b", expires_at=utcnow()))
