from datetime import UTC, datetime, timedelta

from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy import DateTime, column, insert, inspect, table
from sqlalchemy.sql.expression import ColumnClause

from pixpress.db.migrate import upgrade
from pixpress.db.models import Base
from pixpress.db.session import Database, as_utc
from pixpress.quota.periods import PeriodRecords
from pixpress.quota.records import LicenceRecords


def test_migrations_create_every_table(database: Database) -> None:
    tables = set(inspect(database.engine).get_table_names())
    assert {"tasks", "licences", "usage_ledger", "locks", "rate_counters", "usage_statements"} <= tables


def test_sqlite_runs_in_wal_mode(database: Database) -> None:
    if not database.is_sqlite:
        return
    with database.engine.connect() as conn:
        assert conn.exec_driver_sql("PRAGMA journal_mode").scalar() == "wal"


LICENCE_0001 = ("token_hash", "token_prefix", "valid", "quota_bytes", "used_bytes", "source")
LEDGER_0001 = ("token_hash", "kind", "size_bytes")
MOMENTS = ("period_started_at", "created_at")


def test_migrations_match_the_models(database: Database) -> None:
    with database.engine.connect() as conn:
        differences = compare_metadata(MigrationContext.configure(conn), Base.metadata)
    assert differences == []


def test_0002_rebuilds_statements_of_past_resets_and_first_charges(database_url: str) -> None:
    """A deployment that reset by hand before statements existed gets one per closed period."""
    upgrade(database_url, "0001")
    database = Database(database_url)
    jan, feb = datetime(2026, 10, 1, tzinfo=UTC), datetime(2026, 11, 1, tzinfo=UTC)
    try:
        # The tables as 0001 made them (the models already have 0002's columns).
        licences = table("licences", *_columns(LICENCE_0001))
        ledger = table("usage_ledger", *_columns(LEDGER_0001))
        with database.session() as session:
            session.execute(
                insert(licences).values(
                    token_hash="a" * 64, token_prefix="aaaaaa", valid=True, quota_bytes=10**9, used_bytes=300,
                    source="default", period_started_at=feb, created_at=jan,
                )
            )  # fmt: skip
            for kind, size, period, day in [
                ("charge", 1000, jan, 3),
                ("charge", 2000, jan, 4),
                ("refund", -2000, jan, 5),
                ("reset", -1000, jan, 32),
                ("charge", 300, feb, 33),
            ]:
                session.execute(
                    insert(ledger).values(
                        token_hash="a" * 64, kind=kind, size_bytes=size, period_started_at=period,
                        created_at=jan + timedelta(days=day - 1),
                    )
                )  # fmt: skip
        upgrade(database_url)
        [statement] = PeriodRecords(database).statements("a" * 64)
        assert (statement.charged_bytes, statement.refunded_bytes, statement.uploads) == (3000, 2000, 2)
        assert as_utc(statement.period_ended_at) == feb and statement.closed_by == "admin"
        licence = LicenceRecords(database).get("a" * 64)
        assert licence is not None and as_utc(licence.first_used_at) == datetime(2026, 10, 3, tzinfo=UTC)
    finally:
        database.dispose()


def _columns(names: tuple[str, ...]) -> list[ColumnClause[object]]:
    return [column(name) for name in names] + [column(name, DateTime(timezone=True)) for name in MOMENTS]
