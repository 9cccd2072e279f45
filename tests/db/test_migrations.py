from sqlalchemy import inspect

from pixpress.db.session import Database


def test_migrations_create_every_table(database: Database) -> None:
    tables = set(inspect(database.engine).get_table_names())
    assert {"tasks", "licences", "usage_ledger", "locks", "rate_counters"} <= tables


def test_sqlite_runs_in_wal_mode(database: Database) -> None:
    if not database.is_sqlite:
        return
    with database.engine.connect() as conn:
        assert conn.exec_driver_sql("PRAGMA journal_mode").scalar() == "wal"
