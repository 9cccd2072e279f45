"""What the client hands back: plain dataclasses over the server's JSON (`raw` keeps every field)."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from pixpress.client.errors import TaskFailed


@dataclass(frozen=True)
class Quota:
    quota_mb: float
    used_mb: float
    remaining_mb: float
    raw: dict[str, Any] = field(repr=False, default_factory=dict)

    @classmethod
    def from_data(cls, data: dict[str, Any]) -> Quota:
        limit = data.get("quota_mb", data.get("limit_mb", 0))
        return cls(
            quota_mb=float(limit),
            used_mb=float(data["used_mb"]),
            remaining_mb=float(data["remaining_mb"]),
            raw=data,
        )


@dataclass(frozen=True)
class ImageSize:
    """One copy made with `sizes=` (e.g. the thumbnail): download it with download(task_id, size=name)."""

    name: str
    width: int
    height: int
    format: str
    size: int  # bytes
    download_url: str
    crop: bool = False
    quality: int | None = None
    score: float | None = None
    raw: dict[str, Any] = field(repr=False, default_factory=dict)

    @classmethod
    def from_data(cls, data: dict[str, Any]) -> ImageSize:
        return cls(
            name=str(data["name"]),
            width=int(data["width"]),
            height=int(data["height"]),
            format=str(data["format"]),
            size=int(data["size"]),
            download_url=str(data.get("download_url", "")),
            crop=bool(data.get("crop", False)),
            quality=data.get("quality"),
            score=data.get("score"),
            raw=data,
        )


@dataclass(frozen=True)
class TaskStatus:
    task_id: str
    status: str  # queued | processing | done | failed
    raw: dict[str, Any] = field(repr=False, default_factory=dict)

    @property
    def finished(self) -> bool:
        return self.status in ("done", "failed")

    @property
    def original_size(self) -> int:
        return int(self.raw.get("original_size", 0))

    @property
    def optimized_size(self) -> int:
        return int(self.raw.get("optimized_size", 0))

    @property
    def savings_percent(self) -> float:
        return float(self.raw.get("savings_percent", 0.0))

    @property
    def format(self) -> str | None:
        value = self.raw.get("format")
        return str(value) if value else None

    @property
    def variants(self) -> list[dict[str, Any]]:
        """With format=auto: one entry per format made ({format, size, download_url})."""
        return list(self.raw.get("variants") or [])

    @property
    def sizes(self) -> list[ImageSize]:
        """With sizes=...: one entry per size made, in the order asked."""
        return [ImageSize.from_data(item) for item in self.raw.get("sizes") or []]

    @property
    def reused(self) -> bool:
        """In a submit's answer: the same bytes and options were sent before and that task is answered,
        not charged again."""
        return self.raw.get("reused") is True

    @property
    def failure_charged(self) -> bool:
        """A failed task whose upload stays charged (past the token's free failures of the period)."""
        error = self.raw.get("error")
        return isinstance(error, dict) and error.get("charged") is True

    @classmethod
    def from_data(cls, data: dict[str, Any]) -> TaskStatus:
        return cls(task_id=str(data["task_id"]), status=str(data["status"]), raw=data)


@dataclass(frozen=True)
class SubmitResult:
    task_id: str
    status: TaskStatus  # "queued", or already finished when ?wait was given and the task ended in time
    quota: Quota | None  # the token's quota after this upload was charged

    @classmethod
    def from_data(cls, data: dict[str, Any]) -> SubmitResult:
        quota = Quota.from_data(data["quota_info"]) if isinstance(data.get("quota_info"), dict) else None
        return cls(task_id=str(data["task_id"]), status=TaskStatus.from_data(data), quota=quota)


@dataclass(frozen=True)
class ResetResult:
    token: str
    old_usage_mb: float
    new_usage_mb: float
    quota_mb: float
    remaining_mb: float

    @classmethod
    def from_data(cls, data: dict[str, Any]) -> ResetResult:
        return cls(
            token=str(data["token"]),
            old_usage_mb=float(data["old_usage_mb"]),
            new_usage_mb=float(data["new_usage_mb"]),
            quota_mb=float(data["quota_mb"]),
            remaining_mb=float(data["remaining_mb"]),
        )


@dataclass(frozen=True)
class Result:
    """A finished optimization: its status and the optimized bytes."""

    status: TaskStatus
    data: bytes
    quota: Quota | None = None
    sizes: dict[str, bytes] = field(default_factory=dict)  # with sizes=...: name -> the bytes of that size

    @property
    def savings_percent(self) -> float:
        return self.status.savings_percent


def failure_of(status: TaskStatus) -> TaskFailed | None:
    """The server's error of a failed task, as an exception; None when it did not fail."""
    if status.status != "failed":
        return None
    error = status.raw.get("error")
    error = error if isinstance(error, dict) else {}
    code = str(error.get("code") or status.raw.get("error_code") or "task_failed")
    message = str(error.get("message") or status.raw.get("error_message") or "the task failed")
    return TaskFailed(
        code, message, status=200, details={"task_id": status.task_id, "charged": status.failure_charged}
    )
