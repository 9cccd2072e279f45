"""The pixpress client: a Python SDK (sync and async) and the bulk `pixpress optimize` command.

    from pixpress.client import Client
    with Client("http://127.0.0.1:8000", token) as client:
        result = client.optimize("photo.jpg", mode="glossy", format="webp")
        Path("photo.webp").write_bytes(result.data)

It imports nothing of the server: httpx, and rich and typer for the command.
"""

from pixpress.client.aio import AsyncClient
from pixpress.client.errors import (
    AuthError,
    ConnectionFailed,
    InvalidRequestError,
    NotFoundError,
    PixpressClientError,
    QuotaExceededError,
    RateLimitedError,
    ServerError,
    ServerUnavailableError,
    TaskFailed,
    TaskTimeout,
)
from pixpress.client.models import ImageSize, Quota, ResetResult, Result, SubmitResult, TaskStatus
from pixpress.client.policy import RetryPolicy
from pixpress.client.sync import Client

__all__ = [
    "AsyncClient",
    "AuthError",
    "Client",
    "ConnectionFailed",
    "ImageSize",
    "InvalidRequestError",
    "NotFoundError",
    "PixpressClientError",
    "Quota",
    "QuotaExceededError",
    "RateLimitedError",
    "ResetResult",
    "Result",
    "RetryPolicy",
    "ServerError",
    "ServerUnavailableError",
    "SubmitResult",
    "TaskFailed",
    "TaskStatus",
    "TaskTimeout",
]
