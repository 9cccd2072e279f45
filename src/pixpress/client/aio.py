"""The asynchronous client: the same calls as `Client`, awaited."""

from __future__ import annotations

import asyncio
import time
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Any

import httpx

from pixpress.client import calls
from pixpress.client.calls import Call
from pixpress.client.errors import PixpressClientError, TaskTimeout
from pixpress.client.models import Quota, ResetResult, Result, SubmitResult, TaskStatus, failure_of
from pixpress.client.policy import RetryPolicy, connection_failed, read


class AsyncClient:
    """`async with AsyncClient(base_url, token) as client: await client.optimize(...)`."""

    def __init__(
        self,
        base_url: str,
        token: str,
        *,
        timeout_s: float = 60.0,
        max_retries: int = 4,
        retry: RetryPolicy | None = None,
        transport: httpx.AsyncBaseTransport | None = None,
        sleep: Callable[[float], Awaitable[None]] = asyncio.sleep,
    ) -> None:
        self.base_url = base_url.rstrip("/")
        self.retry = retry or RetryPolicy(max_retries=max_retries)
        self.sleep = sleep
        self.http = httpx.AsyncClient(
            base_url=self.base_url, headers={"X-Token": token}, timeout=timeout_s, transport=transport
        )

    async def __aenter__(self) -> AsyncClient:
        return self

    async def __aexit__(self, *_: object) -> None:
        await self.close()

    async def close(self) -> None:
        await self.http.aclose()

    async def send(self, call: Call) -> Any:
        retries = 0
        waited_s = 0.0
        while True:
            try:
                response = await self.http.request(call.method, call.path, **call.httpx_kwargs())
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
            await self.sleep(delay)
            retries += 1
            waited_s += delay

    async def submit(
        self,
        path_or_bytes: str | Path | bytes,
        *,
        filename: str | None = None,
        idempotency_key: str | None = None,
        wait_s: float = 0,
        **options: Any,
    ) -> SubmitResult:
        call = calls.submit(
            path_or_bytes, filename=filename, idempotency_key=idempotency_key, wait_s=wait_s, options=options
        )
        return SubmitResult.from_data(await self.send(call))

    async def status(self, task_id: str) -> TaskStatus:
        return TaskStatus.from_data(await self.send(calls.status(task_id)))

    async def download(self, task_id: str, variant: str | None = None, *, size: str | None = None) -> bytes:
        """The result; `variant="webp"`: one made with format="auto"; `size="thumbnail"`: one of sizes=."""
        data: bytes = await self.send(calls.download(task_id, variant, size))
        return data

    async def delete(self, task_id: str) -> None:
        await self.send(calls.delete(task_id))

    async def quota(self) -> Quota:
        return Quota.from_data(await self.send(calls.quota()))

    async def refresh_quota(self) -> Quota:
        return Quota.from_data(await self.send(calls.refresh_quota()))

    async def reset_usage(self, token: str) -> ResetResult:
        return ResetResult.from_data(await self.send(calls.reset_usage(token)))

    async def wait(self, task_id: str, *, timeout_s: float = 300.0) -> TaskStatus:
        deadline = time.monotonic() + timeout_s
        delay = calls.POLL_START_S
        while True:
            status = await self.status(task_id)
            if status.finished:
                return status
            if time.monotonic() > deadline:
                raise TaskTimeout("task_timeout", f"task {task_id} not finished after {timeout_s:.0f} s")
            await self.sleep(delay)
            delay = calls.next_poll_delay_s(delay)

    async def optimize(
        self,
        path_or_bytes: str | Path | bytes,
        *,
        filename: str | None = None,
        idempotency_key: str | None = None,
        variant: str | None = None,
        timeout_s: float = 300.0,
        **options: Any,
    ) -> Result:
        submitted = await self.submit(
            path_or_bytes,
            filename=filename,
            idempotency_key=idempotency_key,
            wait_s=calls.SUBMIT_WAIT_S,
            **options,
        )
        if submitted.status.finished:
            status = submitted.status
        else:
            status = await self.wait(submitted.task_id, timeout_s=timeout_s)
        if (failure := failure_of(status)) is not None:
            raise failure
        data = await self.download(status.task_id, variant)
        sizes = {s.name: await self.download(status.task_id, size=s.name) for s in status.sizes}
        return Result(status=status, data=data, quota=submitted.quota, sizes=sizes)
