"""Every error pixpress reports to a client, one class per stable error code.

PixpressError                      (code, HTTP status, public message)
├── TokenMissing                   401 token_missing
├── InvalidToken                   401 invalid_token
├── SubscriptionExpired            403 subscription_expired
├── AdminRequired                  403 admin_required
├── TaskNotFound                   404 task_not_found
├── TaskNotReady                   409 task_not_ready
├── FileTooLarge                   413 file_too_large
├── ImageTooLarge                  413 image_too_large
├── UnsupportedFormat              415 unsupported_format
├── InvalidImage                   422 invalid_image
├── InvalidOption                  422 invalid_option
├── QuotaExceeded                  429 quota_exceeded
├── TooManyPending                 429 too_many_pending
├── TooManyFailures                429 too_many_failures   (no longer sent; kept for clients)
├── RateLimited                    429 rate_limited
├── LicenseServerUnavailable       503 license_server_unavailable
├── ServiceUnavailable             503 service_unavailable
├── TaskTimeout                    500 task_timeout        (a task outcome)
├── WorkerLost                     500 worker_lost         (a task outcome)
└── InternalError                  500 internal_error      (a task outcome)

A task that fails is refunded (tasks/runner.py), except one whose file could not be decoded (invalid_image,
unsupported_format found by the worker) once the token's free failures of the period are used up: its
charge is kept (quota/failure_charges.py). Nothing is refused for earlier failures: too_many_failures,
which older versions sent past a failure limit per hour, is no longer raised; the code stays documented
because clients map it.

The API turns any of these into the JSON envelope in one handler; services raise them and never
HTTP exceptions. Adapters do too: a database, Redis or S3 server that cannot be reached is reported by
its adapter as ServiceUnavailable with a `reason` (backend_unavailable below), so nothing above the
adapters knows a driver's exception classes. `details` is merged into the error object of the envelope,
`headers` into the response.
"""

from __future__ import annotations

from typing import Any, ClassVar


class PixpressError(Exception):
    code: ClassVar[str] = "internal_error"
    status: ClassVar[int] = 500
    message: ClassVar[str] = "Something went wrong on our side."

    def __init__(
        self,
        message: str | None = None,
        *,
        details: dict[str, Any] | None = None,
        headers: dict[str, str] | None = None,
    ) -> None:
        self.public_message = message or self.message
        self.details = details or {}
        self.headers = headers or {}
        super().__init__(self.public_message)


class TokenMissing(PixpressError):
    code, status, message = "token_missing", 401, "A token is required (X-Token or Authorization: Bearer)."


class InvalidToken(PixpressError):
    code, status, message = "invalid_token", 401, "This token is not valid."


class SubscriptionExpired(PixpressError):
    code, status, message = "subscription_expired", 403, "The subscription for this token has expired."


class AdminRequired(PixpressError):
    code, status, message = "admin_required", 403, "This call needs an admin token."


class TaskNotFound(PixpressError):
    code, status, message = "task_not_found", 404, "No such task."


class TaskNotReady(PixpressError):
    code, status, message = "task_not_ready", 409, "The task has not finished yet."


class FileTooLarge(PixpressError):
    code, status, message = "file_too_large", 413, "The upload is larger than the allowed size."


class ImageTooLarge(PixpressError):
    code, status, message = "image_too_large", 413, "The image has too many pixels or frames."


class UnsupportedFormat(PixpressError):
    code, status, message = (
        "unsupported_format",
        415,
        "Unsupported image format: send JPEG, PNG, WebP, GIF or AVIF.",
    )


class InvalidImage(PixpressError):
    code, status, message = "invalid_image", 422, "The file is not a readable image (truncated or corrupt)."


class InvalidOption(PixpressError):
    code, status, message = "invalid_option", 422, "An option has an invalid value."


class QuotaExceeded(PixpressError):
    code, status, message = "quota_exceeded", 429, "The monthly quota of this token is used up."


class TooManyPending(PixpressError):
    code, status, message = "too_many_pending", 429, "Too many unfinished tasks for this token."


class TooManyFailures(PixpressError):
    """Not raised since failures past the free allowance are charged instead of refused (a token is never
    refused valid work for its earlier bad files); kept so the code keeps one meaning for clients."""

    code, status, message = (
        "too_many_failures",
        429,
        "Too many of this token's recent uploads failed; retry later.",
    )


class RateLimited(PixpressError):
    code, status, message = "rate_limited", 429, "Too many requests; retry later."


class LicenseServerUnavailable(PixpressError):
    code, status, message = (
        "license_server_unavailable",
        503,
        "The licence server cannot be reached to verify this token; retry later.",
    )


class ServiceUnavailable(PixpressError):
    code, status, message = "service_unavailable", 503, "The service is not ready."
    refundable = True  # a backend down is not the customer's doing: a task failing so is refunded


BACKEND_UNREACHABLE = "A backend pixpress depends on is unreachable; retry later."
RETRY_BACKEND_AFTER_S = 5


def backend_unavailable(reason: str, message: str = BACKEND_UNREACHABLE) -> ServiceUnavailable:
    """A backend down is not a bug: 503 with its `reason` (database_unavailable, redis_unavailable,
    queue_unavailable, storage_unavailable), and the client may retry."""
    return ServiceUnavailable(
        message, details={"reason": reason}, headers={"Retry-After": str(RETRY_BACKEND_AFTER_S)}
    )


class TaskTimeout(PixpressError):
    code, status, message = "task_timeout", 500, "Optimization took longer than allowed."


class WorkerLost(PixpressError):
    code, status, message = "worker_lost", 500, "The worker processing this task was lost."


class InternalError(PixpressError):
    code, status, message = "internal_error", 500, "Something went wrong on our side."


ERRORS_BY_CODE: dict[str, type[PixpressError]] = {
    cls.code: cls
    for cls in (
        TokenMissing,
        InvalidToken,
        SubscriptionExpired,
        AdminRequired,
        TaskNotFound,
        TaskNotReady,
        FileTooLarge,
        ImageTooLarge,
        UnsupportedFormat,
        InvalidImage,
        InvalidOption,
        QuotaExceeded,
        TooManyPending,
        TooManyFailures,
        RateLimited,
        LicenseServerUnavailable,
        ServiceUnavailable,
        TaskTimeout,
        WorkerLost,
        InternalError,
    )
}
