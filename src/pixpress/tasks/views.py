"""The public view of a task, as GET /status (and submit?wait=) answer it: the HTTP contract of a task.

Keys that only some tasks have (a finished task's result, a failed one's error, the variants and sizes
when there are any) are left out of the answer, not sent as null: build these models with only the
fields that apply and serialize them with exclude_unset (the routes do, via response_model_exclude_unset).
"""

from __future__ import annotations

from typing import Any, Literal

from pydantic import BaseModel

TaskStateName = Literal["queued", "processing", "done", "failed"]


class VariantView(BaseModel):
    format: str
    mime_type: str
    size: int
    width: int
    height: int
    quality: int | None
    score: float | None
    download_url: str
    # The encoder's parameters; "fallback": "original" or "plain" when the optimized file would have
    # been larger (imaging/never_bigger.py), "hdr_gain_map" for gain-map JPEGs (imaging/gain_map.py).
    encoder_settings: dict[str, Any] | None = None


class SizeView(BaseModel):
    name: str
    box: str | None
    crop: bool
    width: int
    height: int
    format: str
    mime_type: str
    size: int
    quality: int | None
    score: float | None
    download_url: str
    encoder_settings: dict[str, Any] | None = None  # as VariantView's
    variants: list[VariantView] | None = None  # only with format=auto


class TaskFailure(BaseModel):
    code: str | None
    message: str | None
    # Whether the upload's charge was kept: false (refunded) for every failure but a file that could not
    # be decoded past the token's free failures of the period (quota/failure_charges.py).
    charged: bool | None = None


class TaskStatus(BaseModel):
    task_id: str
    status: TaskStateName
    original_filename: str
    original_size: int
    input_format: str
    created_at: str | None
    expires_at: str | None
    # A finished task's result:
    optimized_size: int | None = None
    savings_bytes: int | None = None
    savings_percent: float | None = None
    width: int | None = None
    height: int | None = None
    format: str | None = None
    mime_type: str | None = None
    download_url: str | None = None
    quality: int | None = None
    score: float | None = None
    encoder_settings: dict[str, Any] | None = None
    finished_at: str | None = None
    variants: list[VariantView] | None = None  # only with format=auto
    sizes: list[SizeView] | None = None  # only for a submit with `sizes`
    # A failed task's error:
    error: TaskFailure | None = None

    def public(self) -> dict[str, Any]:
        """As a client receives it (absent keys left out)."""
        return self.model_dump(mode="json", exclude_unset=True)
