"""Measure what the submit-time probe costs on one file, in a fresh process so that nothing else
counts: `python -m tests.imaging.submit_cost FILE` prints one JSON line.

CPU is process time (user + system) around probe() alone; memory is the rise of the peak resident
set (VmHWM, reset through /proc/self/clear_refs after the file is read and libvips is warmed up),
which counts libvips' allocations as well as Python's. (tracemalloc is left off: it slows every
Python allocation several times over and would make the CPU figure meaningless.)
"""

from __future__ import annotations

import json
import sys
import time
from pathlib import Path

from pixpress.errors import PixpressError
from pixpress.imaging import Limits, probe


def peak_rss_bytes() -> int:
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1]) * 1024
    raise RuntimeError("no VmHWM in /proc/self/status")


def reset_peak_rss() -> bool:
    """Reset the peak RSS to the current RSS (clear_refs 5); False where the kernel does not allow it."""
    try:
        Path("/proc/self/clear_refs").write_text("5")
    except OSError:
        return False
    return True


def measure(data: bytes, warm_up: bytes) -> dict[str, object]:
    probe(warm_up, limits=Limits())  # libvips and its loaders initialised outside the measurement
    resettable = reset_peak_rss()
    rss_before = peak_rss_bytes()
    cpu_before = time.process_time()
    outcome = "ok"
    try:
        probe(data, limits=Limits())
    except PixpressError as exc:
        outcome = f"{type(exc).__name__}: {exc.public_message} {exc.details or ''}".strip()
    cpu_s = time.process_time() - cpu_before
    return {
        "cpu_ms": round(cpu_s * 1000, 1),
        "rss_mb": round((peak_rss_bytes() - rss_before) / 1e6, 1) if resettable else None,
        "outcome": outcome,
    }


def main() -> None:
    data = Path(sys.argv[1]).read_bytes()
    warm_up = Path(sys.argv[2]).read_bytes()
    print(json.dumps(measure(data, warm_up)))


if __name__ == "__main__":
    main()
