"""`python -m bench`: run the benchmarks and write docs/benchmarks.md with its chart.

python -m bench                          # everything, report in docs/
python -m bench --only service,quota     # a subset of: agreement, compression, service, quota, memory,
                                         # cost, jobs, encoders, efforts
python -m bench --smoke                  # one image, a few requests; report in bench/out/ (what CI runs)
python -m bench --metric reference       # score with the reference ssimulacra2 package whatever agrees
"""

from __future__ import annotations

import argparse
import re
import subprocess
import sys
import time
from pathlib import Path

from bench import compression, cost, job_cost, memory, quota, service
from bench.common import DEFAULT_CORPUS, REPO_ROOT, BenchConfig, machine
from bench.report import SECTION_ORDER, Figures, load, merge, write

SECTIONS = SECTION_ORDER


def parse_args(argv: list[str] | None) -> tuple[argparse.Namespace, set[str]]:
    parser = argparse.ArgumentParser(prog="python -m bench", description="pixpress benchmarks")
    parser.add_argument("--corpus", type=Path, default=DEFAULT_CORPUS, help="folder with photo/ and graphic/")
    parser.add_argument("--smoke", action="store_true", help="one image, a few requests (CI)")
    parser.add_argument("--only", default=",".join(SECTIONS), help=f"comma list of {', '.join(SECTIONS)}")
    parser.add_argument(
        "--out", type=Path, default=None, help="report folder (default docs/, bench/out/ with --smoke)"
    )
    parser.add_argument(
        "--metric",
        choices=("auto", "fast", "reference"),
        default="auto",
        help="SSIMULACRA2 implementation: auto takes pixpress's fast one only if it agrees within 1 point",
    )
    parser.add_argument(
        "--render",
        action="store_true",
        help="measure nothing: write the report again from the folder's benchmarks.json",
    )
    parser.add_argument(
        "--matched-max-mp",
        type=float,
        default=None,
        help="downscale images above this many megapixels for the matched-quality search (default: none)",
    )
    args = parser.parse_args(argv)
    only = {s.strip() for s in args.only.split(",") if s.strip()}
    unknown = only - set(SECTIONS)
    if unknown:
        parser.error(f"unknown sections: {', '.join(sorted(unknown))}")
    if not (args.corpus / "photo").is_dir():
        parser.error(f"no photo/ folder in the corpus {args.corpus} (use --corpus)")
    return args, only


def agreement_table(corpus: Path) -> tuple[str, float]:
    """bench.ssimulacra2_agreement's markdown output and its max |difference|."""
    out = subprocess.run(
        [sys.executable, "-m", "bench.ssimulacra2_agreement", "--corpus", str(corpus)],
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    found = re.search(r"Max \|difference\| ([0-9.]+)", out)
    if found is None:
        raise RuntimeError(f"bench.ssimulacra2_agreement printed no summary:\n{out[-2000:]}")
    return out, float(found.group(1))


def efforts_tables(targets: tuple[str, ...] = ("70", "80")) -> str:
    """bench.encoder_efforts' markdown tables (AVIF and WebP efforts at matched score, and the gains)."""
    out = subprocess.run(
        [sys.executable, "-m", "bench.encoder_efforts", *targets], capture_output=True, text=True, check=True
    ).stdout
    tables = out[out.find("| setting") :].strip()
    if not tables.startswith("|"):
        raise RuntimeError(f"bench.encoder_efforts printed no table:\n{out[-2000:]}")
    return tables


def encoders_table(targets: tuple[str, ...] = ("70", "80")) -> str:
    """bench.jpeg_tables' markdown table (the mozjpeg tables and jpegli against Pillow at each target)."""
    out = subprocess.run(
        [sys.executable, "-m", "bench.jpeg_tables", *targets], capture_output=True, text=True, check=True
    ).stdout
    table = out[out.find("| SSIMULACRA2 target") :].strip()
    if not table.startswith("|"):
        raise RuntimeError(f"bench.jpeg_tables printed no table:\n{out[-2000:]}")
    return table


def main(argv: list[str] | None = None) -> int:
    args, only = parse_args(argv)
    if args.smoke:
        only.discard("agreement")  # the reference metric over the corpus takes minutes
        only.discard("encoders")  # a bisection per encoder and photo: about 5 minutes
        only.discard("efforts")  # a bisection per effort and photo: about 30 minutes
    out = args.out or (REPO_ROOT / "bench" / "out" if args.smoke else REPO_ROOT / "docs")
    config = BenchConfig(
        corpus=args.corpus,
        smoke=args.smoke,
        out_dir=out,
        matched_max_mp=args.matched_max_mp,
        metric=args.metric,
    )
    if args.render:
        saved = load(out / "benchmarks.json")
        if saved is None:
            print(f"no readable benchmarks.json in {out}", file=sys.stderr)
            return 2
        print(f"report written to {write(saved, out)}")
        return 0
    started = time.monotonic()

    def log(message: str) -> None:
        print(f"[{time.monotonic() - started:6.0f}s] {message}", flush=True)

    about = machine()
    stamp = f"`{about['command']}` on {time.strftime('%Y-%m-%d %H:%M %Z')}"
    figures = Figures(
        machine=about,
        sections=sorted(only, key=SECTIONS.index),
        smoke=args.smoke,
        runs={section: stamp for section in only},
    )
    agreement_max: float | None = None
    if "agreement" in only:
        log("agreement: bench.ssimulacra2_agreement over the corpus (the reference metric is slow)")
        figures.agreement, agreement_max = agreement_table(config.corpus)
        log(f"agreement: max |difference| {agreement_max:.4f}")
    if "compression" in only:
        figures.compression = compression.run(config, log, agreement_max)
    if "service" in only:
        figures.service, figures.raw, figures.search = service.run(config, log)
    if "quota" in only:
        figures.quota = quota.run(config, log)
    if "memory" in only:
        figures.memory = memory.run(config, log)
    if "cost" in only:
        figures.cost = cost.run(config, log)
    if "jobs" in only:
        figures.jobs = job_cost.run(config.corpus, runs=1 if config.smoke else 3, smoke=config.smoke, log=log)
    if "efforts" in only:
        log("efforts: bench.encoder_efforts 70 80 (AVIF and WebP efforts at matched score)")
        figures.efforts = efforts_tables()
    if "encoders" in only:
        log("encoders: bench.jpeg_tables 70 80 (mozjpeg tables and jpegli against Pillow)")
        figures.encoders = encoders_table()
    figures.seconds = time.monotonic() - started
    previous = load(config.out_dir / "benchmarks.json") if only != set(SECTIONS) else None
    if previous is not None and previous.smoke == config.smoke:
        figures = merge(previous, figures, set(figures.runs))
        kept = ", ".join(sorted(set(SECTIONS) - only))
        log(f"sections not run now are kept from the previous report: {kept}")
    report = write(figures, config.out_dir)
    log(f"report written to {report}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
