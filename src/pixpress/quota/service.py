"""QuotaService: who a token is, how much it may upload, and what it has used."""

from __future__ import annotations

import hashlib
import hmac
import logging
import time
from dataclasses import dataclass, replace
from datetime import UTC, datetime
from typing import Any

import httpx
from sqlalchemy.orm import Session

from pixpress.config import MB, Settings
from pixpress.coordination.leases import Leases, owner_id
from pixpress.db.models import Licence
from pixpress.db.session import Database, as_utc, utcnow
from pixpress.errors import (
    AdminRequired,
    InvalidToken,
    LicenseServerUnavailable,
    QuotaExceeded,
    RateLimited,
    SubscriptionExpired,
)
from pixpress.metrics import record
from pixpress.quota import failure_charges
from pixpress.quota.call_stats import CallStats, LicenceHealth
from pixpress.quota.circuit import CircuitBreaker
from pixpress.quota.history import empty_period, ledger_periods
from pixpress.quota.info import QuotaInfo, ResetResult, iso, statement_view, to_mb
from pixpress.quota.licence_client import LicenceAnswer, LicenceClient, LicenceServerFailed
from pixpress.quota.lru import LruDict
from pixpress.quota.periods import PeriodRecords
from pixpress.quota.rate_limit import DatabaseFailureCounter, FailureCounter, retry_after_s
from pixpress.quota.records import LicenceRecords, Verified
from pixpress.quota.reset_schedule import ResetSchedule
from pixpress.quota.singleflight import SingleFlight
from pixpress.quota.tokens_file import TokensFile
from pixpress.quota.views import TokenUsageHistory, UsageHistory

log = logging.getLogger("pixpress.quota")

RECENT_TOKEN_WINDOW_S = 24 * 3600


def hash_token(token: str) -> str:
    return hashlib.sha256(token.encode("utf-8")).hexdigest()


def token_label(token_hash: str) -> str:
    """What logs show of a token: a short prefix of its hash."""
    return token_hash[:10]


@dataclass(frozen=True)
class _Cached:
    verified: Verified
    at: float


class QuotaService:
    def __init__(
        self,
        *,
        settings: Settings,
        database: Database,
        http_client: httpx.Client | None = None,
        failures: FailureCounter | None = None,
        shared_flights: Leases | None = None,
    ) -> None:
        self.settings = settings
        self.records = LicenceRecords(database)
        self.periods = PeriodRecords(database)
        self.reset_schedule = ResetSchedule.from_settings(settings)
        self.failures = failures or DatabaseFailureCounter(database)
        self.licence: LicenceClient | None = None
        if settings.license_api_url:
            self.licence = LicenceClient(
                base_url=settings.license_api_url,
                api_key=settings.license_api_key,
                timeout_s=settings.license_timeout_s,
                client=http_client,
            )
        self.tokens_file = (
            TokensFile(settings.tokens_file) if settings.tokens_file and not self.licence else None
        )
        self.breaker = CircuitBreaker(
            failure_threshold=settings.license_failure_threshold,
            open_s=settings.license_circuit_open_s,
            max_open_s=settings.license_circuit_max_open_s,
        )
        self.calls = CallStats()  # per process, for the dashboard
        self._flights: SingleFlight[Verified] = SingleFlight()
        # Across processes (Redis): one licence call per token for the whole deployment.
        self.shared_flights = shared_flights
        self.owner = owner_id()
        # Both bounded: their keys come from whoever sends requests.
        self._cache: LruDict[str, _Cached] = LruDict(max_entries=settings.quota_cache_max_tokens)
        # token hash -> (token, last seen) of tokens that validated here: re-checked in the background.
        self._recent: LruDict[str, tuple[str, float]] = LruDict(max_entries=settings.quota_refresh_max_tokens)

    # --- who is calling ----------------------------------------------------------------------

    def authenticate(self, token: str, *, client_address: str) -> QuotaInfo:
        """The licence of `token`, or InvalidToken; failed checks are limited per client address.

        A token this deployment already knows as valid is never refused for the failures of its address
        (someone sharing or spoofing it cannot lock a customer out). Any other token from an address over
        the limit gets RateLimited without asking the licence server, whatever it is: answering
        differently for valid ones would let guessing go on without bound.
        """
        if not self._known_valid(token):
            self._refuse_when_over_limit(client_address)
        try:
            return self._resolve(token)
        except InvalidToken:
            if self.settings.failed_token_checks_per_minute:
                self.failures.add(client_address)
            raise

    def _known_valid(self, token: str) -> bool:
        if len(token) > self.settings.max_token_chars:
            return False
        token_hash = hash_token(token)
        cached = self._cache.get(token_hash)
        if cached is not None:
            return cached.verified.valid
        licence = self.records.get(token_hash)
        return licence is not None and licence.valid

    def _refuse_when_over_limit(self, client_address: str) -> None:
        limit = self.settings.failed_token_checks_per_minute
        if limit and self.failures.count(client_address) >= limit:
            raise RateLimited(
                "Too many failed token checks from this address; retry later.",
                headers={"Retry-After": str(retry_after_s())},
            )

    def refresh(self, token: str, *, client_address: str) -> QuotaInfo:
        """Ask the licence server again now, at most once per token per
        PIXPRESS_QUOTA_FORCED_REFRESH_INTERVAL_S for the whole deployment (claimed on the licence row, so
        concurrent calls and other processes share one upstream call). Within the interval the answer is
        the last check's (`source: cache`, `last_checked_at` says when)."""
        info = self.authenticate(token, client_address=client_address)
        if self.licence is not None and not self.records.claim_refresh(
            info.token_hash, older_than_s=self.settings.quota_forced_refresh_interval_s
        ):
            return info
        return self._resolve(token, force=True)

    def authorize_admin(self, token: str, *, client_address: str) -> None:
        """AdminRequired unless `token` is an admin token. Over its address's failure limit nothing is
        compared, not even a right token: a 429 that still let the right one in would tell a guesser
        "wrong" at the request rate. A real admin behind that address waits out the minute."""
        self._refuse_when_over_limit(client_address)
        if self.is_admin(token):
            return
        if self.settings.failed_token_checks_per_minute:
            self.failures.add(client_address)
        raise AdminRequired()

    def is_admin(self, token: str) -> bool:
        matched = False
        for admin in self.settings.admin_tokens_list:  # compare with every one: no early exit
            matched |= hmac.compare_digest(token.encode(), admin.encode())
        return matched

    # --- counting ----------------------------------------------------------------------------

    def charge(
        self, *, token_hash: str, size_bytes: int, task_id: str, session: Session | None = None
    ) -> QuotaInfo:
        """Charge an upload, or QuotaExceeded; with `session`, inside the caller's unit of work."""
        licence = self.records.charge(
            token_hash=token_hash, size_bytes=size_bytes, task_id=task_id, session=session
        )
        if licence is None:
            current = self.records.get(token_hash, session=session)
            details: dict[str, Any] = {"requested_mb": to_mb(size_bytes)}
            if current is not None:
                details["quota_info"] = self._info(current, current.source).as_quota_info().model_dump()
            raise QuotaExceeded(details=details)
        return self._info(licence, licence.source)

    def refund(
        self, *, token_hash: str, task_id: str, size_bytes: int, reason: str, session: Session | None = None
    ) -> None:
        if self.records.refund(
            token_hash=token_hash, task_id=task_id, size_bytes=size_bytes, reason=reason, session=session
        ):
            record.refunded(reason, size_bytes)
            log.info(
                "refunded %d bytes to %s for task %s (%s)",
                size_bytes,
                token_label(token_hash),
                task_id,
                reason,
            )

    def settle_failure(
        self, *, token_hash: str, task_id: str, size_bytes: int, reason: str, session: Session | None = None
    ) -> bool:
        """A failed task's charge: refunded, or kept past the token's free failures
        (quota/failure_charges.py). Idempotent; True when the charge is kept."""
        with self.records.db.join(session, write=True) as unit:
            settled = failure_charges.settle(
                records=self.records,
                settings=self.settings,
                token_hash=token_hash,
                task_id=task_id,
                size_bytes=size_bytes,
                reason=reason,
                session=unit,
            )
        if settled.now and settled.charged:
            record.failure_charged(reason)
            log.info(
                "kept the %d bytes of failed task %s of %s (%s, past %d free failures)",
                size_bytes,
                task_id,
                token_label(token_hash),
                reason,
                settled.allowance,
            )
        elif settled.now:
            record.refunded(reason, size_bytes)
            log.info(
                "refunded %d bytes to %s for task %s (%s)",
                size_bytes,
                token_label(token_hash),
                task_id,
                reason,
            )
        return settled.charged

    def record_reuse(self, *, token_hash: str, task_id: str, session: Session) -> None:
        """An identical upload answered with an earlier task: a 0-byte `reuse` entry in the open period."""
        licence = self.records.get(token_hash, session=session)
        if licence is None:
            return
        self.records.note(
            token_hash=token_hash,
            task_id=task_id,
            kind="reuse",
            period=licence.period_started_at,
            note="identical upload: the earlier result, not charged again",
            session=session,
        )

    def reset_usage(self, token: str) -> ResetResult:
        self._resolve(token)
        outcome = self._reset(hash_token(token), closed_by="admin")
        assert outcome is not None  # _resolve stored the row
        old, licence = outcome
        return ResetResult(token=token, old_usage_bytes=old, quota_bytes=licence.quota_bytes)

    def reset_usage_by_hash(self, token_hash: str) -> int | None:
        """The same reset for a token known only by its hash (the dashboard's case): the same ledger
        entry, no licence check (nobody has the raw token). The old usage in bytes; None when unknown."""
        outcome = self._reset(token_hash, closed_by="dashboard")
        return outcome[0] if outcome is not None else None

    def _reset(self, token_hash: str, *, closed_by: str) -> tuple[int, Licence] | None:
        closed = self.periods.close([token_hash], now=utcnow(), closed_by=closed_by)
        if not closed:
            return None
        log.info("usage of %s reset (was %d bytes)", token_label(token_hash), closed[0].old_used_bytes)
        record.reset(closed[0].old_used_bytes)
        return closed[0].old_used_bytes, closed[0].licence

    def usage_history(self, token: str) -> TokenUsageHistory:
        token_hash = hash_token(token)
        if self.records.get(token_hash) is None:
            self._resolve(token)
        history = self.usage_history_by_hash(token_hash)
        assert history is not None
        return TokenUsageHistory(token=token, **dict(history))

    def usage_history_by_hash(self, token_hash: str) -> UsageHistory | None:
        """A token's current and past periods from the ledger; None when the token is unknown."""
        licence = self.records.get(token_hash)
        if licence is None:
            return None
        periods = ledger_periods(self.records.ledger(token_hash))
        current_start = iso(as_utc(licence.period_started_at))
        current = next((p for p in periods if p.started_at == current_start), None)
        return UsageHistory(
            quota_mb=to_mb(licence.quota_bytes),
            # No ledger entry yet in this period (none at all, or just reset): an empty one.
            current_period=current or empty_period(started_at=current_start),
            used_mb=to_mb(licence.used_bytes),
            past_periods=[p for p in periods if p is not current],
            reset_schedule=self.reset_schedule.kind,
            next_reset_at=iso(
                self.reset_schedule.following(now=utcnow(), first_used_at=as_utc(licence.first_used_at))
            ),
            statements=[statement_view(s) for s in self.periods.statements(token_hash)],
        )

    def licence_health(self) -> LicenceHealth:
        if self.licence is not None:
            source = "license_api"
        else:
            source = "tokens_file" if self.tokens_file is not None else "default"
        return LicenceHealth(
            source=source,
            circuit_state=self.breaker.state,
            consecutive_failures=self.breaker.consecutive_failures,
            calls=self.calls.snapshot(),
        )

    # --- background refresh ------------------------------------------------------------------

    def refresh_stale_tokens(self) -> int:
        """Re-check the tokens this process served in the last day whose check is getting old.

        Only the API processes see raw tokens (the database keeps hashes), so each refreshes its own;
        claiming the row first means a token is re-checked once per deployment, not once per process.
        """
        if self.licence is None:
            return 0
        cutoff = time.time() - RECENT_TOKEN_WINDOW_S
        self._recent.discard_where(lambda _hash, seen: seen[1] < cutoff)
        recent = self._recent.snapshot()
        checked = 0
        for token_hash, (token, _) in recent.items():
            if self.breaker.is_open:
                break
            if self.records.claim_refresh(token_hash, older_than_s=self.settings.quota_refresh_interval_s):
                self._resolve(token, force=True)
                checked += 1
        return checked

    def close(self) -> None:
        if self.licence is not None:
            self.licence.close()

    # --- resolution --------------------------------------------------------------------------

    def _resolve(self, token: str, *, force: bool = False) -> QuotaInfo:
        if len(token) > self.settings.max_token_chars:
            raise InvalidToken()  # no licence has such a token: not worth a question upstream
        token_hash = hash_token(token)
        verified, source = self._verified(token, token_hash, force=force)
        if not verified.valid:
            raise InvalidToken()
        self._recent.put(token_hash, (token, time.time()))
        if verified.expires_at is not None and verified.expires_at < datetime.now(UTC):
            raise SubscriptionExpired(details={"expires_at": iso(verified.expires_at)})
        licence = self.records.get(token_hash)
        assert licence is not None
        return self._info(licence, source)

    def _verified(self, token: str, token_hash: str, *, force: bool) -> tuple[Verified, str]:
        now = time.monotonic()
        if not force:
            cached = self._cache.get(token_hash)
            ttl = self.settings.quota_cache_ttl_s
            if cached is not None and not cached.verified.valid:
                ttl = min(ttl, self.settings.invalid_token_cache_s)
            if cached is not None and now - cached.at < ttl:
                return cached.verified, "cache"
            licence = self.records.get(token_hash)
            if licence is not None and self._fresh(licence):
                verified = _from_row(licence)
                self._remember(token_hash, verified)
                return verified, "cache"
        verified = self._flights.do(token_hash, lambda: self._ask_source(token, token_hash))
        return verified, verified.source

    def _fresh(self, licence: Licence) -> bool:
        """Recent enough to answer without asking upstream. A row saying invalid is so only briefly, like
        the cache: a token refused by mistake is asked about again soon, not locked out for the interval."""
        checked = as_utc(licence.last_checked_at)
        max_age_s = self.settings.quota_refresh_interval_s
        if not licence.valid:
            max_age_s = min(max_age_s, self.settings.invalid_token_cache_s)
        return checked is not None and (utcnow() - checked).total_seconds() < max_age_s

    def _ask_source(self, token: str, token_hash: str) -> Verified:
        if self.licence is None:
            if self.tokens_file is not None:
                answer, source = self.tokens_file.check(token), "tokens_file"
            else:
                answer = LicenceAnswer(True, self.settings.default_quota_mb, "development", None)
                source = "default"
            return self._store(token_hash, _verified(answer, source))
        if self.shared_flights is not None and not self._lead_flight(token_hash):
            waited = self._wait_for_other_process(token_hash)
            if waited is not None:
                return waited
        if self.breaker.allow():
            try:
                answer = self.licence.check(token)
            except LicenceServerFailed as exc:
                self.breaker.record_failure()
                self.calls.record_failure(str(exc))
                record.licence_call("failed", circuit_open=self.breaker.state != "closed")
                log.warning("licence check for %s failed: %s", token_label(token_hash), exc)
            else:
                self.breaker.record_success()
                self.calls.record_success()
                record.licence_call("ok", circuit_open=False)
                return self._store(token_hash, _verified(answer, "license_api"))
            finally:
                if self.shared_flights is not None:
                    self.shared_flights.release(f"licence:{token_hash}", owner=self.owner)
        else:
            record.licence_call("circuit_open", circuit_open=True)
        known = self.records.get(token_hash)
        if known is None:
            raise LicenseServerUnavailable()
        return replace(_from_row(known), source="database_fallback")

    def _lead_flight(self, token_hash: str) -> bool:
        assert self.shared_flights is not None
        ttl_s = self.settings.license_timeout_s + 1
        return self.shared_flights.acquire(f"licence:{token_hash}", owner=self.owner, ttl_s=ttl_s)

    def _wait_for_other_process(self, token_hash: str) -> Verified | None:
        """Another process is asking upstream for this token: wait for its answer in the database."""
        started = utcnow()
        deadline = time.monotonic() + self.settings.license_timeout_s + 0.5
        while time.monotonic() < deadline:
            time.sleep(0.05)
            licence = self.records.get(token_hash)
            checked = as_utc(licence.last_checked_at) if licence is not None else None
            if licence is not None and checked is not None and checked >= started:
                verified = _from_row(licence)
                self._remember(token_hash, verified)
                return verified
        return None  # it gave up or died: ask ourselves

    def _store(self, token_hash: str, verified: Verified) -> Verified:
        existing = self.records.get(token_hash)
        if verified.valid or existing is not None:
            self.records.save_verified(token_hash, token_hash[:6], verified)
        self._remember(token_hash, verified)
        return verified

    def _remember(self, token_hash: str, verified: Verified) -> None:
        self._cache.put(token_hash, _Cached(verified, time.monotonic()))

    def _info(self, licence: Licence, source: str) -> QuotaInfo:
        return QuotaInfo(
            token_hash=licence.token_hash,
            token_hash_prefix=licence.token_hash_prefix,
            quota_bytes=licence.quota_bytes,
            used_bytes=licence.used_bytes,
            subscription_type=licence.subscription_type,
            expires_at=as_utc(licence.expires_at),
            source=source,
            last_used_at=as_utc(licence.last_used_at),
            last_checked_at=as_utc(licence.last_checked_at),
        )


def _verified(answer: LicenceAnswer, source: str) -> Verified:
    return Verified(
        quota_bytes=int(answer.quota_mb * MB),
        subscription_type=answer.subscription_type,
        expires_at=answer.expires_at,
        source=source,
        valid=answer.valid,
    )


def _from_row(licence: Licence) -> Verified:
    return Verified(
        quota_bytes=licence.quota_bytes,
        subscription_type=licence.subscription_type,
        expires_at=as_utc(licence.expires_at),
        source=licence.source,
        valid=licence.valid,
    )
