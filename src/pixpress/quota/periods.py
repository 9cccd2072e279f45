"""Closing usage periods: the reset entry in the ledger, the period's statement and the licence row's new
period, in one transaction; and reading the statements back. The only SQL about periods."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import and_, case, func, insert, select, update
from sqlalchemy.orm import Session

from pixpress.db.models import Licence, UsageEntry, UsageStatement
from pixpress.db.session import Database, as_utc
from pixpress.quota.records import ledger_entry


@dataclass(frozen=True)
class Closed:
    old_used_bytes: int  # what the licence row said, as the ledger's reset entry records it
    statement: UsageStatement
    licence: Licence  # after the close: usage 0, a new period


@dataclass(frozen=True)
class OpenPeriod:
    token_hash: str
    period_started_at: datetime
    first_used_at: datetime | None


class PeriodRecords:
    def __init__(self, database: Database) -> None:
        self.db = database

    def close(
        self, token_hashes: Sequence[str], *, now: datetime, closed_by: str, due_at: datetime | None = None
    ) -> list[Closed]:
        """Close these tokens' current periods at `now`: usage back to 0, the old figure in the ledger and
        each period's statement written with it, in one transaction. With `due_at` (a scheduled reset) only
        periods that started before it are closed, so a job run twice, or by two processes at once, closes
        each once. Unknown tokens and periods not due are left out of the answer."""
        due = [Licence.period_started_at < due_at] if due_at is not None else []
        with self.db.session(write=True) as session:
            # Locked, in one order (two runs cannot deadlock): a charge committing meanwhile is counted in
            # the old figure, not lost between read and write.
            opened = {
                token_hash: (used, started)
                for token_hash, used, started in session.execute(
                    select(Licence.token_hash, Licence.used_bytes, Licence.period_started_at)
                    .where(Licence.token_hash.in_(token_hashes), *due)
                    .order_by(Licence.token_hash)
                    .with_for_update()
                )
            }
            if not opened:
                return []
            totals = self._totals(session, list(opened))
            fresh = session.scalars(
                update(Licence)
                .where(Licence.token_hash.in_(list(opened)), *due)
                .values(used_bytes=0, period_started_at=now)
                .returning(Licence),
                execution_options={"synchronize_session": False},
            ).all()
            note = f"scheduled reset due {due_at.isoformat()}" if due_at is not None else None
            closed, entries = [], []
            for licence in fresh:
                old, started = opened[licence.token_hash]
                charged, refunded, uploads = totals.get(licence.token_hash, (0, 0, 0))
                statement = UsageStatement(
                    token_hash=licence.token_hash,
                    period_started_at=started,
                    period_ended_at=now,
                    charged_bytes=charged,
                    refunded_bytes=refunded,
                    uploads=uploads,
                    closed_by=closed_by,
                    due_at=due_at,
                )
                entries.append(ledger_entry(licence.token_hash, None, "reset", -old, started, now, note))
                closed.append(Closed(old_used_bytes=old, statement=statement, licence=licence))
            # Bulk inserts: a flush of objects one by one took half the time of a batch.
            session.execute(insert(UsageEntry), [_row(entry) for entry in entries])
            session.execute(insert(UsageStatement), [_row(c.statement) for c in closed])
        return closed

    def open_periods(self, *, started_before: datetime | None = None) -> list[OpenPeriod]:
        """Every licence's open period (only those started before `started_before` when given)."""
        query = select(Licence.token_hash, Licence.period_started_at, Licence.first_used_at)
        if started_before is not None:
            query = query.where(Licence.period_started_at < started_before)
        with self.db.session() as session:
            rows = session.execute(query.order_by(Licence.token_hash)).all()
        return [OpenPeriod(token_hash, _utc(started), as_utc(first)) for token_hash, started, first in rows]

    def statements(self, token_hash: str) -> list[UsageStatement]:
        """A token's statements, newest period first."""
        with self.db.session() as session:
            return list(
                session.scalars(
                    select(UsageStatement)
                    .where(UsageStatement.token_hash == token_hash)
                    .order_by(UsageStatement.period_started_at.desc())
                )
            )

    @staticmethod
    def _totals(session: Session, token_hashes: list[str]) -> dict[str, tuple[int, int, int]]:
        """Charged bytes, refunded bytes and uploads of each token's open period, from its ledger rows (a
        late refund of a closed period's charge is a 0-byte note of that period: it changes nothing here)."""
        charge = UsageEntry.kind == "charge"
        rows = session.execute(
            select(
                UsageEntry.token_hash,
                func.sum(case((charge, UsageEntry.size_bytes), else_=0)),
                func.sum(case((UsageEntry.kind == "refund", -UsageEntry.size_bytes), else_=0)),
                func.sum(case((charge, 1), else_=0)),
            )
            .join(
                Licence,
                and_(
                    Licence.token_hash == UsageEntry.token_hash,
                    Licence.period_started_at == UsageEntry.period_started_at,
                ),
            )
            .where(Licence.token_hash.in_(token_hashes))
            .group_by(UsageEntry.token_hash)
        ).all()
        return {row[0]: (int(row[1]), int(row[2]), int(row[3])) for row in rows}


def _row(row: UsageEntry | UsageStatement) -> dict[str, Any]:
    """A new row's columns, for a bulk insert (the id is the database's)."""
    return {column.key: getattr(row, column.key) for column in row.__table__.columns if column.key != "id"}


def _utc(moment: datetime) -> datetime:
    aware = as_utc(moment)
    assert aware is not None
    return aware
