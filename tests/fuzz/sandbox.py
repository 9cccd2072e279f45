"""The parent's side of the fuzz worker: send a case, wait at most its time bound, and turn a dead or
silent worker into an outcome ("crash" with the signal, "hang") before starting a fresh one.

A hang is measured from outside because a stuck C call (a decoder loop) cannot be interrupted from
within the process; a segfault is seen as the pipe closing and a negative exit status.
"""

from __future__ import annotations

import os
import pickle
import select
import signal
import subprocess
import sys
import tempfile
import time
from typing import Any

from pixpress.imaging import OptimizeOptions
from tests.conftest import REPO_ROOT
from tests.fuzz.worker import write_frame


class Sandbox:
    """One worker process at a time, restarted after a crash or a hang."""

    def __init__(self) -> None:
        self._process: subprocess.Popen[bytes] | None = None
        self._to_worker = self._from_worker = -1
        # libvips' warnings: read back only after a crash; closed by close()
        self._stderr = tempfile.TemporaryFile()  # noqa: SIM115
        self._closed = False  # the worker closed its pipe (died) rather than staying silent (hung)
        self.started = 0

    def run(
        self, data: bytes, options: OptimizeOptions, *, deadline_s: float, bound_s: float
    ) -> dict[str, Any]:
        if self._process is None:
            self._start()
        started = time.monotonic()
        self._closed = False
        try:
            write_frame(self._to_worker, pickle.dumps((data, options, deadline_s)))
            reply = self._read(time.monotonic() + bound_s)
        except BrokenPipeError:
            reply, self._closed = None, True
        elapsed = time.monotonic() - started
        if reply is None:
            return self._lost(elapsed, bound_s)
        outcome: dict[str, Any] = pickle.loads(reply)
        outcome["elapsed_s"] = round(elapsed, 3)
        return outcome

    @property
    def pid(self) -> int | None:
        return None if self._process is None else self._process.pid

    def close(self) -> None:
        self._stop()
        self._stderr.close()

    def _start(self) -> None:
        to_child_r, self._to_worker = os.pipe()
        self._from_worker, from_child_w = os.pipe()
        self._stderr.seek(0)
        self._stderr.truncate()
        self._process = subprocess.Popen(
            [sys.executable, "-m", "tests.fuzz.worker", str(to_child_r), str(from_child_w)],
            cwd=REPO_ROOT,
            pass_fds=(to_child_r, from_child_w),
            stdin=subprocess.DEVNULL,
            stdout=self._stderr,
            stderr=self._stderr,
        )
        os.close(to_child_r)
        os.close(from_child_w)
        self.started += 1

    def _read(self, until: float) -> bytes | None:
        header = self._read_exactly(4, until)
        return None if header is None else self._read_exactly(int.from_bytes(header, "big"), until)

    def _read_exactly(self, size: int, until: float) -> bytes | None:
        chunks: list[bytes] = []
        while size:
            ready, _, _ = select.select([self._from_worker], [], [], max(0.0, until - time.monotonic()))
            if not ready:
                return None  # past the bound
            chunk = os.read(self._from_worker, size)
            if not chunk:
                self._closed = True  # the worker died
                return None
            chunks.append(chunk)
            size -= len(chunk)
        return b"".join(chunks)

    def _lost(self, elapsed: float, bound_s: float) -> dict[str, Any]:
        assert self._process is not None
        hang = not self._closed
        status = None if hang else self._process.wait(timeout=10)
        self._stop()
        self._stderr.seek(0)
        log = self._stderr.read().decode(errors="replace")[-2000:]
        if hang:
            return {"outcome": "hang", "elapsed_s": round(elapsed, 3), "bound_s": bound_s, "log": log}
        assert status is not None
        what = signal.Signals(-status).name if status < 0 else f"exit status {status}"
        return {"outcome": "crash", "signal": what, "elapsed_s": round(elapsed, 3), "log": log}

    def _stop(self) -> None:
        if self._process is None:
            return
        for fd in (self._to_worker, self._from_worker):
            os.close(fd)
        if self._process.poll() is None:
            self._process.kill()  # our own child, by its pid
        self._process.wait()
        self._process = None
