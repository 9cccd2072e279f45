"""What sync and async clients share: answers to data or typed errors, and when to retry."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx

from pixpress.client.errors import (
    ConnectionFailed,
    PixpressClientError,
    RateLimitedError,
    ServerUnavailableError,
    error_for,
)

OPTION_NAMES = ("mode", "quality", "format", "max_width", "max_height", "keep_metadata", "accept")


@dataclass(frozen=True)
class RetryPolicy:
    max_attempts: int = 5
    max_delay_s: float = 30.0  # a Retry-After longer than this is capped
    base_delay_s: float = 0.5

    def delay_s(self, error: PixpressClientError, attempt: int) -> float | None:
        """Seconds to wait before the next attempt, or None to give up now."""
        if attempt >= self.max_attempts:
            return None
        if not isinstance(error, RateLimitedError | ServerUnavailableError | ConnectionFailed):
            return None  # quota_exceeded, bad input, auth: retrying cannot help
        retry_after = error.details.get("retry_after_s")
        if isinstance(retry_after, int | float) and retry_after >= 0:
            return float(min(retry_after, self.max_delay_s))
        return float(min(self.base_delay_s * 2 ** (attempt - 1), self.max_delay_s))


def read(response: httpx.Response) -> Any:
    """The `data` of a success envelope; a typed error otherwise."""
    try:
        body = response.json()
    except ValueError:
        body = None
    if response.status_code == 200 and isinstance(body, dict) and body.get("success") is True:
        return body.get("data", {})
    error = error_for(response.status_code, body)
    retry_after = response.headers.get("retry-after")
    if retry_after and retry_after.isdigit():
        error.details["retry_after_s"] = int(retry_after)
    return _raise(error)


def _raise(error: PixpressClientError) -> Any:
    raise error


def connection_failed(exc: httpx.TransportError, base_url: str) -> ConnectionFailed:
    return ConnectionFailed(
        "connection_failed", f"cannot reach pixpress at {base_url} ({exc.__class__.__name__})", status=0
    )


def submit_fields(options: dict[str, Any]) -> dict[str, str]:
    fields: dict[str, str] = {}
    for name, value in options.items():
        if name not in OPTION_NAMES:
            raise TypeError(f"unknown option {name!r} (known: {', '.join(OPTION_NAMES)})")
        if value is None:
            continue
        fields[name] = ",".join(value) if isinstance(value, list | tuple | set) else str(value)
    return fields


def upload_of(path_or_bytes: str | Path | bytes, filename: str | None) -> tuple[str, bytes]:
    if isinstance(path_or_bytes, bytes | bytearray):
        return filename or "image", bytes(path_or_bytes)
    path = Path(path_or_bytes)
    return filename or path.name, path.read_bytes()


def new_idempotency_key() -> str:
    return str(uuid.uuid4())
