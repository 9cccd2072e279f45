"""What each dashboard page shows, gathered from the domain services and repositories (no SQL here)."""

from __future__ import annotations

import logging
import math
import statistics
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta

from pixpress.config import Settings
from pixpress.dashboard.redaction import settings_rows
from pixpress.db.models import Licence, UsageEntry
from pixpress.db.session import as_utc, utcnow
from pixpress.quota import QuotaService
from pixpress.quota.call_stats import LicenceHealth
from pixpress.quota.records import DailyCharges
from pixpress.quota.views import UsageHistory
from pixpress.tasks.queue import TaskQueue
from pixpress.tasks.records import Savings, TaskRecords

log = logging.getLogger("pixpress.dashboard")

DAYS = 30
TOP_PENDING = 10
TOKENS_PER_PAGE = 25
LEDGER_PER_PAGE = 50


@dataclass(frozen=True)
class Pagination:
    number: int  # 1-based
    per_page: int
    total: int

    @property
    def pages(self) -> int:
        return max(1, math.ceil(self.total / self.per_page))

    @property
    def offset(self) -> int:
        return (self.number - 1) * self.per_page

    @classmethod
    def of(cls, page: int, *, per_page: int, total: int | None = None) -> Pagination:
        return cls(number=max(1, page), per_page=per_page, total=total or 0)


@dataclass(frozen=True)
class PendingToken:
    token_hash: str
    shown_prefix: str
    unfinished: int


@dataclass(frozen=True)
class Overview:
    days: list[DailyCharges]  # one per day, oldest first, zeros included
    savings: Savings
    median_done_s: float | None
    failures: list[tuple[str, int]]
    status_counts: dict[str, int]
    queue_pending: int | None  # None: the queue did not answer
    top_pending: list[PendingToken]
    licence: LicenceHealth
    settings: list[tuple[str, str]]

    @property
    def uploads(self) -> int:
        return sum(day.uploads for day in self.days)

    @property
    def uploaded_bytes(self) -> int:
        return sum(day.size_bytes for day in self.days)


@dataclass(frozen=True)
class TokenPage:
    licence: Licence
    history: UsageHistory
    ledger: list[UsageEntry]
    pagination: Pagination
    unfinished: int


def overview(
    *,
    records: TaskRecords,
    quota: QuotaService,
    queue: TaskQueue,
    settings: Settings,
    today: date | None = None,
) -> Overview:
    today = today or utcnow().date()
    first = today - timedelta(days=DAYS - 1)
    since = datetime.combine(first, datetime.min.time(), tzinfo=UTC)
    unfinished = records.unfinished_by_token(limit=TOP_PENDING)
    licences = quota.records.get_many([token_hash for token_hash, _ in unfinished])
    durations = records.done_durations_s()
    return Overview(
        days=_every_day(quota.records.daily_charges(since=since), first=first, count=DAYS),
        savings=records.savings(),
        median_done_s=statistics.median(durations) if durations else None,
        failures=records.failures_by_code(),
        status_counts=records.count_by_status(),
        queue_pending=_queue_pending(queue),
        top_pending=[
            PendingToken(token_hash, _shown_prefix(licences.get(token_hash), token_hash), count)
            for token_hash, count in unfinished
        ],
        licence=quota.licence_health(),
        settings=settings_rows(settings),
    )


def search_tokens(*, quota: QuotaService, prefix: str, page: int) -> tuple[list[Licence], Pagination]:
    wanted = Pagination.of(page, per_page=TOKENS_PER_PAGE)
    rows, total = quota.records.search(prefix, limit=wanted.per_page, offset=wanted.offset)
    return rows, Pagination.of(page, per_page=TOKENS_PER_PAGE, total=total)


def token_page(*, records: TaskRecords, quota: QuotaService, token_hash: str, page: int) -> TokenPage | None:
    licence = quota.records.get(token_hash)
    history = quota.usage_history_by_hash(token_hash)
    if licence is None or history is None:
        return None
    wanted = Pagination.of(page, per_page=LEDGER_PER_PAGE)
    ledger, total = quota.records.ledger_page(token_hash, limit=wanted.per_page, offset=wanted.offset)
    return TokenPage(
        licence=licence,
        history=history,
        ledger=ledger,
        pagination=Pagination.of(page, per_page=LEDGER_PER_PAGE, total=total),
        unfinished=records.count_unfinished(token_hash),
    )


def is_expired(licence: Licence) -> bool:
    expires = as_utc(licence.expires_at)
    return expires is not None and expires < utcnow()


def _every_day(found: list[DailyCharges], *, first: date, count: int) -> list[DailyCharges]:
    by_day = {entry.day: entry for entry in found}
    days = (first + timedelta(days=offset) for offset in range(count))
    return [by_day.get(day, DailyCharges(day, 0, 0)) for day in days]


def _queue_pending(queue: TaskQueue) -> int | None:
    try:
        return queue.pending()
    except Exception as exc:  # the page still shows everything else
        log.warning("queue depth unavailable: %r", exc)
        return None


def _shown_prefix(licence: Licence | None, token_hash: str) -> str:
    return licence.token_hash_prefix if licence is not None else token_hash[:6]
