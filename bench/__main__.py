"""`python -m bench`: run the benchmarks and write docs/benchmarks.md with its chart.

python -m bench                    # everything, report in docs/
python -m bench --only service     # a subset: compression, service, quota, memory, agreement
python -m bench --smoke            # one image, a few requests; report in bench/out/ (what CI runs)
"""

from __future__ import annotations

import argparse
import subprocess
import sys
import time
from pathlib import Path

from bench import compression, memory, quota, service
from bench.common import DEFAULT_CORPUS, REPO_ROOT, BenchConfig, machine
from bench.report import Figures, write

SECTIONS = ("compression", "service", "quota", "memory", "agreement")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description="pixpress benchmarks")
    parser.add_argument("--corpus", type=Path, default=DEFAULT_CORPUS)
    parser.add_argument("--smoke", action="store_true", help="one image, a few requests (CI)")
    parser.add_argument("--only", default=",".join(SECTIONS), help="comma list of sections")
    parser.add_argument(
        "--out", type=Path, default=None, help="report folder (default docs/, bench/out/ in smoke)"
    )
    parser.add_argument("--matched-max-mp", type=float, default=2.0)
    args = parser.parse_args(argv)
    only = {s.strip() for s in args.only.split(",") if s.strip()}
    unknown = only - set(SECTIONS)
    if unknown:
        parser.error(f"unknown sections: {', '.join(sorted(unknown))}")
    out = args.out or (REPO_ROOT / "bench" / "out" if args.smoke else REPO_ROOT / "docs")
    config = BenchConfig(
        corpus=args.corpus, smoke=args.smoke, out_dir=out, matched_max_mp=args.matched_max_mp
    )
    started = time.monotonic()

    def log(message: str) -> None:
        print(f"[{time.monotonic() - started:6.0f}s] {message}", flush=True)

    figures = Figures(machine=machine(), matched_max_mp=config.matched_max_mp)
    if "compression" in only:
        figures.common, figures.matched, figures.smart = compression.run(config, log)
    if "service" in only:
        figures.service, figures.raw = service.run(config, log)
    if "quota" in only:
        figures.quota = quota.run(config, log)
    if "memory" in only:
        figures.memory = memory.run(config, log)
    if "agreement" in only and not config.smoke:
        log("agreement: running bench.ssimulacra2_agreement (the reference metric is slow)")
        figures.agreement = subprocess.run(
            [sys.executable, "-m", "bench.ssimulacra2_agreement", "--corpus", str(config.corpus)],
            capture_output=True,
            text=True,
            check=True,
        ).stdout
    report = write(figures, config.out_dir)
    log(f"report written to {report}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
