"""No worker process forked in the middle of the consumer's own database work.

huey forks a replacement worker process from the consumer whenever one dies, and the consumer's own
thread runs the periodic jobs (lease re-queue, cleanup, ledger check) on SQLite. SQLite keeps a
process's locks and open files in library-wide memory that fork() copies: a worker forked while a job
held a write lock inherits a lock nobody in it will ever release, and every write it makes waits out
the busy timeout ("database is locked", so no task is ever claimed); one forked while a connection was
open shares that connection's file with the consumer. So the consumer runs each job inside `between_forks`,
which a fork waits for, and closes its connections after each job: a fork finds none open.
"""

from __future__ import annotations

import os
import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager

_gate = threading.RLock()
_installed = False


def install() -> None:
    """Make every fork of this process wait until no job is inside `between_forks` (once per process)."""
    global _installed
    if not _installed:
        os.register_at_fork(before=_before_fork, after_in_parent=_after_in_parent, after_in_child=_fresh_gate)
        _installed = True


@contextmanager
def between_forks(release: Callable[[], None]) -> Iterator[None]:
    """Hold forks off for the body, then run `release` (close the connections the body opened)."""
    with _gate:
        try:
            yield
        finally:
            release()


def _before_fork() -> None:
    _gate.acquire()


def _after_in_parent() -> None:
    _gate.release()


def _fresh_gate() -> None:
    # The child's copy is held by the thread that forked; the child starts with an open gate.
    global _gate
    _gate = threading.RLock()
