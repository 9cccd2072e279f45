"""Single figures quoted in the issue notes, each a real run against `pixpress serve`:

python -m bench.figures latency      # submit->done of kodim03.png and the 12 MP photo; corpus savings
python -m bench.figures bulk         # `pixpress optimize` over corpus/photo with 1 and 4 uploads at once
python -m bench.figures search       # optimize() with the perceptual search vs a fixed quality
"""

from __future__ import annotations

import argparse
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import httpx

from bench.common import DEFAULT_CORPUS, site_token
from bench.service import running_server


def latency(corpus: Path) -> None:
    photos = corpus / "photo"
    with running_server(1) as url, httpx.Client(headers={"X-Token": "figures"}, timeout=120) as http:
        for name in ("kodim03.png", "dog_exif_extended_xmp_icc.jpg"):
            data = (photos / name).read_bytes()
            times, body = [], {}
            for _ in range(5):
                http.headers["X-Token"] = site_token()  # not a free re-upload of the previous one
                started = time.perf_counter()
                body = http.post(f"{url}/api/optimize/submit?wait=30", files={"file": (name, data)}).json()[
                    "data"
                ]
                times.append(time.perf_counter() - started)
            print(
                f"{name}: submit->done median {statistics.median(times) * 1000:.0f} ms "
                f"({len(data)} -> {body['optimized_size']} bytes)"
            )
        total_in = total_out = 0
        for path in sorted(photos.iterdir()):
            data = path.read_bytes()
            body = http.post(f"{url}/api/optimize/submit?wait=30", files={"file": (path.name, data)}).json()[
                "data"
            ]
            total_in, total_out = total_in + len(data), total_out + body["optimized_size"]
        saved = total_in - total_out
        percent = 100 * saved / total_in
        print(f"corpus/photo, default mode: {total_in} -> {total_out} bytes, {saved} saved ({percent:.1f}%)")


def bulk(corpus: Path) -> None:
    with tempfile.TemporaryDirectory() as tmp, running_server(2) as url:
        for concurrency in (1, 4):
            out = Path(tmp) / f"out-{concurrency}"
            started = time.perf_counter()
            subprocess.run(
                [
                    sys.executable,
                    "-m",
                    "pixpress",
                    "optimize",
                    str(corpus / "photo"),
                    "--server",
                    url,
                    "--token",
                    f"bulk-{concurrency}",
                    "--output-dir",
                    str(out),
                    "--concurrency",
                    str(concurrency),
                    "--state-file",
                    str(Path(tmp) / f"state-{concurrency}.json"),
                ],
                check=True,
                capture_output=True,
            )
            elapsed = time.perf_counter() - started
            count = len(list(out.rglob("*.*")))
            rate = count / elapsed
            print(f"concurrency {concurrency}: {count} images in {elapsed:.1f} s = {rate:.2f} images/s")


def search(corpus: Path) -> None:
    from pixpress import imaging
    from pixpress.imaging.types import Limits, Mode, OptimizeOptions

    data = [p.read_bytes() for p in sorted((corpus / "photo").iterdir())]
    imaging.optimize(data[0], options=OptimizeOptions(), limits=Limits())  # warm-up

    def timed(options: OptimizeOptions) -> float:
        started = time.perf_counter()
        for item in data:
            imaging.optimize(item, options=options, limits=Limits())
        return time.perf_counter() - started

    for mode, fixed in ((Mode.GLOSSY, 86), (Mode.LOSSY, 80)):
        searched = timed(OptimizeOptions(mode=mode))
        baseline = timed(OptimizeOptions(mode=mode, quality=fixed))
        print(
            f"{mode.value}: search {searched:.1f} s vs fixed quality {fixed} {baseline:.1f} s -> "
            f"throughput ratio {baseline / searched:.2f}"
        )


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("figure", choices=("latency", "bulk", "search"))
    parser.add_argument("--corpus", type=Path, default=DEFAULT_CORPUS)
    args = parser.parse_args()
    {"latency": latency, "bulk": bulk, "search": search}[args.figure](args.corpus)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
