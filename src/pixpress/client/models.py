"""What the client hands back: plain dataclasses over the server's JSON."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any


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
class TaskStatus:
    task_id: str
    status: str
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
    def format(self) -> str | None:
        return self.raw.get("format")

    @property
    def variants(self) -> list[dict[str, Any]]:
        return list(self.raw.get("variants", []))

    @classmethod
    def from_data(cls, data: dict[str, Any]) -> TaskStatus:
        return cls(task_id=str(data["task_id"]), status=str(data["status"]), raw=data)


@dataclass(frozen=True)
class SubmitResult:
    task_id: str
    status: TaskStatus
    quota: Quota | None


@dataclass(frozen=True)
class Result:
    """A finished optimization: its status and the optimized bytes."""

    status: TaskStatus
    data: bytes

    @property
    def savings_percent(self) -> float:
        return float(self.status.raw.get("savings_percent", 0.0))
