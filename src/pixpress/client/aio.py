"""The asynchronous client: the same calls as `Client`, awaited."""

from __future__ import annotations

import asyncio
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
from pixpress.client.sync import POLL_MAX_S, POLL_START_S


class AsyncClient:
    def __init__(
        self,
        base_url: str,
        token: str,
        *,
        timeout_s: float = 60.0,
        retry: RetryPolicy | None = None,
        transport: httpx.AsyncBaseTransport | None = None,
    ) -> None:
        self.base_url = base_url.rstrip("/")
        self.retry = retry or RetryPolicy()
        self.http = httpx.AsyncClient(
            base_url=self.base_url, headers={"X-Token": token}, timeout=timeout_s, transport=transport
        )

    async def __aenter__(self) -> AsyncClient:
        return self

    async def __aexit__(self, *_: object) -> None:
        await self.close()

    async def close(self) -> None:
        await self.http.aclose()

    async def _request(self, method: str, path: str, *, raw: bool = False, **kwargs: Any) -> Any:
        attempt = 0
        while True:
            attempt += 1
            try:
                response = await self.http.request(method, path, **kwargs)
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
            await asyncio.sleep(delay)

    async def submit(
        self,
        path_or_bytes: str | Path | bytes,
        *,
        filename: str | None = None,
        idempotency_key: str | None = None,
        wait_s: float = 0,
        **options: Any,
    ) -> SubmitResult:
        name, data = upload_of(path_or_bytes, filename)
        answer = await self._request(
            "POST",
            "/api/optimize/submit",
            params={"wait": wait_s} if wait_s else None,
            files={"file": (name, data, "application/octet-stream")},
            data=submit_fields(options),
            headers={"Idempotency-Key": idempotency_key or new_idempotency_key()},
        )
        quota = Quota.from_data(answer["quota_info"]) if "quota_info" in answer else None
        return SubmitResult(task_id=answer["task_id"], status=TaskStatus.from_data(answer), quota=quota)

    async def status(self, task_id: str) -> TaskStatus:
        return TaskStatus.from_data(await self._request("GET", f"/api/optimize/status/{task_id}"))

    async def download(self, task_id: str, variant: str | None = None) -> bytes:
        params = {"variant": variant} if variant else None
        data: bytes = await self._request("GET", f"/api/optimize/download/{task_id}", raw=True, params=params)
        return data

    async def delete(self, task_id: str) -> None:
        await self._request("DELETE", f"/api/optimize/task/{task_id}")

    async def quota(self) -> Quota:
        return Quota.from_data(await self._request("GET", "/api/optimize/quota"))

    async def refresh_quota(self) -> Quota:
        return Quota.from_data(await self._request("POST", "/api/optimize/refresh-quota"))

    async def wait(self, task_id: str, *, timeout_s: float = 300.0) -> TaskStatus:
        deadline = time.monotonic() + timeout_s
        delay = POLL_START_S
        while True:
            status = await self.status(task_id)
            if status.finished:
                return status
            if time.monotonic() > deadline:
                raise ConnectionFailed("timeout", f"task {task_id} not finished after {timeout_s:.0f} s")
            await asyncio.sleep(delay)
            delay = min(delay * 1.5, POLL_MAX_S)

    async def optimize(
        self, path_or_bytes: str | Path | bytes, *, variant: str | None = None, **options: Any
    ) -> Result:
        submitted = await self.submit(path_or_bytes, wait_s=10, **options)
        status = submitted.status if submitted.status.finished else await self.wait(submitted.task_id)
        if status.status == "failed":
            error = status.raw.get("error") or {}
            raise TaskFailed(str(error.get("code", "failed")), str(error.get("message", "")), status=200)
        return Result(status=status, data=await self.download(status.task_id, variant))
