"""CPU time and memory of pixpress' SSIMULACRA2 per image size, as the quality search uses it.

For each size, several fresh processes (one thread: OPENBLAS_NUM_THREADS=1, pyvips.concurrency_set(1))
each prepare a Reference, then score a JPEG q70 of the image as perceptual.Judge does (a lazily
decoded pyvips image, so the decode counts): the first score in the process, then steady-state
scores. CPU time (time.process_time: user + system, so page faults count), medians over all runs: the
machine is shared, so wall time means little. A last process per size measures memory: with
tracemalloc (NumPy reports its buffers to it; libvips' own are not counted) what a Reference keeps
once prepared and the peak above that while preparing and while scoring; and the growth of the
process' peak RSS (VmHWM) over preparing and one score, which counts everything. All in bytes per pixel.

    python -m bench.ssimulacra2_speed [--corpus corpus] [--runs 3] [--scores 5] [--sizes 12mp,2mp]

Before the speed-up (commit a63fe0f: a fresh workspace and temporaries per score, one channel at a
time), measured with this script on the shared 2-core machine (load average 2-8), CPU ms and B/px:

    | size              | prepare | first | steady | ms/MP | kept | prep. peak | score peak | RSS growth |
    | 12 MP (4032x3024) |    1369 |  2999 |   1911 |   157 | 29.7 |       28.1 |       45.7 |       76.0 |
    | 2 MP (1411x1411)  |     154 |   238 |    224 |   112 | 29.8 |       28.0 |       45.8 |      107.4 |
    | 0.39 MP (768x512) |      30 |    37 |     29 |    74 | 30.0 |       27.8 |       45.8 |       92.1 |
    | 0.17 MP (500x333) |      22 |    19 |     13 |    78 | 30.4 |       27.6 |       45.8 |       86.4 |

and after it, minutes later:

    | 12 MP (4032x3024) |     645 |   828 |    656 |    54 | 56.8 |        0.0 |        0.0 |       63.0 |
    | 2 MP (1411x1411)  |     114 |   113 |    109 |    55 | 57.6 |        0.0 |        0.3 |       63.5 |
    | 0.39 MP (768x512) |      33 |    31 |     24 |    61 | 61.4 |        0.0 |        1.4 |       70.0 |
    | 0.17 MP (500x333) |      15 |    13 |     11 |    64 | 68.1 |        0.0 |        3.1 |       72.8 |

The load moves single figures by 30% and more (another run before the change gave 1605 ms steady at
12 MP): compare runs made close together. "kept" after the change includes the workspace a Reference
keeps for its scores (about 31 B/px); the old score peak leaves out the 3 B/px of decoded pixels
libvips allocated for `.numpy()`, which the new code decodes into its workspace.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

from bench.common import DEFAULT_CORPUS, REPO_ROOT


@dataclass(frozen=True)
class Size:
    name: str
    image: str  # relative to the corpus
    width: int = 0  # resized to this width when set


SIZES = {
    "12mp": Size("12 MP", "photo/dog_exif_extended_xmp_icc.jpg"),
    "2mp": Size("2 MP", "photo/retina.jpg"),
    "0.4mp": Size("0.39 MP", "photo/kodim03.png"),
    "0.17mp": Size("0.17 MP", "photo/kodim03.png", width=500),
}

# Runs in a fresh process; prints one JSON line.
MEASURE = r"""
import json, sys, time, tracemalloc
import pyvips
pyvips.concurrency_set(1)
pyvips.cache_set_max(0)
from pixpress.imaging import ssimulacra2

def rss_kb(field):
    for line in open("/proc/self/status"):
        if line.startswith(field + ":"):
            return int(line.split()[1])

path, width, scores, memory = sys.argv[1], int(sys.argv[2]), int(sys.argv[3]), sys.argv[4] == "1"
original = pyvips.Image.new_from_file(path)
if width:
    original = original.resize(width / original.width)
original = original.copy_memory()
candidate = original.jpegsave_buffer(Q=70)
result = {"pixels": original.width * original.height, "size": f"{original.width}x{original.height}"}
if memory:
    rss_before = rss_kb("VmRSS")
    tracemalloc.start()
start = time.process_time()
reference = ssimulacra2.Reference(original)
reference._prepare(None)  # preparation is lazy (on the first score): time it on its own
result["prepare"] = time.process_time() - start
if memory:
    kept, peak = tracemalloc.get_traced_memory()
    result.update(kept=kept, prepare_peak=peak - kept)
    tracemalloc.reset_peak()
times = []
for _ in range(scores):
    start = time.process_time()
    reference.score(pyvips.Image.new_from_buffer(candidate, ""))
    times.append(time.process_time() - start)
result["scores"] = times
if memory:
    result["score_peak"] = tracemalloc.get_traced_memory()[1] - kept
    result["rss_growth"] = (rss_kb("VmHWM") - rss_before) * 1024
print(json.dumps(result))
"""


def measure(path: Path, width: int, scores: int, *, memory: bool) -> dict[str, object]:
    env = {**os.environ, "OPENBLAS_NUM_THREADS": "1", "OMP_NUM_THREADS": "1", "MKL_NUM_THREADS": "1"}
    args = [sys.executable, "-c", MEASURE, str(path), str(width), str(scores), "1" if memory else "0"]
    output = subprocess.run(args, env=env, check=True, capture_output=True, text=True, cwd=REPO_ROOT)
    result: dict[str, object] = json.loads(output.stdout.splitlines()[-1])
    return result


def number(value: object) -> float:
    assert isinstance(value, int | float)
    return float(value)


def times(value: object) -> list[float]:
    assert isinstance(value, list)
    return [number(item) for item in value]


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=(__doc__ or "").split("\n\n")[0])
    parser.add_argument("--corpus", type=Path, default=DEFAULT_CORPUS)
    parser.add_argument("--runs", type=int, default=3, help="fresh processes per size")
    parser.add_argument("--scores", type=int, default=5, help="scores per process")
    parser.add_argument("--sizes", default=",".join(SIZES), help=f"comma-separated, of {', '.join(SIZES)}")
    args = parser.parse_args(argv)
    print(f"load average at start: {' '.join(f'{load:.2f}' for load in os.getloadavg())}")
    print(
        "| size | prepare ms | first score ms | steady score ms | steady ms/MP "
        "| kept B/px | prepare peak B/px | score peak B/px | peak RSS growth B/px |"
    )
    print("|---|---:|---:|---:|---:|---:|---:|---:|---:|")
    for key in args.sizes.split(","):
        size = SIZES[key]
        path = args.corpus / size.image
        runs = [measure(path, size.width, args.scores, memory=False) for _ in range(args.runs)]
        memory = measure(path, size.width, 1, memory=True)
        pixels = number(runs[0]["pixels"])
        prepare = statistics.median(number(run["prepare"]) for run in runs)
        first = statistics.median(times(run["scores"])[0] for run in runs)
        steady = statistics.median(t for run in runs for t in times(run["scores"])[1:])
        per_pixel = [
            number(memory[field]) / pixels for field in ("kept", "prepare_peak", "score_peak", "rss_growth")
        ]
        print(
            f"| {size.name} ({runs[0]['size']}) | {prepare * 1000:.0f} | {first * 1000:.0f} "
            f"| {steady * 1000:.0f} | {steady * 1000 / (pixels / 1e6):.0f} | "
            + " | ".join(f"{value:.1f}" for value in per_pixel)
            + " |",
            flush=True,
        )


if __name__ == "__main__":
    main()
