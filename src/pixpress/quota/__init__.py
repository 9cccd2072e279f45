"""Licences and usage: the licence-server client, its cache and fallbacks, and the usage ledger."""

from pixpress.quota.info import MB, QuotaInfo, ResetResult
from pixpress.quota.service import QuotaService, hash_token

__all__ = ["MB", "QuotaInfo", "QuotaService", "ResetResult", "hash_token"]
