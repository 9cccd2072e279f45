"""The metrics directory of a process group: one `serve` or `worker` command and every process under it.

prometheus_client's multiprocess mode keeps each process's values in files of one directory and adds
them up at scrape time. It chooses that mode when it is first imported, from PROMETHEUS_MULTIPROC_DIR,
so a command joins its group here before anything imports prometheus_client. The directory must start
empty for each run (prometheus_client's documentation): the head of a group takes a fresh one of its own
under the metrics root, holds a lock on it for its life, and removes the ones whose group has ended. A
group's values are therefore those since its head started: a restart is a counter reset, which
Prometheus's rate() and increase() expect.
"""

from __future__ import annotations

import contextlib
import fcntl
import logging
import os
import shutil
from pathlib import Path
from typing import IO

log = logging.getLogger("pixpress.metrics")

ENV = "PROMETHEUS_MULTIPROC_DIR"
LOCK_NAME = ".group.lock"
PREFIX = "group-"

_joined: Path | None = None
_lock: IO[str] | None = None  # held open (and locked) for the life of the head process


def start_group(root: Path) -> Path:
    """As the head of a new group: a fresh directory under `root`, joined; ended groups' removed."""
    global _lock
    root.mkdir(parents=True, exist_ok=True)
    remove_ended_groups(root)
    path = root / f"{PREFIX}{os.getpid()}"
    shutil.rmtree(path, ignore_errors=True)  # an ended group's that had our pid
    path.mkdir()
    # Locked under a temporary name, then renamed: a lock file anyone can see is always held.
    pending = path / (LOCK_NAME + ".new")
    lock = pending.open("w")
    fcntl.flock(lock, fcntl.LOCK_EX)
    pending.rename(path / LOCK_NAME)
    _lock = lock
    join_group(path)
    return path


def join_group(path: Path) -> None:
    """Record into `path` from now on (this process and the ones it starts). Before prometheus_client
    is imported; joining another directory later has no effect on a process that already recorded."""
    global _joined
    os.environ[ENV] = str(path)  # read by prometheus_client itself, here and in child processes
    _joined = path


def joined() -> Path | None:
    """The group directory of this process; None when it records in memory alone (tests, tools)."""
    return _joined


def remove_ended_groups(root: Path) -> int:
    """Remove the directories under `root` whose head has ended (their lock can be taken)."""
    removed = 0
    for lock_path in root.glob(f"{PREFIX}*/{LOCK_NAME}"):
        try:
            with lock_path.open("a") as probe:
                fcntl.flock(probe, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except OSError:
            continue  # held: that group lives (or the file vanished under us)
        shutil.rmtree(lock_path.parent, ignore_errors=True)
        removed += 1
    if removed:
        log.info("removed the metrics of %d ended process groups under %s", removed, root)
    return removed


def mark_process_dead(pid: int) -> None:
    """A worker process of this group ended: its live gauges leave the sums (its counters stay)."""
    if _joined is None:
        return
    from prometheus_client import multiprocess

    with contextlib.suppress(OSError):
        multiprocess.mark_process_dead(pid, str(_joined))
