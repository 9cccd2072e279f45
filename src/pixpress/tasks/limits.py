"""What keeps one task from taking a worker, or the machine, with it.

- Time: the deadline is checked between imaging steps and inside libvips (imaging/deadline.py);
  SIGALRM raises TaskTimeout at the next Python instruction past the limit; and a watchdog thread
  ends the worker process when even that did not happen (a long C call that checks neither: an
  encoder deep in a frame, a NumPy operation). pyvips and NumPy release the GIL in those calls, so the
  watchdog runs; it records the task as failed with task_timeout first, then exits, and the consumer
  starts a fresh worker process within a second (tasks/queue.py).
- Memory: each worker process runs under RLIMIT_DATA (PIXPRESS_WORKER_MEMORY_MB): a task that needs more
  fails with image_too_large (MemoryError from NumPy, "out of memory" from libvips) and the process
  carries on. RLIMIT_DATA counts the heap and private writable mappings, not shared libraries or
  reserved-but-unused address space, so it tracks what a task really allocates.
"""

from __future__ import annotations

import contextlib
import ctypes
import ctypes.util
import functools
import gc
import logging
import os
import resource
import signal
import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from types import FrameType

from pixpress.errors import TaskTimeout

log = logging.getLogger("pixpress.tasks")

OVERRUN_EXIT_CODE = 70  # EX_SOFTWARE: the worker process ended itself over a runaway task
# After a task, a worker whose data segment stays above this share of its cap is replaced: freed memory
# that malloc keeps (fragmentation after a large or refused task) still counts against RLIMIT_DATA.
RECYCLE_AT_SHARE = 0.5


def cap_memory(megabytes: int) -> None:
    """Limit this process's data segment (0: no limit)."""
    if megabytes <= 0:
        return
    limit = megabytes * 1024 * 1024
    _, hard = resource.getrlimit(resource.RLIMIT_DATA)
    if hard != resource.RLIM_INFINITY:
        limit = min(limit, hard)
    resource.setrlimit(resource.RLIMIT_DATA, (limit, hard))


def settle_worker() -> None:
    """Once per worker process, after its start-up imports: those objects live as long as the process, so
    they go to the permanent generation and no later collection walks them again."""
    gc.collect()
    gc.freeze()


def tidy_after_task(megabytes: int, *, failed: bool) -> bool:
    """Give freed memory back; True when this worker should be replaced before its next task.

    A full collection only after a failed task: an exception's traceback keeps that task's images alive
    in a cycle. After a task that went well reference counting has freed them already, and a full
    collection over a warm worker costs ~55 ms (a fifth of a small task)."""
    if failed:
        gc.collect()
    _malloc_trim()
    if megabytes <= 0:
        return False
    return _data_segment_bytes() > RECYCLE_AT_SHARE * megabytes * 1024 * 1024


@functools.cache
def _libc() -> ctypes.CDLL | None:
    """Looked up once: ctypes.util.find_library runs ldconfig in a subprocess each time."""
    name = ctypes.util.find_library("c")
    if not name:
        return None
    try:
        return ctypes.CDLL(name)
    except OSError:
        return None


def _malloc_trim() -> None:
    libc = _libc()
    if libc is not None:
        with contextlib.suppress(AttributeError):  # not glibc
            libc.malloc_trim(0)


def _data_segment_bytes() -> int:
    with contextlib.suppress(OSError), open("/proc/self/status") as status:
        for line in status:
            if line.startswith("VmData:"):
                return int(line.split()[1]) * 1024
    return 0


@contextmanager
def hard_time_limit(seconds: float) -> Iterator[None]:
    """Raise TaskTimeout in the main thread after `seconds`, a backstop for the deadline checks.

    Worker processes run tasks on their main thread; elsewhere (threads, tests) this is a no-op.
    """
    try:
        previous = signal.signal(signal.SIGALRM, _raise_timeout)
    except ValueError:  # not the main thread
        yield
        return
    signal.setitimer(signal.ITIMER_REAL, seconds)
    try:
        yield
    finally:
        signal.setitimer(signal.ITIMER_REAL, 0)
        signal.signal(signal.SIGALRM, previous)


def _raise_timeout(_signum: int, _frame: FrameType | None) -> None:
    raise TaskTimeout()


@contextmanager
def watchdog(
    seconds: float, *, on_overrun: Callable[[], None], exit_process: Callable[[int], None] = os._exit
) -> Iterator[None]:
    """After `seconds` without leaving this block: `on_overrun()`, then end the process."""
    done = threading.Event()

    def watch() -> None:
        if done.wait(seconds):
            return
        log.error("a task is still running %.0f s past its start: ending this worker process", seconds)
        try:
            on_overrun()
        finally:
            exit_process(OVERRUN_EXIT_CODE)

    thread = threading.Thread(target=watch, name="task-watchdog", daemon=True)
    thread.start()
    try:
        yield
    finally:
        done.set()
