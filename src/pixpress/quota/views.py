"""What a caller sees of a licence and its usage: the HTTP contract of the quota calls, in MB
(1,048,576 bytes) with two decimals, moments as ISO 8601 UTC ("...Z") or null."""

from __future__ import annotations

from pydantic import BaseModel


class QuotaSummary(BaseModel):
    """`quota_info` of a submit (and of a quota_exceeded error)."""

    used_mb: float
    remaining_mb: float
    limit_mb: float


class QuotaView(BaseModel):
    """GET /quota, POST /refresh-quota."""

    token: str
    quota_mb: float
    used_mb: float
    remaining_mb: float
    last_used_at: str | None
    subscription_type: str | None
    expires_at: str | None
    last_checked_at: str | None
    source: str  # license_api | cache | database_fallback | default | tokens_file


class ResetView(BaseModel):
    """POST /reset-usage."""

    token: str
    old_usage_mb: float
    new_usage_mb: int  # always 0, an integer as the system this replaces sent it
    quota_mb: float
    remaining_mb: float


class UsagePeriod(BaseModel):
    """One period of a token's usage, from the ledger: the current one has no end yet."""

    started_at: str | None
    ended_at: str | None
    charged_bytes: int
    refunded_bytes: int
    uploads: int
    used_bytes: int
    used_mb: float


class Statement(BaseModel):
    """A closed period as written when it closed (the schedule, reset-usage or the dashboard)."""

    period_started_at: str | None
    period_ended_at: str | None
    charged_bytes: int
    refunded_bytes: int
    used_bytes: int
    used_mb: float
    uploads: int
    closed_by: str | None
    due_at: str | None


class UsageHistory(BaseModel):
    """A token's current and past periods (the dashboard's token page)."""

    quota_mb: float
    current_period: UsagePeriod
    used_mb: float
    past_periods: list[UsagePeriod]
    reset_schedule: str
    next_reset_at: str | None
    statements: list[Statement]


class _TokenFirst(BaseModel):
    token: str


class TokenUsageHistory(UsageHistory, _TokenFirst):
    """POST /api/admin/usage: the history with the token it is of (first: pydantic orders the fields of
    the rightmost base first)."""
