"""Resident memory of a whole process tree, sampled while a benchmark runs.

Two sums over the tree: RSS (what `ps` shows; pages shared between forked processes are counted once
per process) and PSS (each shared page divided among the processes sharing it: the tree's real
footprint, what `smem` reports). Both are reported; neither is favoured.
"""

from __future__ import annotations

import threading
import time
from dataclasses import dataclass
from pathlib import Path


@dataclass(frozen=True)
class TreeMemory:
    rss_mb: float
    pss_mb: float
    processes: int


def descendants(root: int) -> set[int]:
    children: dict[int, list[int]] = {}
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            stat = (entry / "stat").read_text()
        except OSError:
            continue
        parent = int(stat.rsplit(")", 1)[1].split()[1])
        children.setdefault(parent, []).append(int(entry.name))
    found, todo = {root}, [root]
    while todo:
        for child in children.get(todo.pop(), []):
            if child not in found:
                found.add(child)
                todo.append(child)
    return found


def tree_memory(root: int) -> TreeMemory:
    rss = pss = 0
    count = 0
    for pid in descendants(root):
        try:
            text = Path(f"/proc/{pid}/smaps_rollup").read_text()
        except OSError:
            continue
        fields = {}
        for line in text.splitlines()[1:]:
            name, _, value = line.partition(":")
            if value.strip().endswith("kB"):
                fields[name] = int(value.split()[0])
        rss += fields.get("Rss", 0)
        pss += fields.get("Pss", 0)
        count += 1
    return TreeMemory(rss / 1024, pss / 1024, count)


class PeakSampler:
    """Samples a process tree every `interval_s` in a thread; the peaks of both sums."""

    def __init__(self, root: int, interval_s: float = 0.1) -> None:
        self.root = root
        self.interval_s = interval_s
        self.peak = TreeMemory(0.0, 0.0, 0)
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)

    def __enter__(self) -> PeakSampler:
        self._thread.start()
        return self

    def __exit__(self, *_: object) -> None:
        self._stop.set()
        self._thread.join()

    def _run(self) -> None:
        while not self._stop.is_set():
            now = tree_memory(self.root)
            self.peak = TreeMemory(
                max(self.peak.rss_mb, now.rss_mb),
                max(self.peak.pss_mb, now.pss_mb),
                max(self.peak.processes, now.processes),
            )
            self._stop.wait(self.interval_s)


def settle_then_measure(root: int, *, settle_s: float) -> TreeMemory:
    time.sleep(settle_s)
    return tree_memory(root)
