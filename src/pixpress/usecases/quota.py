"""A token's quota as its owner sees it, and the vendor's admin calls on it."""

from __future__ import annotations

from pixpress.quota import QuotaInfo, QuotaService
from pixpress.quota.info import ResetResult
from pixpress.quota.views import TokenUsageHistory


def refresh_quota(*, token: str, client_address: str, quota: QuotaService) -> QuotaInfo:
    """POST /refresh-quota: ask the licence server again now, whatever the cache holds."""
    return quota.refresh(token, client_address=client_address)


def reset_usage(*, token: str, quota: QuotaService) -> ResetResult:
    """POST /reset-usage (admin): close the token's period; its usage starts again from zero."""
    return quota.reset_usage(token)


def reset_usage_by_hash(*, token_hash: str, quota: QuotaService) -> int | None:
    """The dashboard's reset, for a token known only by its hash: the old usage in bytes, None if unknown."""
    return quota.reset_usage_by_hash(token_hash)


def usage_history(*, token: str, quota: QuotaService) -> TokenUsageHistory:
    """POST /api/admin/usage (admin): the token's current period, its past ones and their statements."""
    return quota.usage_history(token)
