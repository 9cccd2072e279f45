"""Where the cost per image goes: the figures behind the cost section's goals, printed, not reported.

python -m bench.cost_breakdown photos   # per corpus photo: CPU of optimize() (default mode) against the
                                        # cost section's plain encode of the same file, in this process
python -m bench.cost_breakdown server   # imgproxy's workload through `pixpress serve`: CPU seconds per
                                        # image of each process (API, worker parent, worker children)

Both count CPU time, not wall time, so they say what an image costs whatever else the machine runs.
"""

from __future__ import annotations

import os
import sys
import time
from dataclasses import dataclass
from pathlib import Path

import httpx

from bench import workload
from bench.common import DEFAULT_CORPUS
from bench.cost import CLIENTS, _hammer, _plain_encodes, pixpress_fit
from bench.procmem import descendants
from bench.service import serving

CLOCK_TICKS = os.sysconf("SC_CLK_TCK")


@dataclass(frozen=True)
class PhotoCost:
    name: str
    optimize_s: float
    plain_s: float
    encodes: object  # the search's full-size encodes, from the result's settings

    @property
    def ratio(self) -> float:
        return self.optimize_s / self.plain_s if self.plain_s else float("inf")


def photo_costs(corpus: Path) -> list[PhotoCost]:
    import pyvips

    from pixpress.imaging import optimize
    from pixpress.imaging.types import Limits, OptimizeOptions

    pyvips.cache_set_max(0)
    paths = sorted((corpus / "photo").iterdir())
    optimize(paths[0].read_bytes(), options=OptimizeOptions(), limits=Limits())  # imports, first calls
    costs = []
    for path in paths:
        data = path.read_bytes()
        started = time.process_time()
        result = optimize(data, options=OptimizeOptions(), limits=Limits())
        optimize_s = time.process_time() - started
        started = time.process_time()
        _plain_encodes(([str(path)], 1))
        plain_s = time.process_time() - started
        costs.append(PhotoCost(path.name, optimize_s, plain_s, result.image.settings.get("encodes")))
    return costs


def _cpu_seconds(pid: int) -> float:
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / CLOCK_TICKS  # utime + stime


def _command(pid: int) -> str:
    return Path(f"/proc/{pid}/cmdline").read_bytes().replace(b"\0", b" ").decode()[:60].strip()


def server_costs(corpus: Path, *, requests: int) -> tuple[float, dict[str, float]]:
    """images/s on imgproxy's workload, and CPU seconds per image of each process of the serve tree."""
    data = workload.camera_jpeg(corpus, Path(__file__).resolve().parent / "out").read_bytes()
    with serving(None) as server:
        fit = pixpress_fit(server.url, data)
        with httpx.Client(timeout=120) as http:
            for _ in range(2):
                fit(http)
        pids = descendants(server.pid)
        before = {pid: _cpu_seconds(pid) for pid in pids}
        rate, _failed = _hammer(fit, clients=CLIENTS, requests=requests)
        per_image = {
            f"{pid} {_command(pid)}": (_cpu_seconds(pid) - before[pid]) / requests
            for pid in sorted(pids)
            if Path(f"/proc/{pid}").exists()
        }
    return rate, per_image


def main(argv: list[str]) -> int:
    what = argv[0] if argv else "photos"
    if what == "photos":
        costs = photo_costs(DEFAULT_CORPUS)
        for c in costs:
            print(
                f"{c.name:34s} optimize {c.optimize_s:6.2f} s  plain {c.plain_s:5.2f} s  {c.ratio:4.1f}x"
                f"  full-size encodes {c.encodes}"
            )
        total, plain = sum(c.optimize_s for c in costs), sum(c.plain_s for c in costs)
        print(f"all photos: optimize {total:.2f} s CPU, plain {plain:.2f} s CPU: {total / plain:.2f}x")
        return 0
    if what == "server":
        rate, per_image = server_costs(DEFAULT_CORPUS, requests=24)
        print(f"imgproxy workload through pixpress serve: {rate:.2f} images/s, {CLIENTS} clients")
        for process, seconds in per_image.items():
            print(f"  {seconds * 1000:6.0f} ms CPU per image  {process}")
        print(f"  {sum(per_image.values()) * 1000:6.0f} ms CPU per image in all")
        return 0
    print(__doc__, file=sys.stderr)
    return 2


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
