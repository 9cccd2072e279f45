"""The vendor's licence server: POST {url}/user-quota, strictly validated, bounded in time."""

from __future__ import annotations

import logging
import math
import time
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

import httpx

log = logging.getLogger("pixpress.licence")


class LicenceServerFailed(Exception):
    """Down, slow, 5xx or nonsense: the answer cannot be trusted either way."""


@dataclass(frozen=True)
class LicenceAnswer:
    valid: bool
    quota_mb: float
    subscription_type: str | None
    expires_at: datetime | None


def parse_answer(payload: Any) -> LicenceAnswer:
    """Accept only the documented shape; anything else is the server failing, not the token."""
    if not isinstance(payload, dict) or not isinstance(payload.get("valid"), bool):
        raise LicenceServerFailed("answer without a boolean 'valid'")
    if not payload["valid"]:
        return LicenceAnswer(valid=False, quota_mb=0, subscription_type=None, expires_at=None)
    quota = payload.get("quota_mb")
    if isinstance(quota, bool) or not isinstance(quota, int | float) or not math.isfinite(quota) or quota < 0:
        raise LicenceServerFailed("quota_mb is not a non-negative number")
    subscription = payload.get("subscription_type")
    if subscription is not None and not isinstance(subscription, str):
        raise LicenceServerFailed("subscription_type is not a string")
    return LicenceAnswer(
        valid=True,
        quota_mb=float(quota),
        subscription_type=subscription[:64] if subscription else None,
        expires_at=parse_expiry(payload.get("expires_at")),
    )


def parse_expiry(value: Any) -> datetime | None:
    if value in (None, ""):
        return None
    if not isinstance(value, str):
        raise LicenceServerFailed("expires_at is not a string")
    try:
        moment = datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError as exc:
        raise LicenceServerFailed("expires_at is not an ISO 8601 time") from exc
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)


def is_json(content_type: str) -> bool:
    media_type = content_type.split(";", 1)[0].strip().lower()
    return media_type == "application/json" or media_type.endswith("+json")


class LicenceClient:
    """One long-lived HTTP client; the whole check, retry included, fits in `timeout_s`."""

    def __init__(self, *, base_url: str, api_key: str, timeout_s: float, client: httpx.Client | None = None):
        self.url = base_url.rstrip("/") + "/user-quota"
        self.api_key = api_key
        self.timeout_s = timeout_s
        self.client = client or httpx.Client(
            timeout=httpx.Timeout(timeout_s, connect=min(1.0, timeout_s)),
            limits=httpx.Limits(max_connections=50, max_keepalive_connections=10),
        )

    def check(self, token: str) -> LicenceAnswer:
        deadline = time.monotonic() + self.timeout_s
        for attempt in (1, 2):  # one retry, on a connection error only
            remaining = deadline - time.monotonic()
            if remaining <= 0.05:
                break
            try:
                response = self.client.post(
                    self.url,
                    json={"token": token},
                    headers={"Authorization": f"Bearer {self.api_key}"},
                    timeout=httpx.Timeout(remaining, connect=min(1.0, remaining)),
                )
            except httpx.ConnectError as exc:
                log.warning("licence server unreachable (attempt %d): %s", attempt, exc.__class__.__name__)
                continue
            except httpx.HTTPError as exc:
                raise LicenceServerFailed(f"licence server error: {exc.__class__.__name__}") from exc
            return self._read(response)
        raise LicenceServerFailed("licence server unreachable")

    def _read(self, response: httpx.Response) -> LicenceAnswer:
        """Only a well-formed JSON answer is believed; anything else (an HTML error page, a proxy's 404,
        a wrong content type, JSON without the fields, a 5xx) is the server failing, never the token."""
        status = response.status_code
        if status in (401, 403):
            raise LicenceServerFailed(f"licence server refused our API key ({status})")
        if status not in (200, 404):
            raise LicenceServerFailed(f"licence server answered {status}")
        content_type = response.headers.get("content-type", "")
        if not is_json(content_type):
            raise LicenceServerFailed(f"licence server answered {status} as {content_type or 'no type'}")
        try:
            payload = response.json()
        except ValueError as exc:
            raise LicenceServerFailed(f"licence server answered {status} with invalid JSON") from exc
        answer = parse_answer(payload)
        if status == 404 and answer.valid:
            raise LicenceServerFailed("licence server answered 404 for a valid licence")
        return answer  # a 404 with {"valid": false}: some servers answer an unknown token so

    def close(self) -> None:
        self.client.close()
