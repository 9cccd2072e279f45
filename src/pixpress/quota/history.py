"""A token's periods of usage, summed from its ledger entries (charges, refunds, the resets that end them)."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime

from pixpress.db.models import UsageEntry
from pixpress.db.session import as_utc
from pixpress.quota.info import iso, to_mb
from pixpress.quota.views import UsagePeriod


@dataclass
class _Sums:
    started_at: datetime
    ended_at: datetime | None = None
    charged_bytes: int = 0
    refunded_bytes: int = 0
    uploads: int = 0

    def add(self, entry: UsageEntry) -> None:
        if entry.kind == "charge":
            self.charged_bytes += entry.size_bytes
            self.uploads += 1
        elif entry.kind == "refund":
            self.refunded_bytes -= entry.size_bytes  # a refund's entry is negative
        elif entry.kind == "reset":
            self.ended_at = as_utc(entry.created_at)

    def period(self) -> UsagePeriod:
        used = self.charged_bytes - self.refunded_bytes
        return UsagePeriod(
            started_at=iso(self.started_at),
            ended_at=iso(self.ended_at),
            charged_bytes=self.charged_bytes,
            refunded_bytes=self.refunded_bytes,
            uploads=self.uploads,
            used_bytes=used,
            used_mb=to_mb(used),
        )


def ledger_periods(entries: Iterable[UsageEntry]) -> list[UsagePeriod]:
    """One summary per period the entries fall in, oldest first."""
    sums: dict[datetime, _Sums] = {}
    for entry in entries:
        start = as_utc(entry.period_started_at)
        assert start is not None
        sums.setdefault(start, _Sums(started_at=start)).add(entry)
    return [sums[start].period() for start in sorted(sums)]


def empty_period(*, started_at: str | None) -> UsagePeriod:
    """A period without a ledger entry yet: every figure 0 (charged_bytes and refunded_bytes included)."""
    return UsagePeriod(
        started_at=started_at,
        ended_at=None,
        charged_bytes=0,
        refunded_bytes=0,
        uploads=0,
        used_bytes=0,
        used_mb=0.0,
    )
