"""What a caller sees of a licence: quota and usage, in bytes, shown in MB (1,048,576 bytes)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from pixpress.config import MB
from pixpress.db.models import UsageStatement
from pixpress.db.session import as_utc, iso
from pixpress.quota.views import QuotaSummary, QuotaView, ResetView, Statement


def to_mb(size_bytes: int) -> float:
    return round(size_bytes / MB, 2)


@dataclass(frozen=True)
class QuotaInfo:
    token_hash: str
    token_hash_prefix: str
    quota_bytes: int
    used_bytes: int
    subscription_type: str | None
    expires_at: datetime | None
    source: str  # license_api | cache | database_fallback | default | tokens_file
    last_used_at: datetime | None
    last_checked_at: datetime | None

    @property
    def remaining_bytes(self) -> int:
        return max(0, self.quota_bytes - self.used_bytes)

    @property
    def quota_mb(self) -> float:
        return to_mb(self.quota_bytes)

    @property
    def used_mb(self) -> float:
        return to_mb(self.used_bytes)

    @property
    def remaining_mb(self) -> float:
        return to_mb(self.remaining_bytes)

    def as_quota_info(self) -> QuotaSummary:
        return QuotaSummary(used_mb=self.used_mb, remaining_mb=self.remaining_mb, limit_mb=self.quota_mb)

    def as_public(self, token: str) -> QuotaView:
        return QuotaView(
            token=token,
            quota_mb=self.quota_mb,
            used_mb=self.used_mb,
            remaining_mb=self.remaining_mb,
            last_used_at=iso(self.last_used_at),
            subscription_type=self.subscription_type,
            expires_at=iso(self.expires_at),
            last_checked_at=iso(self.last_checked_at),
            source=self.source,
        )


@dataclass(frozen=True)
class ResetResult:
    token: str
    old_usage_bytes: int
    quota_bytes: int

    def as_public(self) -> ResetView:
        return ResetView(
            token=self.token,
            old_usage_mb=to_mb(self.old_usage_bytes),
            new_usage_mb=0,
            quota_mb=to_mb(self.quota_bytes),
            remaining_mb=to_mb(self.quota_bytes),
        )


def statement_view(statement: UsageStatement) -> Statement:
    """A closed period as the admin usage call and the dashboard show it."""
    return Statement(
        period_started_at=iso(as_utc(statement.period_started_at)),
        period_ended_at=iso(as_utc(statement.period_ended_at)),
        charged_bytes=statement.charged_bytes,
        refunded_bytes=statement.refunded_bytes,
        used_bytes=statement.used_bytes,
        used_mb=to_mb(statement.used_bytes),
        uploads=statement.uploads,
        closed_by=statement.closed_by,
        due_at=iso(as_utc(statement.due_at)),
    )
