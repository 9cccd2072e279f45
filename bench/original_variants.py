"""What `accept_for=sizes` saves on the WordPress job of a large photo: the 12-MP original WordPress keeps
beside its -scaled copy, with the seven sizes WordPress 6.1 makes of it, glossy, format=auto with WebP and
AVIF accepted, in one process (optimize_with_sizes), once with the accepted formats for every output
(`accept_for=all`: the 12-MP original also in WebP and AVIF) and once for the sizes only (what the
WordPress plugin asks for the real original, which WordPress never serves).

python -m bench.original_variants [--runs 3]

Prints the CPU time (time.process_time: this process, all its threads) and wall time of each, medians of
`--runs`, alternating the two. One BLAS thread (OPENBLAS_NUM_THREADS=1), as every bench.
"""

from __future__ import annotations

import argparse
import os
import statistics
import time
from pathlib import Path

from bench.common import DEFAULT_CORPUS

OUT = Path(__file__).resolve().parent / "out"
# What WordPress 6.1 makes of a 4242x2828 upload: -scaled (the "full" it serves) and its six sizes.
WORDPRESS_SIZES = (
    "full:2560x1707,large:1024x683,medium:300x200,thumbnail:150x150:crop,medium_large:768x512,"
    "1536x1536:1536x1024,2048x2048:2048x1365"
)


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(
        prog="python -m bench.original_variants", description=__doc__.split("\n")[0]
    )
    parser.add_argument("--corpus", type=Path, default=DEFAULT_CORPUS)
    parser.add_argument("--runs", type=int, default=3)
    args = parser.parse_args(argv)
    os.environ["OPENBLAS_NUM_THREADS"] = "1"
    from bench.wordpress_plugin import twelve_mp
    from pixpress.imaging import Limits, optimize_with_sizes, parse_options

    OUT.mkdir(parents=True, exist_ok=True)
    data = twelve_mp(args.corpus, OUT).read_bytes()
    times: dict[str, list[tuple[float, float]]] = {"all": [], "sizes": []}
    for _ in range(args.runs):
        for accept_for in times:
            fields = {"mode": "glossy", "format": "auto", "accept": "webp,avif", "sizes": WORDPRESS_SIZES}
            options = parse_options({**fields, "accept_for": accept_for})
            cpu, wall = time.process_time(), time.perf_counter()
            result = optimize_with_sizes(data, options=options, limits=Limits())
            times[accept_for].append((time.process_time() - cpu, time.perf_counter() - wall))
            formats = [v.format.value for v in result.main.variants]
            print(f"accept_for={accept_for}: {times[accept_for][-1][0]:.1f} s CPU, the original in {formats}")
    for accept_for, runs in times.items():
        cpu = statistics.median(c for c, _ in runs)
        wall = statistics.median(w for _, w in runs)
        print(f"accept_for={accept_for}: median {cpu:.1f} s CPU, {wall:.1f} s wall over {len(runs)} runs")
    ratio = statistics.median(c for c, _ in times["sizes"]) / statistics.median(c for c, _ in times["all"])
    print(f"sizes / all: {ratio:.2f}x the CPU")


if __name__ == "__main__":
    main()
