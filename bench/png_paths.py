"""The PNG paths against a plain encode: `python -m bench.png_paths` (about 2 minutes on 2 busy cores).

Per corpus PNG (photo and graphic), for the default mode (lossy, PNG stays PNG) and for mode=lossless:
bytes before and after, the SSIMULACRA2 score (default mode, against the upload as a browser shows it)
or pixel-exactness (lossless), CPU milliseconds of optimize(), and their ratio to a plain encode
measured in the same run (decode + libvips pngsave compression=6). One thread: pyvips concurrency 1,
OpenBLAS and oxipng (rayon) single-threaded as `pixpress worker` runs them; CPU is the minimum of RUNS.

TODAY holds the figures before the PNG change (commit a63fe0f), made with this module's measure():
    git worktree add /tmp/old a63fe0f && cp bench/png_paths.py /tmp/old/bench/
    cd /tmp/old && OPENBLAS_NUM_THREADS=1 ../wt-png/.venv/bin/python -m bench.png_paths
(the default-mode score of color.png was the upload itself: nothing smaller came out).
"""

from __future__ import annotations

import os

os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")  # before NumPy loads: as `pixpress worker` sets it
os.environ.setdefault("RAYON_NUM_THREADS", "1")

import statistics
import time
from collections.abc import Callable
from dataclasses import dataclass
from functools import partial
from typing import TypeVar

import pyvips

from bench.common import DEFAULT_CORPUS
from pixpress.imaging import optimize
from pixpress.imaging.metric.ssimulacra2 import Reference
from pixpress.imaging.steps.lossless import exact_pixels
from pixpress.imaging.types import KeepMetadata, Limits, Mode, OptimizeOptions, OptimizeResult

RUNS = 3
LIMITS = Limits()
T = TypeVar("T")


@dataclass(frozen=True)
class Today:
    lossy_bytes: int
    lossy_score: float
    lossy_ms: float
    lossless_bytes: int
    lossless_ms: float


TODAY = {
    "photo/astronaut.png": Today(169038, 79.4, 1014, 423804, 262),
    "photo/chelsea.png": Today(108205, 79.8, 372, 219563, 161),
    "photo/coffee.png": Today(177676, 83.3, 1075, 443497, 246),
    "photo/kodim03.png": Today(232346, 76.6, 514, 502888, 578),
    "photo/kodim04.png": Today(299475, 79.7, 576, 637432, 440),
    "photo/kodim05.png": Today(23570, 77.4, 225, 60591, 27),
    "photo/kodim06.png": Today(19516, 81.5, 150, 45768, 31),
    "photo/kodim07.png": Today(276519, 81.2, 607, 559300, 473),
    "photo/kodim08.png": Today(323360, 81.4, 773, 788470, 334),
    "photo/motorcycle_left.png": Today(247258, 77.0, 1568, 639355, 491),
    "graphic/color.png": Today(85584, 100.0, 1184, 68966, 381),
    "graphic/hopper.png": Today(13254, 73.2, 113, 30320, 23),
    "graphic/imagedraw_polygon_kite_RGB.png": Today(499, 100.0, 8, 407, 20),
    "graphic/logo.png": Today(51458, 88.3, 137, 158919, 1130),
    "graphic/page.png": Today(33489, 94.1, 33, 42577, 118),
    "graphic/text.png": Today(29297, 93.0, 38, 42704, 88),
    "graphic/transparent.png": Today(8540, 79.8, 142, 26426, 48),
}


@dataclass(frozen=True)
class Row:
    name: str
    mode: Mode
    bytes: int
    score: float | None  # default mode
    exact: bool | None  # lossless
    ms: float
    plain_ms: float
    how: str

    @property
    def ratio(self) -> float:
        return self.ms / self.plain_ms


def cpu_ms(fn: Callable[[], T], runs: int = RUNS) -> tuple[float, T]:
    best, out = float("inf"), None
    for _ in range(runs):
        start = time.process_time()
        out = fn()
        best = min(best, time.process_time() - start)
    assert out is not None
    return best * 1000, out


def shown(data: bytes) -> pyvips.Image:
    """The upload as a browser shows it: oriented, its colour profile applied."""
    image = pyvips.Image.new_from_buffer(data, "").autorot()
    if image.get_typeof("icc-profile-data"):
        image = image.icc_transform("srgb", embedded=True, intent="relative")
    return image


def plain(data: bytes) -> bytes:
    """The yardstick: decode + libvips pngsave at its default deflate level, nothing chosen."""
    return bytes(pyvips.Image.new_from_buffer(data, "").pngsave_buffer(compression=6))


def measure(name: str, data: bytes, mode: Mode, plain_ms: float) -> Row:
    options = OptimizeOptions(mode=mode, keep_metadata=KeepMetadata.NONE)
    ms, result = cpu_ms(lambda: optimize(data, options=options, limits=LIMITS))
    out = data if result.kept_original else result.image.data
    if mode is Mode.LOSSLESS:
        exact = exact_pixels(pyvips.Image.new_from_buffer(data, ""), out)
        return Row(name, mode, len(out), None, exact, ms, plain_ms, describe(result))
    score = Reference(shown(data)).score_bytes(out)
    return Row(name, mode, len(out), score, None, ms, plain_ms, describe(result))


def describe(result: OptimizeResult) -> str:
    if result.kept_original:
        return "original"
    settings = result.image.settings
    if settings.get("palette"):
        return f"palette e{settings['effort']} d{settings['dither']:g} x{settings.get('encodes', 1)}"
    return "lossless"


def run() -> list[Row]:
    pyvips.cache_set_max(0)
    pyvips.concurrency_set(1)
    rows = []
    for kind in ("photo", "graphic"):
        for path in sorted((DEFAULT_CORPUS / kind).glob("*.png")):
            data = path.read_bytes()
            name = f"{kind}/{path.name}"
            plain_ms, _ = cpu_ms(partial(plain, data))
            for mode in (Mode.LOSSY, Mode.LOSSLESS):
                rows.append(measure(name, data, mode, plain_ms))
                print(line(rows[-1]), flush=True)
    return rows


def line(row: Row) -> str:
    today = TODAY.get(row.name)
    lossy = row.mode is Mode.LOSSY
    before = (today.lossy_bytes if lossy else today.lossless_bytes) if today else 0
    before_ms = (today.lossy_ms if lossy else today.lossless_ms) if today else float("nan")
    check = f"{row.score:6.1f}" if lossy else ("exact " if row.exact else "NOT EXACT")
    return (
        f"{row.name:40} {row.mode.value:8} {before:8d} {row.bytes:8d} {row.bytes / max(before, 1):6.3f} "
        f"{check:>6} {before_ms:7.0f} {row.ms:7.0f} {row.plain_ms:6.1f} {row.ratio:6.1f}  {row.how}"
    )


def summary(rows: list[Row]) -> None:
    for mode in (Mode.LOSSY, Mode.LOSSLESS):
        chosen = [r for r in rows if r.mode is mode]
        target = LIMITS.targets.for_mode(mode)
        sizes = [
            r.bytes / (TODAY[r.name].lossy_bytes if mode is Mode.LOSSY else TODAY[r.name].lossless_bytes)
            for r in chosen
            if r.name in TODAY
        ]
        print(
            f"{mode.value}: median bytes/today {statistics.median(sizes):.3f} (max {max(sizes):.3f}), "
            f"median CPU {statistics.median(r.ms for r in chosen):.0f} ms, "
            f"median ratio to plain {statistics.median(r.ratio for r in chosen):.1f}x, "
            f"within 3x: {sum(r.ratio <= 3 for r in chosen)}/{len(chosen)}"
            + (
                f", under target {target}: {[r.name for r in chosen if (r.score or 0) < target]}"
                if target
                else ""
            )
            + ("" if target else f", not exact: {[r.name for r in chosen if not r.exact]}")
        )


def main() -> None:
    print(
        f"{'image':40} {'mode':8} {'today B':>8} {'new B':>8} {'ratio':>6} {'score':>6} "
        f"{'todayms':>7} {'new ms':>7} {'plain':>6} {'x plain':>6}  result"
    )
    summary(run())


if __name__ == "__main__":
    main()
