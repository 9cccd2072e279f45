"""Process-group directories: fresh for each head, locked while it lives, swept once it has ended."""

from __future__ import annotations

import fcntl
from collections.abc import Iterator
from pathlib import Path

import pytest

from pixpress.metrics import group


@pytest.fixture(autouse=True)
def _restore_group_state(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    # start_group sets process-wide state: put it back after each test.
    monkeypatch.setattr(group, "_joined", None)
    monkeypatch.setattr(group, "_lock", None)
    monkeypatch.setenv(group.ENV, "unset-by-the-test")
    yield
    if group._lock is not None:
        group._lock.close()


def make_group(root: Path, name: str, *, alive: bool) -> tuple[Path, object]:
    path = root / f"{group.PREFIX}{name}"
    path.mkdir(parents=True)
    (path / "counter_1.db").write_bytes(b"x")
    lock = (path / group.LOCK_NAME).open("w")
    if alive:
        fcntl.flock(lock, fcntl.LOCK_EX)
    else:
        lock.close()
    return path, lock


def test_start_group_takes_a_fresh_locked_directory_and_sweeps_ended_groups(tmp_path: Path) -> None:
    live, live_lock = make_group(tmp_path, "live", alive=True)
    ended, _ = make_group(tmp_path, "ended", alive=False)
    unlocked = tmp_path / f"{group.PREFIX}starting"  # no lock file yet: never swept
    unlocked.mkdir()
    path = group.start_group(tmp_path)
    assert path.parent == tmp_path and path.is_dir()
    assert sorted(p.name for p in path.iterdir()) == [group.LOCK_NAME]
    assert group.joined() == path
    assert live.exists() and unlocked.exists() and not ended.exists()
    # Our own group is held too: a second sweep keeps it.
    assert group.remove_ended_groups(tmp_path) == 0
    assert path.exists()
    live_lock.close()  # type: ignore[attr-defined]
    assert group.remove_ended_groups(tmp_path) == 1
    assert not live.exists()


def test_start_group_empties_a_stale_directory_with_its_own_pid(tmp_path: Path) -> None:
    import os

    stale = tmp_path / f"{group.PREFIX}{os.getpid()}"
    stale.mkdir()
    (stale / "counter_99.db").write_bytes(b"old")
    assert group.start_group(tmp_path) == stale
    assert not (stale / "counter_99.db").exists()


def test_join_group_and_mark_process_dead(tmp_path: Path) -> None:
    group.mark_process_dead(12345)  # not joined: nothing to do
    group.join_group(tmp_path)
    assert group.joined() == tmp_path
    gauge = tmp_path / "gauge_livemax_12345.db"
    counter = tmp_path / "counter_12345.db"
    gauge.write_bytes(b"x")
    counter.write_bytes(b"x")
    group.mark_process_dead(12345)
    assert not gauge.exists() and counter.exists()  # a dead process's counters still count
