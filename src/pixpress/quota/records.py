"""The licences table and the usage ledger. Usage changes are single conditional updates."""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import Any

from sqlalchemy import Date, cast, func, select, true, update
from sqlalchemy.exc import IntegrityError

from pixpress.db.models import Licence, UsageEntry
from pixpress.db.session import Database, as_utc, utcnow

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

    def get(self, token_hash: str) -> Licence | None:
        with self.db.session() as session:
            return session.get(Licence, token_hash)

    def save_verified(self, token_hash: str, token_prefix: str, verified: Verified) -> Licence:
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
                            token_prefix=token_prefix,
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

    def charge(self, *, token_hash: str, size_bytes: int, task_id: str) -> Licence | None:
        """Add the bytes only if they fit, in one statement; None when over quota."""
        now = utcnow()
        with self.db.session() as session:
            row = session.execute(
                update(Licence)
                .where(
                    Licence.token_hash == token_hash,
                    Licence.used_bytes + size_bytes <= Licence.quota_bytes,
                )
                .values(used_bytes=Licence.used_bytes + size_bytes, last_used_at=now)
                .returning(Licence.period_started_at)
            ).first()
            if row is None:
                return None
            session.add(_entry(token_hash, task_id, "charge", size_bytes, row.period_started_at, now))
        return self.get(token_hash)

    def refund(self, *, token_hash: str, task_id: str, size_bytes: int, reason: str) -> bool:
        """Give back a task's charge once, and only within the period it was charged in."""
        now = utcnow()
        with self.db.session(write=True) as session:
            charges = session.execute(
                select(UsageEntry.kind, UsageEntry.period_started_at).where(
                    UsageEntry.token_hash == token_hash, UsageEntry.task_id == task_id
                )
            ).all()
            licence = session.get(Licence, token_hash)
            kinds = {kind for kind, _ in charges}
            if licence is None or "charge" not in kinds or "refund" in kinds:
                return False
            period = next(p for kind, p in charges if kind == "charge")
            if as_utc(period) != as_utc(licence.period_started_at):
                return False  # reset since: that usage is history now
            session.execute(
                update(Licence)
                .where(Licence.token_hash == token_hash)
                .values(
                    used_bytes=func.max(Licence.used_bytes - size_bytes, 0)
                    if self.db.is_sqlite
                    else func.greatest(Licence.used_bytes - size_bytes, 0)
                )
            )
            session.add(
                _entry(token_hash, task_id, "refund", -size_bytes, licence.period_started_at, now, reason)
            )
        return True

    def reset(self, token_hash: str) -> tuple[int, Licence] | None:
        """Close the current period: usage back to 0, the old figure kept in the ledger."""
        now = utcnow()
        with self.db.session(write=True) as session:
            licence = session.get(Licence, token_hash)
            if licence is None:
                return None
            old = licence.used_bytes
            session.add(_entry(token_hash, None, "reset", -old, licence.period_started_at, now))
            licence.used_bytes = 0
            licence.period_started_at = now
        fresh = self.get(token_hash)
        assert fresh is not None
        return old, fresh

    def ledger(self, token_hash: str) -> list[UsageEntry]:
        with self.db.session() as session:
            return list(
                session.scalars(
                    select(UsageEntry).where(UsageEntry.token_hash == token_hash).order_by(UsageEntry.id)
                )
            )

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


def _entry(
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
