"""The HTTP calls of the API as plain data, so the sync and async clients send the very same requests."""

from __future__ import annotations

import uuid
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

OPTION_NAMES = (
    "mode",
    "quality",
    "format",
    "max_width",
    "max_height",
    "keep_metadata",
    "accept",
    "sizes",
    "accept_for",
)
POLL_START_S = 0.2
POLL_MAX_S = 2.0
POLL_FACTOR = 1.5
SUBMIT_WAIT_S = 10.0  # optimize(): ?wait=N, the server answers inline when the task ends in time


@dataclass(frozen=True)
class Call:
    method: str
    path: str
    idempotent: bool  # safe to send again when the connection broke after the request went out
    raw: bool = False  # the answer is bytes (download), not a JSON envelope
    params: dict[str, Any] | None = None
    headers: dict[str, str] = field(default_factory=dict)
    files: dict[str, tuple[str, bytes, str]] | None = None
    data: dict[str, str] | None = None
    json: dict[str, Any] | None = None

    def httpx_kwargs(self) -> dict[str, Any]:
        kwargs: dict[str, Any] = {"params": self.params, "headers": self.headers}
        for name in ("files", "data", "json"):
            if getattr(self, name) is not None:
                kwargs[name] = getattr(self, name)
        return kwargs


def submit(
    path_or_bytes: str | Path | bytes,
    *,
    filename: str | None,
    idempotency_key: str | None,
    wait_s: float,
    options: dict[str, Any],
) -> Call:
    name, data = upload_of(path_or_bytes, filename)
    return Call(
        "POST",
        "/api/optimize/submit",
        # One key for every retry of this submit: the server charges it once, so it is idempotent.
        idempotent=True,
        params={"wait": _number(wait_s)} if wait_s else None,
        headers={"Idempotency-Key": idempotency_key or new_idempotency_key()},
        files={"file": (name, data, "application/octet-stream")},
        data=submit_fields(options),
    )


def status(task_id: str) -> Call:
    return Call("GET", f"/api/optimize/status/{task_id}", idempotent=True)


def download(task_id: str, variant: str | None, size: str | None = None) -> Call:
    params = {k: v for k, v in (("variant", variant), ("size", size)) if v} or None
    return Call("GET", f"/api/optimize/download/{task_id}", idempotent=True, raw=True, params=params)


def delete(task_id: str) -> Call:
    return Call("DELETE", f"/api/optimize/task/{task_id}", idempotent=True)


def quota() -> Call:
    return Call("GET", "/api/optimize/quota", idempotent=True)


def refresh_quota() -> Call:
    return Call("POST", "/api/optimize/refresh-quota", idempotent=True)


def reset_usage(token: str) -> Call:
    # Not idempotent: a second reset after a lost answer would report old_usage 0, hiding the first.
    return Call("POST", "/api/optimize/reset-usage", idempotent=False, json={"token": token})


def submit_fields(options: dict[str, Any]) -> dict[str, str]:
    fields: dict[str, str] = {}
    for name, value in options.items():
        if name not in OPTION_NAMES:
            raise TypeError(f"unknown option {name!r} (known: {', '.join(OPTION_NAMES)})")
        if value is None:
            continue
        if isinstance(value, bool):
            value = str(value).lower()
        if isinstance(value, set | frozenset):
            value = sorted(value)
        fields[name] = ",".join(value) if isinstance(value, list | tuple) else str(value)
    return fields


def upload_of(path_or_bytes: str | Path | bytes, filename: str | None) -> tuple[str, bytes]:
    if isinstance(path_or_bytes, bytes | bytearray):
        return filename or "image", bytes(path_or_bytes)
    path = Path(path_or_bytes)
    return filename or path.name, path.read_bytes()


def new_idempotency_key() -> str:
    return str(uuid.uuid4())


def next_poll_delay_s(delay_s: float) -> float:
    return min(delay_s * POLL_FACTOR, POLL_MAX_S)


def _number(value: float) -> int | float:
    return int(value) if float(value).is_integer() else value
