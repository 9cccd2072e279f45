"""Which JPEG encoder and mozjpeg quantisation table the quality search uses (presets.jpeg_search_table).

For each mozjpeg table (4:2:0), for jpegli (the pyjpegli wheel, its own defaults: one quality knob) and
target, each corpus photo's smallest file reaching the target (bisection over quality 1-100) against
Pillow's smallest JPEG reaching it; the median ratio per encoder is printed as a markdown table (the
report's "encoders" section).
`python -m bench.jpeg_tables [target ...]` (about 5 minutes for 70 and 80 on 2 cores).
"""

from __future__ import annotations

import io
import statistics
import sys
from collections.abc import Callable
from functools import partial

import pyvips
from PIL import Image as PILImage

from bench.common import DEFAULT_CORPUS as CORPUS
from bench.compression import _at_quality, pillow_encode, smallest_reaching, source_pixels
from pixpress.imaging import presets
from pixpress.imaging.perceptual import Judge

TABLES = range(9)
JPEGLI = "jpegli"
ENCODERS: list[int | str] = [*TABLES, JPEGLI]


def mozjpeg(image: pyvips.Image, table: int) -> Callable[[int], bytes]:
    def encode(quality: int) -> bytes:
        settings = {**presets.MOZJPEG, "quant_table": table}
        data: bytes = image.jpegsave_buffer(Q=quality, keep="none", subsample_mode="on", **settings)
        return data

    return encode


def jpegli(image: pyvips.Image) -> Callable[[int], bytes]:
    import pyjpegli

    rgb = image.write_to_memory()

    def encode(quality: int) -> bytes:
        data: bytes = pyjpegli.encode(rgb, image.width, image.height, quality)
        # Compatibility with ordinary decoders (libjpeg-turbo in Pillow and in libvips) is a condition.
        PILImage.open(io.BytesIO(data)).load()
        pyvips.Image.new_from_buffer(data, "").copy_memory()
        return data

    return encode


def main(argv: list[str]) -> int:
    targets = [float(t) for t in argv] or [70.0, 80.0]
    ratios: dict[tuple[float, int | str], list[float]] = {}
    for path in sorted((CORPUS / "photo").iterdir()):
        image = source_pixels(path, 4.0)
        png = image.pngsave_buffer(compression=1)
        score = Judge(image, frame_height=image.height).score
        pillow_cache: dict[int, tuple[bytes, float]] = {}
        caches: dict[int | str, dict[int, tuple[bytes, float]]] = {encoder: {} for encoder in ENCODERS}
        encoders = {e: jpegli(image) if e == JPEGLI else mozjpeg(image, int(e)) for e in ENCODERS}
        for target in targets:
            pillow = smallest_reaching(
                partial(_at_quality, pillow_encode, png, "jpeg"), score, target, pillow_cache
            )
            if pillow is None:
                continue  # Pillow never reaches it: no ratio
            for encoder, encode in encoders.items():
                ours = smallest_reaching(encode, score, target, caches[encoder])
                ratios.setdefault((target, encoder), []).append(
                    len(ours) / len(pillow) if ours else float("inf")
                )
        print(path.name, flush=True)
    print(markdown_table(ratios, targets))
    return 0


def markdown_table(ratios: dict[tuple[float, int | str], list[float]], targets: list[float]) -> str:
    """One row per target: each encoder's median bytes against Pillow's, the smallest in bold."""
    lines = [
        "| SSIMULACRA2 target | " + " | ".join(f"table {e}" if e != JPEGLI else e for e in ENCODERS) + " |",
        "|---" * (len(ENCODERS) + 1) + "|",
    ]
    for target in targets:
        medians = {e: statistics.median(ratios[(target, e)]) for e in ENCODERS if ratios.get((target, e))}
        best = min(medians.values(), default=None)
        cells = [
            "n/a"
            if e not in medians
            else f"**{medians[e]:.3f}**"
            if medians[e] == best
            else f"{medians[e]:.3f}"
            for e in ENCODERS
        ]
        lines.append(f"| {target:.0f} | " + " | ".join(cells) + " |")
    return "\n".join(lines)


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
