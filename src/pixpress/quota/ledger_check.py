"""The ledger check: for every token, the used bytes of the open period must equal that period's charges
minus its refunds in the ledger. It reports what is off and never rewrites anything: a mismatch is a bug
or a hand edit for a person to look at, not something to paper over."""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import and_, func, select

from pixpress.db.models import Licence, UsageEntry
from pixpress.db.session import Database, as_utc

log = logging.getLogger("pixpress.ledger")


@dataclass(frozen=True)
class Imbalance:
    token_hash: str
    period_started_at: datetime
    used_bytes: int  # what the licence row says
    ledger_bytes: int  # charges minus refunds of the open period

    def describe(self) -> str:
        started = as_utc(self.period_started_at)
        return (
            f"token {self.token_hash[:10]}: used {self.used_bytes} bytes, ledger {self.ledger_bytes} bytes "
            f"(difference {self.used_bytes - self.ledger_bytes:+d}) in the period since "
            f"{started.isoformat() if started else '?'}"
        )


@dataclass(frozen=True)
class LedgerReport:
    tokens: int
    imbalances: list[Imbalance]

    @property
    def ok(self) -> bool:
        return not self.imbalances


def check_ledger(database: Database) -> LedgerReport:
    """Compare every licence row with its ledger, in one statement (one consistent snapshot)."""
    ledger = func.coalesce(func.sum(UsageEntry.size_bytes), 0)
    query = (
        select(Licence.token_hash, Licence.period_started_at, Licence.used_bytes, ledger)
        .outerjoin(
            UsageEntry,
            and_(
                UsageEntry.token_hash == Licence.token_hash,
                UsageEntry.period_started_at == Licence.period_started_at,
                UsageEntry.kind.in_(("charge", "refund")),
            ),
        )
        .group_by(Licence.token_hash, Licence.period_started_at, Licence.used_bytes)
    )
    with database.session() as session:
        rows = session.execute(query).all()
    imbalances = [
        Imbalance(token_hash, started, int(used), int(booked))
        for token_hash, started, used, booked in rows
        if int(used) != int(booked)
    ]
    report = LedgerReport(tokens=len(rows), imbalances=imbalances)
    for imbalance in imbalances:
        log.error("ledger check: %s", imbalance.describe())
    if report.ok:
        log.info("ledger check: %d tokens, usage matches the ledger", report.tokens)
    else:
        log.error("ledger check: %d of %d tokens do not match the ledger", len(imbalances), report.tokens)
    return report
