"""docs/benchmarks.md and its chart from the figures of one run."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

from bench.common import median
from bench.compression import LOSSY, TARGETS, CommonRow, MatchedRow, SmartRow, median_ratios
from bench.memory import MemoryRow
from bench.quota import QuotaFigures
from bench.service import RawRow, ServiceRow


@dataclass
class Figures:
    machine: dict[str, str]
    common: list[CommonRow] = field(default_factory=list)
    matched: list[MatchedRow] = field(default_factory=list)
    smart: list[SmartRow] = field(default_factory=list)
    matched_max_mp: float = 2.0
    service: list[ServiceRow] = field(default_factory=list)
    raw: list[RawRow] = field(default_factory=list)
    quota: QuotaFigures | None = None
    memory: list[MemoryRow] = field(default_factory=list)
    agreement: str = ""


def write(figures: Figures, out_dir: Path) -> Path:
    out_dir.mkdir(parents=True, exist_ok=True)
    chart = out_dir / "benchmarks.png"
    draw_chart(figures, chart)
    report = out_dir / "benchmarks.md"
    report.write_text(render(figures, chart.name))
    return report


def render(f: Figures, chart_name: str) -> str:
    lines = ["# pixpress benchmarks", ""]
    lines += [
        "Produced by `make bench` (`python -m bench`). Every comparison is against a baseline measured in the",
        "same run on the same machine; the machines are shared and noisy, so read ratios, not absolute times.",
        "",
        "| machine | |",
        "|---|---|",
        *[f"| {k} | `{v}` |" for k, v in f.machine.items()],
        "",
        f"![chart]({chart_name})",
        "",
    ]
    if f.matched:
        ratios = median_ratios(f.matched)
        lines += [
            "## Headline: bytes at matched quality (pixpress / Pillow, median over corpus/photo)",
            "",
            "| format | SSIMULACRA2 >= 70 | SSIMULACRA2 >= 80 |",
            "|---|---|---|",
        ]
        for fmt in LOSSY:
            cells = [f"{ratios[(fmt, t)]:.3f}x" if (fmt, t) in ratios else "n/a" for t in TARGETS]
            lines.append(f"| {fmt} | {' | '.join(cells)} |")
        lines += [
            "",
            "For each image, each encoder's quality setting is searched (bisection over 1-100) for the smallest",
            "output scoring at or above the target; the ratio compares those two sizes. pixpress is",
            "`imaging.optimize(format=X, quality=q)` (mozjpeg with trellis quantisation for JPEG, libwebp, AV1 via",
            "libheif); Pillow is its JPEG (optimize, progressive), WebP and AVIF encoders. Both encode the same",
            f"pixels; images above {f.matched_max_mp:g} MP were downscaled to {f.matched_max_mp:g} MP for this",
            "search (AVIF encodes of 12 MP photos would take minutes per image). Scores use pixpress's SSIMULACRA2,",
            "which agrees with the reference package (see the agreement section).",
            "",
        ]
    if f.smart:
        lines += [
            "## Smart compression: pixpress's own choice vs Pillow's JPEG at the same score (corpus/photo)",
            "",
            "pixpress runs as a site would use it (`mode=lossy`: quality search to SSIMULACRA2 70), with",
            "`format=jpeg`, and with `format=auto&accept=webp,avif`. Its output's score s is measured; Pillow's",
            "smallest JPEG scoring >= s is found by bisection. Same downscaled pixels as above.",
            "",
        ]
        for output in ("jpeg", "auto"):
            values = [r.ratio for r in f.smart if r.output == output and r.ratio is not None]
            if values:
                lines.append(
                    f"- `format={output}`: median {median(values):.3f}x Pillow's JPEG bytes "
                    f"(worst {max(values):.3f}x, best {min(values):.3f}x, {len(values)} images)"
                )
        lines += [
            "",
            "| image | format= | chosen | pixpress bytes | score | Pillow JPEG bytes at >= score | ratio |",
            "|---|---|---|---|---|---|---|",
            *[
                f"| {r.image} | {r.output} | {r.chosen_format} | {r.pixpress_bytes} | {r.pixpress_score:.1f} | "
                f"{r.pillow_jpeg_bytes or 'unreached'} | {f'{r.ratio:.3f}' if r.ratio else 'n/a'} |"
                for r in f.smart
            ],
            "",
        ]
    if f.service:
        raw = {r.processes: r.images_per_s for r in f.raw}
        lines += [
            "## Service: images per second through the HTTP API (`pixpress serve`, embedded default)",
            "",
            "Uploads of corpus/photo with `?wait=30`; latency is submit -> done as a client sees it.",
            "",
            "| workers | clients | requests | images/s | p50 ms | p95 ms | p99 ms | raw encode images/s | service/raw |",
            "|---|---|---|---|---|---|---|---|---|",
        ]
        for r in f.service:
            base = raw.get(r.workers)
            ratio = f"{r.images_per_s / base:.2f}" if base else "n/a"
            lines.append(
                f"| {r.workers} | {r.clients} | {r.requests} | {r.images_per_s:.2f} | {r.p50_ms:.0f} | "
                f"{r.p95_ms:.0f} | {r.p99_ms:.0f} | {base or float('nan'):.2f} | {ratio} |"
            )
        lines += [
            "",
            "Raw encode: `imaging.optimize` over the same images in a loop, in as many processes as workers.",
            "",
        ]
    if f.quota:
        q = f.quota
        lines += [
            "## Quota path",
            "",
            "| figure | value |",
            "|---|---|",
            f"| GET /api/optimize/quota, 16 clients | {q.quota_rps:.0f} requests/s, p50 {q.quota_p50_ms:.1f} ms, "
            f"p99 {q.quota_p99_ms:.1f} ms |",
            f"| submit of a tiny image, token cached | {q.submit_cached_ms:.1f} ms (median) |",
            f"| same, licence server asked on every request | {q.submit_uncached_ms:.1f} ms (median) |",
            f"| licence check + atomic charge in process (cached token, SQLite) | {q.check_and_charge_cached_ms:.2f} ms |",
            "",
        ]
    if f.memory:
        lines += [
            "## Peak memory of a worker (RSS)",
            "",
            "| image | MP | peak RSS MB | added by the optimization MB | MB per MP |",
            "|---|---|---|---|---|",
            *[
                f"| {m.image} | {m.megapixels:.1f} | {m.peak_mb:.0f} | {m.added_mb:.0f} | {m.mb_per_mp:.1f} |"
                for m in f.memory
            ],
            "",
        ]
    if f.common:
        lines += [
            "## Per image at common settings",
            "",
            "pixpress default (`mode=lossy`, `format=X`) next to Pillow at JPEG q80 optimize progressive, PNG",
            "optimize, WebP q80, AVIF q80. Score: SSIMULACRA2 against the source.",
            "",
            "| image | format | pixpress bytes | score | Pillow bytes | score | bytes ratio |",
            "|---|---|---|---|---|---|---|",
            *[
                f"| {c.image} | {c.format} | {c.pixpress_bytes} | {c.pixpress_score:.1f} | {c.pillow_bytes} | "
                f"{c.pillow_score:.1f} | {c.pixpress_bytes / c.pillow_bytes:.3f} |"
                for c in f.common
            ],
            "",
        ]
    if f.matched:
        lines += [
            "## Per image at matched quality",
            "",
            "| image | format | target | pixpress bytes | Pillow bytes | ratio |",
            "|---|---|---|---|---|---|",
            *[
                f"| {m.image} | {m.format} | {m.target:g} | {m.pixpress_bytes or 'unreached'} | "
                f"{m.pillow_bytes or 'unreached'} | {f'{m.ratio:.3f}' if m.ratio else 'n/a'} |"
                for m in f.matched
            ],
            "",
        ]
    if f.agreement:
        lines += [
            "## SSIMULACRA2: pixpress's implementation against the reference package",
            "",
            f.agreement,
            "",
        ]
    return "\n".join(lines)


def draw_chart(f: Figures, path: Path) -> None:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig, axes = plt.subplots(1, 2, figsize=(11, 4))
    ratios = median_ratios(f.matched) if f.matched else {}
    labels = [f"{fmt}\n>= {t:g}" for fmt in LOSSY for t in TARGETS if (fmt, t) in ratios]
    values = [ratios[(fmt, t)] for fmt in LOSSY for t in TARGETS if (fmt, t) in ratios]
    axes[0].bar(labels, values, color="#3b7dd8")
    axes[0].axhline(1.0, color="grey", linestyle="--", linewidth=1)
    axes[0].set_title("Median bytes vs Pillow at matched SSIMULACRA2")
    axes[0].set_ylabel("pixpress / Pillow")
    for workers in sorted({r.workers for r in f.service}):
        rows = [r for r in f.service if r.workers == workers]
        axes[1].plot(
            [r.clients for r in rows],
            [r.images_per_s for r in rows],
            marker="o",
            label=f"{workers} worker(s)",
        )
    for raw in f.raw:
        axes[1].axhline(
            raw.images_per_s, linestyle=":", linewidth=1, label=f"raw encode, {raw.processes} proc"
        )
    axes[1].set_xscale("log", base=2)
    axes[1].set_title("Images per second through the HTTP API")
    axes[1].set_xlabel("concurrent clients")
    if f.service or f.raw:
        axes[1].legend(fontsize=8)
    fig.tight_layout()
    fig.savefig(path, dpi=110)
    plt.close(fig)
