"""The consumer's note of ended worker processes: a restart each, and their live gauges dropped."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

import pytest

from pixpress.metrics import group, record
from pixpress.tasks.worker_restarts import note_ended_workers


@dataclass
class FakeProcess:
    pid: int | None
    alive: bool

    def is_alive(self) -> bool:
        return self.alive


@dataclass
class FakeEnvironment:
    def is_alive(self, process: FakeProcess) -> bool:
        return process.is_alive()


@dataclass
class FakeConsumer:
    worker_threads: list[tuple[object, FakeProcess]]
    environment: FakeEnvironment = field(default_factory=FakeEnvironment)


def test_ended_workers_are_counted_and_marked_dead(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(group, "_joined", tmp_path)
    for pid in (101, 102):
        (tmp_path / f"gauge_livemax_{pid}.db").write_bytes(b"x")
    consumer = FakeConsumer(
        [(object(), FakeProcess(101, alive=False)), (object(), FakeProcess(102, alive=True))]
    )
    before = record.REGISTRY.get_sample_value("pixpress_worker_restarts_total") or 0
    assert note_ended_workers(consumer) == 1
    assert record.REGISTRY.get_sample_value("pixpress_worker_restarts_total") == before + 1
    assert not (tmp_path / "gauge_livemax_101.db").exists()
    assert (tmp_path / "gauge_livemax_102.db").exists()
