"""db/copy.py: every row of one database copied into another, into an empty target only."""

from __future__ import annotations

from pathlib import Path

import pytest
from sqlalchemy import create_engine, func, select

from pixpress.db.copy import TargetNotEmpty, copy_rows
from pixpress.db.migrate import upgrade
from pixpress.db.models import Base, UsageEntry
from pixpress.db.session import utcnow
from tests import needs
from tests.conftest import POSTGRES_URL, _postgres_schema_url


def filled_sqlite(tmp_path: Path) -> str:
    url = f"sqlite:///{tmp_path / 'source.db'}"
    upgrade(url)
    engine = create_engine(url)
    now = utcnow()
    with engine.begin() as connection:
        connection.execute(
            UsageEntry.__table__.insert(),
            [
                {"token_hash": "a" * 64, "task_id": None, "kind": "charge", "size_bytes": 10 + i,
                 "period_started_at": now, "created_at": now}
                for i in range(3)
            ],
        )  # fmt: skip
    engine.dispose()
    return url


def count(url: str) -> int:
    engine = create_engine(url)
    with engine.connect() as connection:
        value = int(connection.scalar(select(func.count()).select_from(UsageEntry.__table__)) or 0)
    engine.dispose()
    return value


def test_rows_copied_once_and_never_into_a_filled_target(tmp_path: Path) -> None:
    source = filled_sqlite(tmp_path)
    target = f"sqlite:///{tmp_path / 'target.db'}"
    upgrade(target)
    copied = copy_rows(source_url=source, target_url=target)
    assert copied["usage_ledger"] == 3 and set(copied) == {t.name for t in Base.metadata.sorted_tables}
    assert count(target) == 3
    with pytest.raises(TargetNotEmpty, match="usage_ledger"):
        copy_rows(source_url=source, target_url=target)
    assert count(target) == 3


def test_postgresql_ids_continue_after_the_copied_ones(tmp_path: Path) -> None:
    if not POSTGRES_URL:
        needs.missing(needs.POSTGRESQL, "PIXPRESS_TEST_DATABASE_URL is not set")
    schemas = _postgres_schema_url(POSTGRES_URL)
    target = next(schemas)
    try:
        upgrade(target)
        copy_rows(source_url=filled_sqlite(tmp_path), target_url=target)
        engine = create_engine(target)
        now = utcnow()
        with engine.begin() as connection:  # a new ledger row gets a fresh id, not 1 again
            connection.execute(
                UsageEntry.__table__.insert(),
                {
                    "token_hash": "b" * 64,
                    "kind": "charge",
                    "size_bytes": 1,
                    "period_started_at": now,
                    "created_at": now,
                },
            )
        engine.dispose()
        assert count(target) == 4
    finally:
        next(schemas, None)
