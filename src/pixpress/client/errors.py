"""Errors the client raises, carrying the server's stable error code.

PixpressClientError (code, message, status, details)
├── AuthError               401/403: token_missing, invalid_token, subscription_expired, admin_required
├── NotFoundError           404: task_not_found
├── InvalidRequestError     413/415/422: file_too_large, unsupported_format, invalid_image, ...
├── QuotaExceededError      429 quota_exceeded (never retried)
├── RateLimitedError        429 too_many_pending, rate_limited (retried, honouring Retry-After)
├── ServerError             500 and other 5xx answers (not retried: the same request fails again)
│   └── ServerUnavailableError  502/503/504, license_server_unavailable (retried, honouring Retry-After)
├── ConnectionFailed        the server could not be reached (retried when the call is idempotent)
├── TaskFailed              the task ended in `failed` (the code is the server's, e.g. invalid_image)
└── TaskTimeout             the task did not finish within the client's wait
"""

from __future__ import annotations

from typing import Any


class PixpressClientError(Exception):
    def __init__(self, code: str, message: str, *, status: int = 0, details: dict[str, Any] | None = None):
        super().__init__(f"{code}: {message}")
        self.code = code
        self.message = message
        self.status = status
        self.details = details or {}


class AuthError(PixpressClientError):
    pass


class NotFoundError(PixpressClientError):
    pass


class InvalidRequestError(PixpressClientError):
    pass


class QuotaExceededError(PixpressClientError):
    pass


class RateLimitedError(PixpressClientError):
    pass


class ServerError(PixpressClientError):
    pass


class ServerUnavailableError(ServerError):
    pass


class ConnectionFailed(PixpressClientError):
    pass


class TaskFailed(PixpressClientError):
    pass


class TaskTimeout(PixpressClientError):
    pass


def error_for(status: int, body: Any) -> PixpressClientError:
    """Turn an error answer into the typed exception for its code."""
    error = body.get("error") if isinstance(body, dict) else None
    if not isinstance(error, dict):
        error = {"code": f"http_{status}", "message": f"HTTP {status}"}
    code = str(error.get("code", f"http_{status}"))
    message = str(error.get("message", ""))
    details = {k: v for k, v in error.items() if k not in ("code", "message")}
    if code == "quota_exceeded":
        kind: type[PixpressClientError] = QuotaExceededError
    elif status == 429:
        kind = RateLimitedError
    elif status in (401, 403):
        kind = AuthError
    elif status == 404:
        kind = NotFoundError
    elif status in (502, 503, 504) or code == "license_server_unavailable":
        kind = ServerUnavailableError
    elif status >= 500:
        kind = ServerError
    else:
        kind = InvalidRequestError
    return kind(code, message, status=status, details=details)
