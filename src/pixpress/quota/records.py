"""The licences table and the usage ledger. Usage changes are single conditional updates."""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import Any

from sqlalchemy import Date, and_, case, cast, func, select, true, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from pixpress.db.models import Licence, UsageEntry
from pixpress.db.session import Database, utcnow

HEX = re.compile(r"[0-9a-f]{1,64}")


@dataclass(frozen=True)
class DailyCharges:
    day: date
    uploads: int
    size_bytes: int


@dataclass(frozen=True)
class Verified:
    """What a licence source said of a token."""

    quota_bytes: int
    subscription_type: str | None
    expires_at: datetime | None
    source: str
    valid: bool = True


class LicenceRecords:
    def __init__(self, database: Database) -> None:
        self.db = database

    def get(self, token_hash: str, *, session: Session | None = None) -> Licence | None:
        with self.db.join(session) as unit:
            return unit.get(Licence, token_hash)

    def save_verified(self, token_hash: str, token_hash_prefix: str, verified: Verified) -> Licence:
        """Record a licence-server answer; usage is untouched (and created at 0 for a new token)."""
        now = utcnow()
        values = {
            "valid": verified.valid,
            "quota_bytes": verified.quota_bytes,
            "subscription_type": verified.subscription_type,
            "expires_at": verified.expires_at,
            "source": verified.source,
            "last_checked_at": now,
        }
        for _ in range(2):  # a concurrent first insert from another process: then update
            with self.db.session() as session:
                updated = session.scalar(
                    update(Licence)
                    .where(Licence.token_hash == token_hash)
                    .values(**values)
                    .returning(Licence.token_hash)
                )
            if updated:
                break
            try:
                with self.db.session() as session:
                    session.add(
                        Licence(
                            token_hash=token_hash,
                            token_hash_prefix=token_hash_prefix,
                            used_bytes=0,
                            period_started_at=now,
                            created_at=now,
                            **values,
                        )
                    )
                break
            except IntegrityError:
                continue
        licence = self.get(token_hash)
        assert licence is not None
        return licence

    def charge(
        self, *, token_hash: str, size_bytes: int, task_id: str, session: Session | None = None
    ) -> Licence | None:
        """Add the bytes only if they fit, in one statement, plus the ledger entry; None when over quota.

        With `session`, both join the caller's unit of work (the submit: charge and task row commit together).
        """
        now = utcnow()
        with self.db.join(session) as unit:
            licence = unit.scalars(
                update(Licence)
                .where(
                    Licence.token_hash == token_hash,
                    Licence.used_bytes + size_bytes <= Licence.quota_bytes,
                )
                .values(
                    used_bytes=Licence.used_bytes + size_bytes,
                    last_used_at=now,
                    first_used_at=func.coalesce(Licence.first_used_at, now),
                )
                .returning(Licence)
            ).first()
            if licence is None:
                return None
            unit.add(ledger_entry(token_hash, task_id, "charge", size_bytes, licence.period_started_at, now))
        return licence

    def refund(
        self, *, token_hash: str, task_id: str, size_bytes: int, reason: str, session: Session | None = None
    ) -> bool:
        """Give back a task's charge once, and only within the period it was charged in.

        The charge's period is in the UPDATE's WHERE, so a reset committed since, even one racing this
        refund, makes it match nothing: the refund of a charge from a closed period is then only a ledger
        note (0 bytes), never a reduction of the new period's usage.
        """
        now = utcnow()
        with self.db.join(session, write=True) as unit:
            entries = unit.execute(
                select(UsageEntry.kind, UsageEntry.period_started_at).where(
                    UsageEntry.token_hash == token_hash, UsageEntry.task_id == task_id
                )
            ).all()
            kinds = {kind for kind, _ in entries}
            if "charge" not in kinds or "refund" in kinds:
                return False
            charged_in = next(period for kind, period in entries if kind == "charge")
            floor = func.max if self.db.is_sqlite else func.greatest
            refunded = unit.scalar(
                update(Licence)
                .where(Licence.token_hash == token_hash, Licence.period_started_at == charged_in)
                .values(used_bytes=floor(Licence.used_bytes - size_bytes, 0))
                .returning(Licence.token_hash)
            )
            if refunded is None:
                note = f"{reason}; charged in a closed period, usage unchanged"
                unit.add(ledger_entry(token_hash, task_id, "refund", 0, charged_in, now, note))
                return False
            unit.add(ledger_entry(token_hash, task_id, "refund", -size_bytes, charged_in, now, reason))
        return True

    def ledger(self, token_hash: str) -> list[UsageEntry]:
        with self.db.session() as session:
            return list(
                session.scalars(
                    select(UsageEntry).where(UsageEntry.token_hash == token_hash).order_by(UsageEntry.id)
                )
            )

    def task_entries(self, token_hash: str, task_id: str, *, session: Session) -> list[tuple[str, datetime]]:
        """(kind, period) of every ledger entry of one task."""
        rows = session.execute(
            select(UsageEntry.kind, UsageEntry.period_started_at).where(
                UsageEntry.token_hash == token_hash, UsageEntry.task_id == task_id
            )
        ).all()
        return [(kind, period) for kind, period in rows]

    def lock(self, token_hash: str, *, session: Session) -> Licence | None:
        """The licence row, locked until the caller's commit (PostgreSQL; SQLite's write unit of work
        holds the database's write lock already): decisions that count ledger rows are taken one at a time."""
        return session.scalars(
            select(Licence).where(Licence.token_hash == token_hash).with_for_update()
        ).first()

    def failure_counts(
        self, token_hash: str, *, period: datetime, reasons: frozenset[str], session: Session
    ) -> tuple[int, int]:
        """(refunds with one of `reasons` as their note, charges) of one period of a token: the failures
        its files caused that were given back, and its accepted uploads. From the ledger, not the tasks
        table: deleting failed tasks must not reset the count."""
        refunded = and_(UsageEntry.kind == "refund", UsageEntry.note.in_(reasons))
        row = session.execute(
            select(
                func.coalesce(func.sum(case((refunded, 1), else_=0)), 0),
                func.coalesce(func.sum(case((UsageEntry.kind == "charge", 1), else_=0)), 0),
            ).where(UsageEntry.token_hash == token_hash, UsageEntry.period_started_at == period)
        ).one()
        return int(row[0]), int(row[1])

    def note(
        self,
        *,
        token_hash: str,
        task_id: str,
        kind: str,
        period: datetime,
        note: str | None = None,
        session: Session,
    ) -> None:
        """A 0-byte ledger entry: something happened to the task's charge that changed no usage."""
        session.add(ledger_entry(token_hash, task_id, kind, 0, period, utcnow(), note))

    # --- the operator's dashboard: read-only views -----------------------------------------

    def ledger_page(self, token_hash: str, *, limit: int, offset: int) -> tuple[list[UsageEntry], int]:
        """One page of a token's ledger, newest first, and the number of rows in all."""
        with self.db.session() as session:
            total = session.scalar(
                select(func.count()).select_from(UsageEntry).where(UsageEntry.token_hash == token_hash)
            )
            rows = session.scalars(
                select(UsageEntry)
                .where(UsageEntry.token_hash == token_hash)
                .order_by(UsageEntry.id.desc())
                .limit(limit)
                .offset(offset)
            )
            return list(rows), int(total or 0)

    def search(self, hash_prefix: str, *, limit: int, offset: int) -> tuple[list[Licence], int]:
        """Licences whose token hash starts with `hash_prefix` (lowercase hex; the shown prefix is its
        first characters), most recently used first, and how many match in all."""
        if hash_prefix and not HEX.fullmatch(hash_prefix):
            return [], 0  # also keeps LIKE wildcards out of the pattern
        match = Licence.token_hash.startswith(hash_prefix) if hash_prefix else true()
        with self.db.session() as session:
            total = session.scalar(select(func.count()).select_from(Licence).where(match))
            rows = session.scalars(
                select(Licence)
                .where(match)
                .order_by(Licence.last_used_at.desc().nulls_last(), Licence.token_hash)
                .limit(limit)
                .offset(offset)
            )
            return list(rows), int(total or 0)

    def get_many(self, token_hashes: list[str]) -> dict[str, Licence]:
        if not token_hashes:
            return {}
        with self.db.session() as session:
            rows = session.scalars(select(Licence).where(Licence.token_hash.in_(token_hashes)))
            return {row.token_hash: row for row in rows}

    def daily_charges(self, *, since: datetime) -> list[DailyCharges]:
        """Uploads accepted and their bytes per UTC day since `since` (from the ledger, which outlives
        the tasks); days without uploads are absent."""
        day = _utc_day(UsageEntry.created_at, sqlite=self.db.is_sqlite)
        with self.db.session() as session:
            rows = session.execute(
                select(day.label("day"), func.count(), func.coalesce(func.sum(UsageEntry.size_bytes), 0))
                .where(UsageEntry.kind == "charge", UsageEntry.created_at >= since)
                .group_by(day)
                .order_by(day)
            ).all()
        return [DailyCharges(_as_date(d), int(uploads), int(size)) for d, uploads, size in rows]

    def claim_refresh(self, token_hash: str, *, older_than_s: float) -> bool:
        """Take the right to re-check a token now (one process of the deployment wins)."""
        now = utcnow()
        with self.db.session() as session:
            claimed = session.scalar(
                update(Licence)
                .where(
                    Licence.token_hash == token_hash,
                    Licence.last_checked_at < now - timedelta(seconds=older_than_s),
                )
                .values(last_checked_at=now)
                .returning(Licence.token_hash)
            )
        return claimed is not None


def ledger_entry(
    token_hash: str,
    task_id: str | None,
    kind: str,
    size_bytes: int,
    period: datetime,
    now: datetime,
    note: str | None = None,
) -> UsageEntry:
    return UsageEntry(
        token_hash=token_hash,
        task_id=task_id,
        kind=kind,
        size_bytes=size_bytes,
        period_started_at=period,
        created_at=now,
        note=note,
    )


def _utc_day(column: Any, *, sqlite: bool) -> Any:
    """The UTC calendar day of a timestamp column (SQLite stores UTC text; PostgreSQL converts
    timestamptz to the session's time zone unless told which)."""
    if sqlite:
        return func.date(column)
    return cast(func.timezone("UTC", column), Date)


def _as_date(value: date | str) -> date:
    return value if isinstance(value, date) else date.fromisoformat(value)
