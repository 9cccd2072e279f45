"""The synchronous client."""

from __future__ import annotations

import time
from pathlib import Path
from typing import Any

import httpx

from pixpress.client.errors import ConnectionFailed, PixpressClientError, TaskFailed
from pixpress.client.models import Quota, Result, SubmitResult, TaskStatus
from pixpress.client.policy import (
    RetryPolicy,
    connection_failed,
    new_idempotency_key,
    read,
    submit_fields,
    upload_of,
)

POLL_START_S = 0.2
POLL_MAX_S = 2.0


class Client:
    """pixpress over HTTP: `Client(base_url, token).optimize("photo.jpg")`."""

    def __init__(
        self,
        base_url: str,
        token: str,
        *,
        timeout_s: float = 60.0,
        retry: RetryPolicy | None = None,
        transport: httpx.BaseTransport | None = None,
        sleep: Any = time.sleep,
    ) -> None:
        self.base_url = base_url.rstrip("/")
        self.retry = retry or RetryPolicy()
        self.sleep = sleep
        self.http = httpx.Client(
            base_url=self.base_url, headers={"X-Token": token}, timeout=timeout_s, transport=transport
        )

    def __enter__(self) -> Client:
        return self

    def __exit__(self, *_: object) -> None:
        self.close()

    def close(self) -> None:
        self.http.close()

    def _call(self, method: str, path: str, *, raw: bool = False, **kwargs: Any) -> Any:
        """One call with the retry policy; `raw` hands back the body of a 200 as bytes."""
        attempt = 0
        while True:
            attempt += 1
            try:
                response = self.http.request(method, path, **kwargs)
                if raw and response.status_code == 200:
                    return response.content
                return read(response)
            except httpx.TransportError as exc:
                error: PixpressClientError = connection_failed(exc, self.base_url)
            except PixpressClientError as exc:
                error = exc
            delay = self.retry.delay_s(error, attempt)
            if delay is None:
                raise error
            self.sleep(delay)

    def submit(
        self,
        path_or_bytes: str | Path | bytes,
        *,
        filename: str | None = None,
        idempotency_key: str | None = None,
        wait_s: float = 0,
        **options: Any,
    ) -> SubmitResult:
        name, data = upload_of(path_or_bytes, filename)
        # One key for every retry of this submit: the server charges it once.
        headers = {"Idempotency-Key": idempotency_key or new_idempotency_key()}
        answer = self._call(
            "POST",
            "/api/optimize/submit",
            params={"wait": wait_s} if wait_s else None,
            files={"file": (name, data, "application/octet-stream")},
            data=submit_fields(options),
            headers=headers,
        )
        quota = Quota.from_data(answer["quota_info"]) if "quota_info" in answer else None
        return SubmitResult(task_id=answer["task_id"], status=TaskStatus.from_data(answer), quota=quota)

    def status(self, task_id: str) -> TaskStatus:
        return TaskStatus.from_data(self._call("GET", f"/api/optimize/status/{task_id}"))

    def download(self, task_id: str, variant: str | None = None) -> bytes:
        params = {"variant": variant} if variant else None
        data: bytes = self._call("GET", f"/api/optimize/download/{task_id}", raw=True, params=params)
        return data

    def delete(self, task_id: str) -> None:
        self._call("DELETE", f"/api/optimize/task/{task_id}")

    def quota(self) -> Quota:
        return Quota.from_data(self._call("GET", "/api/optimize/quota"))

    def refresh_quota(self) -> Quota:
        return Quota.from_data(self._call("POST", "/api/optimize/refresh-quota"))

    def reset_usage(self, token: str) -> dict[str, Any]:
        """Admin: close the token's period (this client's token must be an admin token)."""
        data: dict[str, Any] = self._call("POST", "/api/optimize/reset-usage", json={"token": token})
        return data

    def wait(self, task_id: str, *, timeout_s: float = 300.0) -> TaskStatus:
        deadline = time.monotonic() + timeout_s
        delay = POLL_START_S
        while True:
            status = self.status(task_id)
            if status.finished:
                return status
            if time.monotonic() > deadline:
                raise ConnectionFailed("timeout", f"task {task_id} not finished after {timeout_s:.0f} s")
            self.sleep(delay)
            delay = min(delay * 1.5, POLL_MAX_S)

    def optimize(
        self, path_or_bytes: str | Path | bytes, *, variant: str | None = None, **options: Any
    ) -> Result:
        """Submit, wait for the result, download it."""
        submitted = self.submit(path_or_bytes, wait_s=10, **options)
        status = submitted.status if submitted.status.finished else self.wait(submitted.task_id)
        if status.status == "failed":
            error = status.raw.get("error") or {}
            raise TaskFailed(str(error.get("code", "failed")), str(error.get("message", "")), status=200)
        return Result(status=status, data=self.download(status.task_id, variant))
