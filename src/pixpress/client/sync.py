"""The synchronous client."""

from __future__ import annotations

import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import httpx

from pixpress.client import calls
from pixpress.client.calls import Call
from pixpress.client.errors import PixpressClientError, TaskTimeout
from pixpress.client.models import Quota, ResetResult, Result, SubmitResult, TaskStatus, failure_of
from pixpress.client.policy import RetryPolicy, connection_failed, read


class Client:
    """pixpress over HTTP: `Client(base_url, token).optimize("photo.jpg")`.

    `max_retries` bounds the retries of one call (see RetryPolicy); pass `retry=` for the whole policy.
    `transport` and `sleep` are for tests (httpx.MockTransport, a recording sleep).
    """

    def __init__(
        self,
        base_url: str,
        token: str,
        *,
        timeout_s: float = 60.0,
        max_retries: int = 4,
        retry: RetryPolicy | None = None,
        transport: httpx.BaseTransport | None = None,
        sleep: Callable[[float], None] = time.sleep,
    ) -> None:
        self.base_url = base_url.rstrip("/")
        self.retry = retry or RetryPolicy(max_retries=max_retries)
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

    def send(self, call: Call) -> Any:
        """One call under the retry policy: the `data` of the envelope, or bytes for a raw call."""
        retries = 0
        waited_s = 0.0
        while True:
            try:
                response = self.http.request(call.method, call.path, **call.httpx_kwargs())
                if call.raw and response.status_code == 200:
                    return response.content
                return read(response)
            except httpx.TransportError as exc:
                error: PixpressClientError = connection_failed(exc, self.base_url)
            except PixpressClientError as exc:
                error = exc
            delay = self.retry.delay_s(
                error, retries_done=retries, waited_s=waited_s, idempotent=call.idempotent
            )
            if delay is None:
                raise error
            self.sleep(delay)
            retries += 1
            waited_s += delay

    def submit(
        self,
        path_or_bytes: str | Path | bytes,
        *,
        filename: str | None = None,
        idempotency_key: str | None = None,
        wait_s: float = 0,
        **options: Any,
    ) -> SubmitResult:
        """Upload one image. Options: mode, quality, format, max_width, max_height, keep_metadata, accept,
        sizes ("thumbnail:150x150:crop,medium:300x300" or a list of such entries).
        The Idempotency-Key (a uuid4 unless given) is the same for every retry: charged once."""
        call = calls.submit(
            path_or_bytes, filename=filename, idempotency_key=idempotency_key, wait_s=wait_s, options=options
        )
        return SubmitResult.from_data(self.send(call))

    def status(self, task_id: str) -> TaskStatus:
        return TaskStatus.from_data(self.send(calls.status(task_id)))

    def download(self, task_id: str, variant: str | None = None, *, size: str | None = None) -> bytes:
        """The result; `variant="webp"`: one made with format="auto"; `size="thumbnail"`: one of sizes=."""
        data: bytes = self.send(calls.download(task_id, variant, size))
        return data

    def delete(self, task_id: str) -> None:
        self.send(calls.delete(task_id))

    def quota(self) -> Quota:
        return Quota.from_data(self.send(calls.quota()))

    def refresh_quota(self) -> Quota:
        return Quota.from_data(self.send(calls.refresh_quota()))

    def reset_usage(self, token: str) -> ResetResult:
        """Admin: close `token`'s period (this client's own token must be an admin token)."""
        return ResetResult.from_data(self.send(calls.reset_usage(token)))

    def wait(self, task_id: str, *, timeout_s: float = 300.0) -> TaskStatus:
        """Poll until the task is done or failed, backing off from 0.2 s to 2 s between polls."""
        deadline = time.monotonic() + timeout_s
        delay = calls.POLL_START_S
        while True:
            status = self.status(task_id)
            if status.finished:
                return status
            if time.monotonic() > deadline:
                raise TaskTimeout("task_timeout", f"task {task_id} not finished after {timeout_s:.0f} s")
            self.sleep(delay)
            delay = calls.next_poll_delay_s(delay)

    def optimize(
        self,
        path_or_bytes: str | Path | bytes,
        *,
        filename: str | None = None,
        idempotency_key: str | None = None,
        variant: str | None = None,
        timeout_s: float = 300.0,
        **options: Any,
    ) -> Result:
        """Submit (waiting inline up to 10 s), poll until finished, download (with sizes=..., every size
        too: Result.sizes). Raises TaskFailed with the server's code when the task failed."""
        submitted = self.submit(
            path_or_bytes,
            filename=filename,
            idempotency_key=idempotency_key,
            wait_s=calls.SUBMIT_WAIT_S,
            **options,
        )
        status = (
            submitted.status
            if submitted.status.finished
            else self.wait(submitted.task_id, timeout_s=timeout_s)
        )
        if (failure := failure_of(status)) is not None:
            raise failure
        data = self.download(status.task_id, variant)
        sizes = {s.name: self.download(status.task_id, size=s.name) for s in status.sizes}
        return Result(status=status, data=data, quota=submitted.quota, sizes=sizes)
