"""Which mozjpeg quantisation table the JPEG quality search uses (presets.jpeg_search_table).

For each table and target, each corpus photo's smallest 4:2:0 file reaching the target (bisection over
quality 1-100) against Pillow's smallest JPEG reaching it; the median ratio per table is printed.
`python -m bench.jpeg_tables [target ...]` (about 5 minutes for 70 and 80 on 2 cores).
"""

from __future__ import annotations

import statistics
import sys
from collections.abc import Callable
from functools import partial

import pyvips

from bench.common import DEFAULT_CORPUS as CORPUS
from bench.compression import _at_quality, pillow_encode, smallest_reaching, source_pixels
from pixpress.imaging import presets
from pixpress.imaging.perceptual import Judge

TABLES = range(9)


def mozjpeg(image: pyvips.Image, table: int) -> Callable[[int], bytes]:
    def encode(quality: int) -> bytes:
        settings = {**presets.MOZJPEG, "quant_table": table}
        data: bytes = image.jpegsave_buffer(Q=quality, keep="none", subsample_mode="on", **settings)
        return data

    return encode


def main(argv: list[str]) -> int:
    targets = [float(t) for t in argv] or [70.0, 80.0]
    ratios: dict[tuple[float, int], list[float]] = {}
    for path in sorted((CORPUS / "photo").iterdir()):
        image = source_pixels(path, 4.0)
        png = image.pngsave_buffer(compression=1)
        score = Judge(image, frame_height=image.height).score
        pillow_cache: dict[int, tuple[bytes, float]] = {}
        caches: dict[int, dict[int, tuple[bytes, float]]] = {table: {} for table in TABLES}
        for target in targets:
            pillow = smallest_reaching(
                partial(_at_quality, pillow_encode, png, "jpeg"), score, target, pillow_cache
            )
            if pillow is None:
                continue  # Pillow never reaches it: no ratio
            for table in TABLES:
                ours = smallest_reaching(mozjpeg(image, table), score, target, caches[table])
                ratios.setdefault((target, table), []).append(
                    len(ours) / len(pillow) if ours else float("inf")
                )
        print(path.name, flush=True)
    for target in targets:
        row = "  ".join(f"{table}: {statistics.median(ratios[(target, table)]):.3f}" for table in TABLES)
        print(f"SSIMULACRA2 {target:.0f}, median bytes vs Pillow per table: {row}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
