"""What sync and async clients share: answers to data or typed errors, and when to retry."""

from __future__ import annotations

import email.utils
import time
from dataclasses import dataclass
from typing import Any

import httpx

from pixpress.client.errors import (
    ConnectionFailed,
    PixpressClientError,
    RateLimitedError,
    ServerUnavailableError,
    error_for,
)


@dataclass(frozen=True)
class RetryPolicy:
    """Bounded retries: at most `max_retries` more attempts and `max_total_s` of waiting in all.

    Retried: 429 too_many_pending / rate_limited and 502/503/504 (license_server_unavailable), after the
    server's Retry-After when it sends one (never sooner; a Retry-After above `max_delay_s` gives up at
    once instead), else after an exponential backoff. A connection that could not be opened is retried
    for every call; a connection lost after the request went out only for idempotent calls. Never
    retried: quota_exceeded, authentication, bad input, 500.
    """

    max_retries: int = 4
    max_delay_s: float = 60.0
    max_total_s: float = 180.0
    base_delay_s: float = 0.5

    def delay_s(
        self, error: PixpressClientError, *, retries_done: int, waited_s: float, idempotent: bool
    ) -> float | None:
        """Seconds to wait before the next attempt, or None to give up now."""
        if retries_done >= self.max_retries or not retryable(error, idempotent=idempotent):
            return None
        retry_after = error.details.get("retry_after_s")
        if isinstance(retry_after, int | float) and retry_after >= 0:
            delay = float(retry_after)
            if delay > self.max_delay_s:
                return None
        else:
            delay = min(self.base_delay_s * 2**retries_done, self.max_delay_s)
        if waited_s + delay > self.max_total_s:
            return None
        return delay


def retryable(error: PixpressClientError, *, idempotent: bool) -> bool:
    if isinstance(error, RateLimitedError | ServerUnavailableError):
        return True
    if isinstance(error, ConnectionFailed):
        return idempotent or error.details.get("sent") is False
    return False


def read(response: httpx.Response) -> Any:
    """The `data` of a success envelope; a typed error otherwise."""
    try:
        body = response.json()
    except ValueError:
        body = None
    if response.status_code == 200 and isinstance(body, dict) and body.get("success") is True:
        return body.get("data", {})
    raise error_of(response, body)


def error_of(response: httpx.Response, body: Any) -> PixpressClientError:
    error = error_for(response.status_code, body)
    retry_after = parse_retry_after(response.headers.get("retry-after"))
    if retry_after is not None:
        error.details["retry_after_s"] = retry_after
    return error


def parse_retry_after(value: str | None, *, now: float | None = None) -> float | None:
    """Retry-After as seconds: either a number of seconds or an HTTP date."""
    if not value:
        return None
    value = value.strip()
    if value.isdigit():
        return float(value)
    try:
        when = email.utils.parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return None
    return max(0.0, when.timestamp() - (time.time() if now is None else now))


def connection_failed(exc: httpx.TransportError, base_url: str) -> ConnectionFailed:
    # Connect errors happen before any byte of the request left: always safe to try again.
    sent = not isinstance(exc, httpx.ConnectError | httpx.ConnectTimeout)
    return ConnectionFailed(
        "connection_failed",
        f"cannot reach pixpress at {base_url} ({exc.__class__.__name__})",
        status=0,
        details={"sent": sent},
    )
