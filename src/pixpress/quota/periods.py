"""Closing usage periods: the reset entry in the ledger, the period's statement and the licence row's new
period, in one transaction; and reading the statements back. The only SQL about periods."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import case, func, select, update
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
        self, token_hash: str, *, now: datetime, closed_by: str, due_at: datetime | None = None
    ) -> Closed | None:
        """Close the token's current period at `now`: usage back to 0, the old figure in the ledger and
        the period's statement written with it. With `due_at` (a scheduled reset) only a period that
        started before it is closed, so a job run twice, or by two processes at once, closes it once.
        None when the token is unknown or its period is not due."""
        with self.db.session(write=True) as session:
            # Locked: a charge committing meanwhile is counted in `old`, not lost between read and write.
            licence = session.get(Licence, token_hash, with_for_update=True)
            if licence is None:
                return None
            old, started = licence.used_bytes, licence.period_started_at
            closing = update(Licence).where(
                Licence.token_hash == token_hash, Licence.period_started_at == started
            )
            if due_at is not None:
                closing = closing.where(Licence.period_started_at < due_at)
            closed = session.scalar(
                closing.values(used_bytes=0, period_started_at=now)
                .returning(Licence.token_hash)
                .execution_options(synchronize_session=False)
            )
            if closed is None:
                return None  # closed already, by another run or process
            note = f"scheduled reset due {due_at.isoformat()}" if due_at is not None else None
            session.add(ledger_entry(token_hash, None, "reset", -old, started, now, note))
            statement = self._statement(session, token_hash, started, now, closed_by, due_at)
            session.add(statement)
        with self.db.session() as session:
            fresh = session.get(Licence, token_hash)
        assert fresh is not None
        return Closed(old_used_bytes=old, statement=statement, licence=fresh)

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
    def _statement(
        session: Session,
        token_hash: str,
        started: datetime,
        now: datetime,
        closed_by: str,
        due_at: datetime | None,
    ) -> UsageStatement:
        """The period's figures from its ledger rows (a late refund of a closed period's charge is a
        0-byte note of that period: it changes nothing here either)."""
        charge = UsageEntry.kind == "charge"
        charged, refunded, uploads = session.execute(
            select(
                func.coalesce(func.sum(case((charge, UsageEntry.size_bytes), else_=0)), 0),
                func.coalesce(
                    func.sum(case((UsageEntry.kind == "refund", -UsageEntry.size_bytes), else_=0)), 0
                ),
                func.coalesce(func.sum(case((charge, 1), else_=0)), 0),
            ).where(UsageEntry.token_hash == token_hash, UsageEntry.period_started_at == started)
        ).one()
        return UsageStatement(
            token_hash=token_hash,
            period_started_at=started,
            period_ended_at=now,
            charged_bytes=int(charged),
            refunded_bytes=int(refunded),
            uploads=int(uploads),
            closed_by=closed_by,
            due_at=due_at,
        )


def _utc(moment: datetime) -> datetime:
    aware = as_utc(moment)
    assert aware is not None
    return aware
