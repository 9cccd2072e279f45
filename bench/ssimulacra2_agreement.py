"""Agreement and speed of pixpress' SSIMULACRA2 against the reference `ssimulacra2` package (PyPI).

For every image of the corpus and a set of distortions (JPEG and WebP at several qualities, encoded by
libvips), prints a markdown table: the reference score, ours, the difference, and milliseconds per
megapixel for both (ours: best of a few one-shot runs, and per candidate once the original is prepared,
as the quality search uses it). Both scorers see the same pixels: the distorted image is decoded once
and handed to the reference as a PNG; images with alpha are flattened on white first (the reference
drops alpha).

    python -m bench.ssimulacra2_agreement [--corpus corpus] [--max-mp 20] [--repeat 3]
"""

from __future__ import annotations

import argparse
import statistics
import sys
import tempfile
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from functools import partial
from pathlib import Path

import pyvips
from ssimulacra2 import compute_ssimulacra2

from bench.common import DEFAULT_CORPUS
from pixpress.imaging.metric import ssimulacra2


@dataclass(frozen=True)
class Distortion:
    name: str
    encode: Callable[[pyvips.Image], bytes]


DISTORTIONS = (
    Distortion("jpeg q30", lambda image: image.jpegsave_buffer(Q=30)),
    Distortion("jpeg q60", lambda image: image.jpegsave_buffer(Q=60)),
    Distortion("jpeg q90", lambda image: image.jpegsave_buffer(Q=90)),
    Distortion("webp q50", lambda image: image.webpsave_buffer(Q=50)),
    Distortion("webp q85", lambda image: image.webpsave_buffer(Q=85)),
)


@dataclass(frozen=True)
class Row:
    image: str
    distortion: str
    megapixels: float
    reference: float
    ours: float
    reference_ms: float
    ours_ms: float
    candidate_ms: float

    @property
    def difference(self) -> float:
        return self.ours - self.reference


def corpus_images(corpus: Path) -> list[Path]:
    return sorted(p for p in corpus.glob("*/*") if p.suffix.lower() in {".jpg", ".jpeg", ".png"})


def load_rgb(path: Path) -> pyvips.Image:
    """The image as 8-bit sRGB, alpha flattened on white: what both scorers can compare."""
    image = pyvips.Image.new_from_buffer(path.read_bytes(), "")
    if image.bands < 3 or image.format != "uchar":
        image = image.colourspace("srgb").cast("uchar")
    if image.hasalpha():
        image = image.flatten(background=[255, 255, 255]).cast("uchar")
    return image.copy_memory()


def reference_score(original: pyvips.Image, distorted: pyvips.Image, workdir: Path) -> tuple[float, float]:
    """(score, seconds) from the reference package, which reads files."""
    original_path, distorted_path = workdir / "original.png", workdir / "distorted.png"
    original.pngsave(str(original_path), compression=1)
    distorted.pngsave(str(distorted_path), compression=1)
    start = time.perf_counter()
    value = float(compute_ssimulacra2(str(original_path), str(distorted_path)))
    return value, time.perf_counter() - start


def best_time(function: Callable[[], float], repeat: int) -> tuple[float, float]:
    """(result, best seconds of `repeat` runs)."""
    best, value = float("inf"), 0.0
    for _ in range(repeat):
        start = time.perf_counter()
        value = function()
        best = min(best, time.perf_counter() - start)
    return value, best


def measure(corpus: Path, *, max_mp: float, repeat: int) -> Iterator[Row]:
    with tempfile.TemporaryDirectory() as tmp:
        for path in corpus_images(corpus):
            original = load_rgb(path)
            megapixels = original.width * original.height / 1e6
            if megapixels > max_mp:
                continue
            for distortion in DISTORTIONS:
                distorted = pyvips.Image.new_from_buffer(distortion.encode(original), "").copy_memory()
                ref_value, ref_s = reference_score(original, distorted, Path(tmp))
                ours, ours_s = best_time(partial(ssimulacra2.score, original, distorted), repeat)
                prepared = ssimulacra2.Reference(original)
                prepared.score(distorted)  # prepares the original
                _, candidate_s = best_time(partial(prepared.score, distorted), repeat)
                yield Row(
                    image=f"{path.parent.name}/{path.name}",
                    distortion=distortion.name,
                    megapixels=megapixels,
                    reference=ref_value,
                    ours=ours,
                    reference_ms=ref_s * 1000 / megapixels,
                    ours_ms=ours_s * 1000 / megapixels,
                    candidate_ms=candidate_s * 1000 / megapixels,
                )


def print_table(rows: Iterator[Row]) -> list[Row]:
    print(
        "| image | MP | distortion | reference | ours | difference | reference ms/MP | ours ms/MP "
        "| ours per candidate ms/MP |"
    )
    print("|---|---:|---|---:|---:|---:|---:|---:|---:|")
    done = []
    for row in rows:
        cells = [
            row.image,
            f"{row.megapixels:.2f}",
            row.distortion,
            f"{row.reference:.3f}",
            f"{row.ours:.3f}",
            f"{row.difference:+.4f}",
            f"{row.reference_ms:.0f}",
            f"{row.ours_ms:.0f}",
            f"{row.candidate_ms:.0f}",
        ]
        print("| " + " | ".join(cells) + " |", flush=True)
        done.append(row)
    return done


def print_summary(rows: list[Row]) -> None:
    if not rows:
        print("\nNo image measured.")
        return
    worst = max(rows, key=lambda row: abs(row.difference))
    total_mp = sum(row.megapixels for row in rows)

    def weighted(attribute: str) -> float:  # total time / total megapixels
        return sum(getattr(row, attribute) * row.megapixels for row in rows) / total_mp

    median_difference = statistics.median(abs(row.difference) for row in rows)
    print(
        f"\n{len(rows)} pairs. Max |difference| {abs(worst.difference):.4f} "
        f"({worst.image}, {worst.distortion}); median |difference| {median_difference:.4f}."
    )
    print(
        f"Over all pairs: reference {weighted('reference_ms'):.0f} ms/MP, ours "
        f"{weighted('ours_ms'):.0f} ms/MP one-shot, {weighted('candidate_ms'):.0f} ms/MP per candidate "
        "with the original prepared."
    )
    for name in ("photo/dog_exif_extended_xmp_icc.jpg", "photo/kodim03.png"):
        mine = [row for row in rows if row.image == name]
        if mine:
            print(
                f"{name}: reference {statistics.median(r.reference_ms for r in mine):.0f} ms/MP, "
                f"ours {statistics.median(r.ours_ms for r in mine):.0f} ms/MP one-shot, "
                f"{statistics.median(r.candidate_ms for r in mine):.0f} ms/MP per candidate (medians)."
            )


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--corpus", type=Path, default=DEFAULT_CORPUS)
    parser.add_argument("--max-mp", type=float, default=100.0, help="skip images larger than this")
    parser.add_argument("--repeat", type=int, default=3, help="runs of ours per pair; the best counts")
    args = parser.parse_args(argv)
    if not args.corpus.is_dir():
        print(f"corpus not found: {args.corpus}", file=sys.stderr)
        return 2
    print_summary(print_table(measure(args.corpus, max_mp=args.max_mp, repeat=args.repeat)))
    return 0


if __name__ == "__main__":
    sys.exit(main())
