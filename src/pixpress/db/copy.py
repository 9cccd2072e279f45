"""Copy every pixpress row from one database to another (SQLite to PostgreSQL, when a one-machine
install moves to the scaled-out topology). Both must be at the same migration; the target must hold
no pixpress rows yet, so nothing is overwritten or mixed."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from sqlalchemy import Engine, Integer, func, select, text

from pixpress.db.models import Base
from pixpress.db.session import make_engine

BATCH_ROWS = 1000


class TargetNotEmpty(RuntimeError):
    """The target database already holds pixpress rows."""


def copy_rows(*, source_url: str, target_url: str) -> dict[str, int]:
    """Rows copied per table, in foreign-key order, in one transaction on the target."""
    source, target = make_engine(source_url), make_engine(target_url)
    try:
        with target.begin() as out:
            filled = [
                t.name for t in Base.metadata.sorted_tables if out.scalar(select(func.count()).select_from(t))
            ]
            if filled:
                raise TargetNotEmpty(f"the target database already has rows in {', '.join(filled)}")
            copied = {}
            with source.connect() as into:
                for table in Base.metadata.sorted_tables:
                    copied[table.name] = 0
                    rows = into.execute(select(table)).mappings()
                    while batch := rows.fetchmany(BATCH_ROWS):
                        out.execute(table.insert(), [_utc(dict(row)) for row in batch])
                        copied[table.name] += len(batch)
            _advance_sequences(target, out)
        return copied
    finally:
        source.dispose()
        target.dispose()


def _utc(row: dict[str, Any]) -> dict[str, Any]:
    """SQLite hands back naive datetimes; every one pixpress stored is UTC (db/session.py as_utc)."""
    return {
        k: v.replace(tzinfo=UTC) if isinstance(v, datetime) and v.tzinfo is None else v
        for k, v in row.items()
    }


def _advance_sequences(target: Engine, out: Any) -> None:
    """PostgreSQL's serial ids continue after the copied ones (SQLite needs nothing)."""
    if target.dialect.name != "postgresql":
        return
    for table in Base.metadata.sorted_tables:
        for column in table.primary_key.columns:
            if isinstance(column.type, Integer) and column.autoincrement in (True, "auto"):
                out.execute(
                    text(
                        f"SELECT setval(pg_get_serial_sequence('{table.name}', '{column.name}'), "
                        f"coalesce(max({column.name}), 1), max({column.name}) IS NOT NULL) FROM {table.name}"
                    )
                )
