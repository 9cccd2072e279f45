"""The fuzz worker process: `python -m tests.fuzz.worker READ_FD WRITE_FD`.

It runs cases sent by the parent (sandbox.py) one after another, under the same memory cap as a real
pixpress worker, so that a libvips crash or hang takes down this process and not pytest. Frames on the
pipes: a 4-byte big-endian length and a pickle (request: data, options, deadline_s; reply: a dict).
The pipes are dedicated file descriptors: libvips may write to stdout or stderr.
"""

from __future__ import annotations

import os
import pickle
import resource
import sys

from tests.fuzz.target import run_case

MEMORY_MB = 2048  # PIXPRESS_WORKER_MEMORY_MB's default: a worker's RLIMIT_DATA (tasks/limits.py)


def read_frame(fd: int) -> bytes | None:
    header = _read_exactly(fd, 4)
    if header is None:
        return None
    return _read_exactly(fd, int.from_bytes(header, "big"))


def _read_exactly(fd: int, size: int) -> bytes | None:
    chunks, left = [], size
    while left:
        chunk = os.read(fd, min(left, 1 << 20))
        if not chunk:
            return None
        chunks.append(chunk)
        left -= len(chunk)
    return b"".join(chunks)


def write_frame(fd: int, payload: bytes) -> None:
    view = memoryview(len(payload).to_bytes(4, "big") + payload)
    while view:
        view = view[os.write(fd, view) :]


def main(read_fd: int, write_fd: int) -> None:
    _, hard = resource.getrlimit(resource.RLIMIT_DATA)
    limit = MEMORY_MB * 1024 * 1024
    resource.setrlimit(resource.RLIMIT_DATA, (limit if hard < 0 else min(limit, hard), hard))
    while (frame := read_frame(read_fd)) is not None:
        data, options, deadline_s = pickle.loads(frame)
        write_frame(write_fd, pickle.dumps(run_case(data, options, deadline_s=deadline_s)))


if __name__ == "__main__":
    main(int(sys.argv[1]), int(sys.argv[2]))
