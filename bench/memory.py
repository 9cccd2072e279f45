"""Peak memory (RSS) of a worker per megapixel: imaging.optimize in a fresh process per image."""

from __future__ import annotations

import json
import subprocess
import sys
import tempfile
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import pyvips

from bench.common import BenchConfig

# VmHWM, not ru_maxrss: Linux carries ru_maxrss over from the parent across exec.
MEASURE = r"""
import json, sys
import pyvips
pyvips.cache_set_max(0)
from pixpress import imaging
from pixpress.imaging.types import Limits, OptimizeOptions

def high_water_kb():
    for line in open("/proc/self/status"):
        if line.startswith("VmHWM:"):
            return int(line.split()[1])

baseline = high_water_kb()
data = open(sys.argv[1], "rb").read()
info = imaging.probe(data, limits=Limits())
imaging.optimize(data, options=OptimizeOptions(), limits=Limits())
peak = high_water_kb()
print(json.dumps({"mp": info.width * info.height / 1e6, "baseline_kb": baseline, "peak_kb": peak}))
"""

ENLARGE = r"""
import sys, pyvips
source = pyvips.Image.new_from_file(sys.argv[1])
scale = (float(sys.argv[3]) * 1e6 / (source.width * source.height)) ** 0.5
source.resize(scale).jpegsave(sys.argv[2], Q=90)
"""


@dataclass(frozen=True)
class MemoryRow:
    image: str
    megapixels: float
    peak_mb: float
    added_mb: float

    @property
    def mb_per_mp(self) -> float:
        return self.added_mb / self.megapixels


def measure(path: Path) -> MemoryRow:
    env = {"OPENBLAS_NUM_THREADS": "1", "PATH": "/usr/bin:/bin"}
    out = subprocess.run(
        [sys.executable, "-c", MEASURE, str(path)], capture_output=True, text=True, env=env, check=True
    )
    facts = json.loads(out.stdout.strip().splitlines()[-1])
    return MemoryRow(
        path.name, facts["mp"], facts["peak_kb"] / 1024, (facts["peak_kb"] - facts["baseline_kb"]) / 1024
    )


def largest(paths: list[Path], count: int) -> list[Path]:
    """The `count` images with the most pixels (headers only)."""

    def pixels(path: Path) -> int:
        image = pyvips.Image.new_from_file(str(path))
        return int(image.width * image.height)

    return sorted(paths, key=pixels, reverse=True)[:count]


def run(config: BenchConfig, log: Callable[[str], None]) -> list[MemoryRow]:
    photos = config.images("photo")
    if config.smoke:
        rows = [measure(photos[0])]
    else:
        biggest = largest(photos, 3)
        rows = [measure(path) for path in biggest]
        with tempfile.TemporaryDirectory() as tmp:
            big = Path(tmp) / f"{biggest[0].stem}-50mp.jpg"
            subprocess.run([sys.executable, "-c", ENLARGE, str(biggest[0]), str(big), "49.9"], check=True)
            rows.append(measure(big))
    for row in rows:
        log(f"memory: {row.image} {row.megapixels:.1f} MP peak {row.peak_mb:.0f} MB (+{row.added_mb:.0f} MB)")
    return rows
