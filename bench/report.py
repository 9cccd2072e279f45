"""docs/benchmarks.md and its chart from the figures of one run."""

from __future__ import annotations

import json
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

from bench.common import median
from bench.compression import (
    AGREEMENT_LIMIT,
    LOSSY,
    SPOT_CHECK_MAX_MP,
    TARGETS,
    CommonRow,
    CompressionFigures,
    MatchedRow,
    SmartRow,
    SpotRow,
    matched_counts,
    median_ratios,
)
from bench.cost import CostFigures, ServerRow
from bench.memory import MemoryRow
from bench.quota import QuotaFigures
from bench.service import RawRow, SearchRow, ServiceRow


@dataclass
class Figures:
    """Everything one report shows. `runs` says, per section, which command measured it and when: a run
    of some sections (--only) keeps the other sections of the previous report (benchmarks.json)."""

    machine: dict[str, str]
    sections: list[str] = field(default_factory=list)
    smoke: bool = False
    runs: dict[str, str] = field(default_factory=dict)
    compression: CompressionFigures | None = None
    service: list[ServiceRow] = field(default_factory=list)
    raw: list[RawRow] = field(default_factory=list)
    search: list[SearchRow] = field(default_factory=list)
    quota: QuotaFigures | None = None
    memory: list[MemoryRow] = field(default_factory=list)
    cost: CostFigures | None = None
    agreement: str = ""
    encoders: str = ""  # bench.jpeg_tables' markdown table
    efforts: str = ""  # bench.encoder_efforts' markdown tables
    jobs: str = ""  # bench.job_cost's markdown tables
    seconds: float = 0.0


def write(figures: Figures, out_dir: Path) -> Path:
    out_dir.mkdir(parents=True, exist_ok=True)
    chart = out_dir / "benchmarks.png"
    draw_chart(figures, chart)
    (out_dir / "benchmarks.json").write_text(json.dumps(asdict(figures), indent=1) + "\n")
    report = out_dir / "benchmarks.md"
    report.write_text(render(figures, chart.name))
    return report


def load(path: Path) -> Figures | None:
    """The figures a previous run saved next to its report, or None."""
    if not path.is_file():
        return None
    try:
        raw: dict[str, Any] = json.loads(path.read_text())
        compression = raw.get("compression")
        quota = raw.get("quota")
        return Figures(
            machine=raw["machine"],
            sections=raw.get("sections", []),
            smoke=raw.get("smoke", False),
            runs=raw.get("runs", {}),
            compression=None
            if compression is None
            else CompressionFigures(
                common=[CommonRow(**row) for row in compression["common"]],
                matched=[MatchedRow(**row) for row in compression["matched"]],
                smart=[SmartRow(**row) for row in compression["smart"]],
                spot=[SpotRow(**row) for row in compression["spot"]],
                metric=compression["metric"],
                metric_reason=compression["metric_reason"],
                notes=compression["notes"],
                matched_max_mp=compression["matched_max_mp"],
                downscaled=compression["downscaled"],
            ),
            service=[ServiceRow(**row) for row in raw.get("service", [])],
            raw=[RawRow(**row) for row in raw.get("raw", [])],
            search=[SearchRow(**row) for row in raw.get("search", [])],
            quota=None if quota is None else QuotaFigures(**quota),
            memory=[MemoryRow(**row) for row in raw.get("memory", [])],
            cost=_cost(raw.get("cost")),
            agreement=raw.get("agreement", ""),
            encoders=raw.get("encoders", ""),
            efforts=raw.get("efforts", ""),
            jobs=raw.get("jobs", ""),
            seconds=raw.get("seconds", 0.0),
        )
    except (KeyError, TypeError, ValueError):
        return None  # an older format: start afresh


def _cost(raw: dict[str, Any] | None) -> CostFigures | None:
    if raw is None:
        return None
    return CostFigures(**{**raw, "servers": [ServerRow(**row) for row in raw["servers"]]})


def merge(previous: Figures, current: Figures, ran: set[str]) -> Figures:
    """`current` for the sections that ran now, `previous` for the others."""
    merged = Figures(
        machine=current.machine,
        sections=sorted(set(previous.sections) | ran, key=SECTION_ORDER.index),
        smoke=current.smoke,
        runs={**previous.runs, **current.runs},
        seconds=previous.seconds + current.seconds,
    )
    for section, attributes in SECTION_FIELDS.items():
        source = current if section in ran else previous
        for attribute in attributes:
            setattr(merged, attribute, getattr(source, attribute))
    return merged


SECTION_ORDER = (
    "agreement",
    "compression",
    "service",
    "quota",
    "memory",
    "cost",
    "jobs",
    "encoders",
    "efforts",
)
SECTION_FIELDS = {
    "agreement": ("agreement",),
    "compression": ("compression",),
    "service": ("service", "raw", "search"),
    "quota": ("quota",),
    "memory": ("memory",),
    "cost": ("cost",),
    "encoders": ("encoders",),
    "efforts": ("efforts",),
    "jobs": ("jobs",),
}


def _ratio(value: float, baseline: float) -> str:
    """value / baseline as "0.50x"; n/a when the baseline measured nothing (a starved smoke run)."""
    return f"{value / baseline:.2f}x" if baseline else "n/a"


def _x(value: float | None) -> str:
    return "n/a" if value is None else f"{value:.3f}x"


def best_by_workers(service: list[ServiceRow]) -> dict[int, ServiceRow]:
    best: dict[int, ServiceRow] = {}
    for row in service:
        if row.workers not in best or row.images_per_s > best[row.workers].images_per_s:
            best[row.workers] = row
    return best


def headlines(f: Figures) -> list[str]:
    lines: list[str] = []
    c = f.compression
    if c and c.matched:
        ratios = median_ratios(c.matched)
        for fmt in LOSSY:
            cells = []
            for target in TARGETS:
                compared, total = matched_counts(c.matched, "photo", fmt, target)
                if total:
                    cells.append(
                        f">= {target:g}: {_x(ratios.get((fmt, target)))} ({compared}/{total} images)"
                    )
            if cells:
                lines.append(
                    f"- {fmt.upper()} bytes vs Pillow at matched SSIMULACRA2 (median, photo): "
                    + "; ".join(cells)
                )
    if c and c.smart:
        for output in ("jpeg", "auto"):
            values = [r.ratio for r in c.smart if r.output == output and r.ratio is not None]
            if values:
                what = "`format=jpeg`" if output == "jpeg" else "`format=auto` (webp, avif accepted)"
                lines.append(
                    f"- pixpress lossy mode, {what}: median {median(values):.3f}x the bytes of Pillow's JPEG at the same score"
                )
    if f.service and f.raw:
        raw = {r.processes: r.images_per_s for r in f.raw}
        for workers, row in sorted(best_by_workers(f.service).items()):
            if workers in raw:
                lines.append(
                    f"- Service, {workers} worker(s): {row.images_per_s:.2f} images/s at best ({row.clients} clients) = "
                    f"{row.images_per_s / raw[workers]:.2f}x the raw in-process encode ({raw[workers]:.2f} images/s, "
                    f"{workers} process(es))"
                )
    for search in f.search:
        lines.append(
            f"- {search.mode} mode's quality search: {search.ratio:.2f}x the throughput of a fixed JPEG "
            f"q{search.fixed_quality} ({search.search_images_per_s:.2f} vs {search.fixed_images_per_s:.2f} "
            "images/s, 1 process)"
        )
    if f.quota:
        q = f.quota
        lines.append(
            f"- GET /api/optimize/quota: {q.quota_rps:.0f} requests/s, p99 {q.quota_p99_ms:.1f} ms with {q.clients} clients "
            f"= {_ratio(q.quota_rps, q.health_rps)} the rate of GET /health on the same server"
        )
        lines.append(
            f"- Quota check + charge in a submit: {q.check_and_charge_cached_ms:.2f} ms in process (cached token); "
            f"a tiny submit takes {q.submit_cached_ms:.1f} ms cached ({q.submit_cached_ms / q.health_ms:.1f}x a GET /health) "
            f"and {q.submit_uncached_ms:.1f} ms when the licence server is asked every time "
            f"(+{q.submit_uncached_ms - q.submit_cached_ms:.1f} ms)"
        )
    if f.memory:
        largest = max(f.memory, key=lambda m: m.megapixels)
        others = [f"{m.mb_per_mp:.0f} MB/MP at {m.megapixels:.1f} MP" for m in f.memory if m is not largest]
        lines.append(
            f"- Worker peak RSS: {largest.mb_per_mp:.1f} MB per megapixel at {largest.megapixels:.1f} MP "
            f"(+{largest.added_mb:.0f} MB over an idle worker)" + (f"; {', '.join(others)}" if others else "")
        )
    return lines


def render(f: Figures, chart_name: str) -> str:
    lines = ["# pixpress benchmarks", ""]
    lines += [
        "Produced by `make bench` (`python -m bench`; `python -m bench --help` for subsets). Every comparison",
        "is against a baseline measured in the same run on the same machine; the machine is shared and noisy,",
        "so read the ratios, not the absolute times.",
        "",
        f"Sections: {', '.join(f.sections)}{' (smoke mode: one image, a few requests)' if f.smoke else ''}; "
        f"{f.seconds / 60:.0f} minutes of measuring.",
        "",
        "| section | measured by |",
        "|---|---|",
        *[f"| {section} | {f.runs[section]} |" for section in SECTION_ORDER if section in f.runs],
        "",
        "| machine | |",
        "|---|---|",
        *[f"| {k} | `{v}` |" for k, v in f.machine.items()],
        "",
        f"![chart]({chart_name})",
        "",
    ]
    found = headlines(f)
    if found:
        lines += ["## Headlines", "", *found, ""]
    if f.compression:
        lines += render_compression(f.compression)
    if f.service:
        lines += render_service(f)
    if f.quota:
        lines += render_quota(f.quota)
    if f.memory:
        lines += render_memory(f.memory)
    if f.cost:
        lines += render_cost(f.cost, f.runs.get("cost", ""))
    if f.agreement:
        lines += [
            "## SSIMULACRA2: pixpress's implementation against the reference package",
            "",
            "Output of `python -m bench.ssimulacra2_agreement` (libvips JPEG and WebP at several qualities).",
            "",
            f.agreement,
            "",
        ]
    if f.encoders:
        lines += [
            "## JPEG encoders at the search's targets",
            "",
            "Output of `python -m bench.jpeg_tables 70 80`: for each mozjpeg quantisation table (4:2:0) and jpegli",
            "(the pyjpegli wheel's defaults), each corpus photo's smallest file reaching the SSIMULACRA2 target,",
            "as the median ratio to Pillow's smallest JPEG reaching it (lower is better). The search uses table 5",
            "below 75 (the lossy target, 70) and table 2 from 75 (glossy, 80). pixpress does not use jpegli; this",
            "table is what to look at again when either encoder changes.",
            "",
            f.encoders,
            "",
        ]
    if f.jobs:
        lines += [
            "## CPU per job: the WordPress job and imgproxy's workload",
            "",
            "Output of `python -m bench.job_cost` (see its docstring): CPU time (utime + stime, reaped children",
            "included) of the whole `pixpress serve` tree per job, median of 3 after a warm-up, against one plain",
            "encode of each output in one process (sharp's defaults: libvips thumbnail per box, JPEG Q82, WebP Q80",
            "effort 4, AVIF Q50 effort 4), measured in the same run. The WordPress job: mode=glossy, format=auto,",
            "accept=avif,webp, keep_metadata=icc and WordPress's sizes smaller than the upload.",
            "",
            f.jobs,
            "",
        ]
    if f.efforts:
        lines += [
            "## AVIF and WebP efforts: bytes and CPU at matched score",
            "",
            "Output of `python -m bench.encoder_efforts 70 80`: each corpus photo fitted into 1 MP, its smallest",
            "file reaching the target per setting (bisection over quality), as the median ratio to the shipped",
            "effort's; CPU of one encode against it. The search probes AVIF at effort 0 and ships effort 4 (one",
            "encode, aimed below the probes' quality by most of effort 4's typical gain: imaging/metric/cheap_probes.py);",
            "WebP is searched and shipped at effort 4.",
            "",
            f.efforts,
            "",
        ]
    return "\n".join(lines)


def render_compression(c: CompressionFigures) -> list[str]:
    lines = [
        "## Compression",
        "",
        f"Scores: {c.metric_reason}.",
        "",
    ]
    lines += [f"Note: {note}" for note in c.notes]
    if c.matched:
        downscaled = (
            f"Images above {c.matched_max_mp:g} MP were downscaled for this search: {', '.join(c.downscaled)}."
            if c.downscaled
            else "No image was downscaled: every search ran on the full image."
        )
        lines += [
            "### Bytes at matched quality (pixpress / Pillow, median per format)",
            "",
            "| format | corpus | SSIMULACRA2 >= 70 | SSIMULACRA2 >= 80 |",
            "|---|---|---|---|",
        ]
        for kind in ("photo", "graphic"):
            ratios = median_ratios(c.matched, kind)
            for fmt in LOSSY:
                cells = []
                for target in TARGETS:
                    compared, total = matched_counts(c.matched, kind, fmt, target)
                    cells.append(f"{_x(ratios.get((fmt, target)))} ({compared}/{total})" if total else "n/a")
                if any(cell != "n/a" for cell in cells):
                    lines.append(f"| {fmt} | {kind} | {' | '.join(cells)} |")
        lines += [
            "",
            "(n/m): images where both encoders reach the target / images. For each image, each encoder's quality",
            "setting is searched (bisection over 1-100, the encodes of the first target reused for the second) for",
            "the smallest output scoring at or above the target; the ratio compares those two sizes. pixpress is",
            "`imaging.optimize(format=X, quality=q)` (mozjpeg with trellis quantisation for JPEG, libwebp, AV1 via",
            "libheif); Pillow is its JPEG (optimize, progressive), WebP and AVIF encoders. pixpress gets the",
            "upload with its colour profile and the default keep_metadata=icc (sRGB profiles dropped, others",
            "kept); Pillow gets the image as a browser shows it (oriented, profile applied, alpha on white).",
            "Scores are colour-managed: outputs that carry a profile are taken through it to sRGB, as browsers do.",
            downscaled,
            "PNG is lossless for Pillow, so it appears only in the common-settings table.",
            "",
        ]
    if c.smart:
        lines += [
            "### Smart compression: pixpress's own choice vs Pillow's JPEG at the same score (corpus/photo)",
            "",
            "pixpress runs as a site would use it (`mode=lossy`: quality search to SSIMULACRA2 70, the default",
            "`keep_metadata=icc`, the upload with its colour profile), with `format=jpeg`, and with",
            "`format=auto&accept=webp,avif`. Its output's score s is measured as a browser shows it (through its",
            "profile); Pillow's smallest JPEG scoring >= s is found by bisection.",
            "",
        ]
        for output in ("jpeg", "auto"):
            values = [r.ratio for r in c.smart if r.output == output and r.ratio is not None]
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
                for r in c.smart
            ],
            "",
        ]
    if c.common:
        lines += [
            "### Per image at common settings",
            "",
            "pixpress default (`mode=lossy`: its own search to SSIMULACRA2 70, `format=X`) next to Pillow at JPEG",
            "q80 optimize progressive, PNG optimize, WebP q80, AVIF q80. Score: SSIMULACRA2 against the source,",
            "both as a browser shows them (colour-managed).",
            "",
            "| corpus | image | format | pixpress bytes | score | Pillow bytes | score | bytes ratio |",
            "|---|---|---|---|---|---|---|---|",
            *[
                f"| {r.kind} | {r.image} | {r.format} | {r.pixpress_bytes} | {r.pixpress_score:.1f} | "
                f"{r.pillow_bytes or 'n/a'} | {'n/a' if r.pillow_score is None else f'{r.pillow_score:.1f}'} | "
                f"{_x(r.ratio)} |"
                for r in c.common
            ],
            "",
        ]
    if c.matched:
        lines += [
            "### Per image at matched quality",
            "",
            "| corpus | image | format | target | pixpress bytes | Pillow bytes | ratio | encodes pixpress / Pillow |",
            "|---|---|---|---|---|---|---|---|",
            *[
                f"| {m.kind} | {m.image} | {m.format} | {m.target:g} | {m.pixpress_bytes or 'unreached'} | "
                f"{m.pillow_bytes or 'unreached'} | {_x(m.ratio)} | {m.pixpress_encodes} / {m.pillow_encodes} |"
                for m in c.matched
            ],
            "",
        ]
    if c.spot:
        worst = max(c.spot, key=lambda s: abs(s.difference))
        lines += [
            "### Spot check of the metric on this run's outputs",
            "",
            f"Every common-settings output of the images up to {SPOT_CHECK_MAX_MP:g} MP scored by both the fast",
            f"metric and the reference package ({len(c.spot)} outputs, JPEG, PNG, WebP and AVIF): max |difference|",
            f"{abs(worst.difference):.4f} ({worst.image}, {worst.format}, {worst.encoder}); median",
            f"{median([abs(s.difference) for s in c.spot]):.4f}. The fast metric is used only within {AGREEMENT_LIMIT:g} point.",
            "",
        ]
    return lines


def render_service(f: Figures) -> list[str]:
    raw = {r.processes: r.images_per_s for r in f.raw}
    lines = [
        "## Service: images per second through the HTTP API (`pixpress serve`, embedded default)",
        "",
        "Uploads of corpus/photo (`?wait=30`, then polling the status); latency is submit -> done as a client",
        "sees it. Raw encode: `imaging.optimize` (default options) over the same images in a loop, in as many",
        "processes as the service has workers, measured in the same run. One client cannot keep two workers",
        "busy, so the overhead is the best row of each worker count against the raw rate.",
        "",
        "| workers | clients | requests | failed | images/s | p50 ms | p95 ms | p99 ms | raw encode images/s | service / raw |",
        "|---|---|---|---|---|---|---|---|---|---|",
    ]
    for r in f.service:
        base = raw.get(r.workers)
        ratio = f"{r.images_per_s / base:.2f}" if base else "n/a"
        lines.append(
            f"| {r.workers} | {r.clients} | {r.requests} | {r.failed} | {r.images_per_s:.2f} | {r.p50_ms:.0f} | "
            f"{r.p95_ms:.0f} | {r.p99_ms:.0f} | {'n/a' if base is None else f'{base:.2f}'} | {ratio} |"
        )
    if f.search:
        lines += [
            "",
            "What the perceptual search costs: `imaging.optimize(format=jpeg)` over the same images in one",
            "process, each mode with its search against the same mode at a fixed quality.",
            "",
            "| mode | search images/s | fixed quality | fixed images/s | search / fixed |",
            "|---|---|---|---|---|",
            *[
                f"| {row.mode} | {row.search_images_per_s:.2f} | {row.fixed_quality} | {row.fixed_images_per_s:.2f} | "
                f"{row.ratio:.2f} |"
                for row in f.search
            ],
        ]
    return [*lines, ""]


def render_quota(q: QuotaFigures) -> list[str]:
    return [
        "## Quota path",
        "",
        "`pixpress serve` (1 worker) against the reference licence server (`pixpress license-server`). The",
        "baselines are GET /health on the same server (no token, no database) and the same submit with the",
        "token cached; the uncached server runs with `PIXPRESS_QUOTA_CACHE_TTL_S=0` and",
        "`PIXPRESS_QUOTA_REFRESH_INTERVAL_S=0`. Licence calls are counted by the licence server itself.",
        "",
        "| figure | value | baseline | ratio |",
        "|---|---|---|---|",
        f"| GET /api/optimize/quota, {q.clients} clients | {q.quota_rps:.0f} requests/s, p50 {q.quota_p50_ms:.1f} ms, "
        f"p99 {q.quota_p99_ms:.1f} ms | GET /health: {q.health_rps:.0f} requests/s, p99 {q.health_p99_ms:.1f} ms | "
        f"{_ratio(q.quota_rps, q.health_rps)} the rate |",
        f"| submit of a tiny PNG, token cached (median of {q.submits}) | {q.submit_cached_ms:.1f} ms, "
        f"{q.licence_calls_cached} licence calls | one GET /health: {q.health_ms:.1f} ms | {q.submit_cached_ms / q.health_ms:.1f}x |",
        f"| same, cache off (median of {q.submits}) | {q.submit_uncached_ms:.1f} ms, {q.licence_calls_uncached} licence calls | "
        f"token cached: {q.submit_cached_ms:.1f} ms | {q.submit_uncached_ms / q.submit_cached_ms:.2f}x "
        f"(+{q.submit_uncached_ms - q.submit_cached_ms:.1f} ms) |",
        f"| licence check + atomic charge in process (cached token, SQLite) | {q.check_and_charge_cached_ms:.2f} ms | "
        f"cached submit: {q.submit_cached_ms:.1f} ms | {q.check_and_charge_cached_ms / q.submit_cached_ms:.2f} of it |",
        "",
    ]


def render_memory(memory: list[MemoryRow]) -> list[str]:
    return [
        "## Peak memory of a worker (RSS)",
        "",
        "`imaging.optimize` (default options) in a fresh process per image; the peak is the process's",
        "VmHWM, the baseline the same process's VmHWM after its imports, before the image is read.",
        "(ru_maxrss is not used: Linux carries it over from the parent across exec.) The largest image",
        "is the largest photo enlarged to 50 MP and saved as JPEG.",
        "",
        "| image | MP | peak RSS MB | added by the optimization MB | MB per MP |",
        "|---|---|---|---|---|",
        *[
            f"| {m.image} | {m.megapixels:.1f} | {m.peak_mb:.0f} | {m.added_mb:.0f} | {m.mb_per_mp:.1f} |"
            for m in memory
        ],
        "",
    ]


def draw_chart(f: Figures, path: Path) -> None:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig, axes = plt.subplots(1, 2, figsize=(11, 4))
    matched = f.compression.matched if f.compression else []
    ratios = median_ratios(matched)
    labels = [f"{fmt}\n>= {t:g}" for fmt in LOSSY for t in TARGETS if (fmt, t) in ratios]
    values = [ratios[(fmt, t)] for fmt in LOSSY for t in TARGETS if (fmt, t) in ratios]
    axes[0].bar(labels, values, color="#3b7dd8")
    axes[0].axhline(1.0, color="grey", linestyle="--", linewidth=1)
    axes[0].set_title("Median bytes vs Pillow at matched SSIMULACRA2 (photo)")
    axes[0].set_ylabel("pixpress / Pillow")
    for workers in sorted({r.workers for r in f.service}):
        rows = [r for r in f.service if r.workers == workers]
        axes[1].plot(
            [r.clients for r in rows],
            [r.images_per_s for r in rows],
            marker="o",
            label=f"service, {workers} worker(s)",
        )
    for raw in f.raw:
        axes[1].axhline(
            raw.images_per_s, linestyle=":", linewidth=1, label=f"raw encode, {raw.processes} process(es)"
        )
    axes[1].set_xscale("log", base=2)
    axes[1].set_title("Images per second through the HTTP API")
    axes[1].set_xlabel("concurrent clients")
    axes[1].set_ylabel("images/s")
    if f.service or f.raw:
        axes[1].legend(fontsize=8)
    fig.tight_layout()
    fig.savefig(path, dpi=110)
    plt.close(fig)


# Issue goals of the cost section: (figure, goal, higher is better).
COST_GOALS = {
    "imgproxy workload: pixpress / thumbor images/s": (1.0, True),
    "imgproxy workload: pixpress / decode floor images/s": (0.9, True),
    "imgproxy workload: peak memory pixpress / thumbor (PSS)": (2.0, False),
    "default mode / plain encodes images/s": (1 / 3, True),
    "12-MP photo submit->done / plain decode+encode": (2.0, False),
    "idle serve resident memory, MB (PSS)": (200.0, False),
}


def cost_ratios(c: CostFigures) -> dict[str, float]:
    ratios: dict[str, float] = {}
    thumbor, ours = c.server("thumbor"), c.server("pixpress")
    if ours is not None:
        ratios["imgproxy workload: pixpress / decode floor images/s"] = (
            ours.images_per_s / c.floor_images_per_s
        )
    if ours is not None and thumbor is not None:
        ratios["imgproxy workload: pixpress / thumbor images/s"] = ours.images_per_s / thumbor.images_per_s
        ratios["imgproxy workload: peak memory pixpress / thumbor (PSS)"] = (
            ours.peak_pss_mb / thumbor.peak_pss_mb
        )
    ratios["default mode / plain encodes images/s"] = c.default_images_per_s / c.plain_images_per_s
    ratios["12-MP photo submit->done / plain decode+encode"] = c.photo_latency_s / c.photo_plain_s
    ratios["idle serve resident memory, MB (PSS)"] = c.idle_pss_mb
    return ratios


def render_cost(c: CostFigures, run: str) -> list[str]:
    lines = [
        "## Cost per image",
        "",
        f"Measured by {run}. imgproxy's published workload: a {c.workload}, 4 concurrent clients through",
        "each server's HTTP API (pixpress: upload with `max_width`/`max_height` in its default mode, wait,",
        "download). thumbor runs from its own virtual environment (Pillow engine, file loader, no storage,",
        "quality 80, one process per core). The decode floor is Pillow's 1/8-scale JPEG decode alone, one",
        "process per core. Memory is sampled every 100 ms over each server's whole process tree: the sum of",
        "PSS (every resident page counted once, shared ones split between the processes that share them:",
        "the tree's real footprint) and, for reference, the sum of RSS (pages shared by forked workers",
        "counted once per process).",
        "",
        "| server | images/s | peak PSS MB | peak RSS MB | processes | failed |",
        "|---|---|---|---|---|---|",
        *[
            f"| {r.server} | {r.images_per_s:.2f} | {r.peak_pss_mb:.0f} | {r.peak_rss_mb:.0f} | {r.processes} "
            f"| {r.failed} |"
            for r in c.servers
        ],
        f"| decode floor | {c.floor_images_per_s:.2f} | | | | |",
        "",
        f"Default mode over corpus/photo through the service: {c.default_images_per_s:.2f} images/s; plain",
        "encodes of the same files in one process per core (JPEG -> mozjpeg q80 with cjpeg's defaults, PNG ->",
        f"libvips compression 6): {c.plain_images_per_s:.2f} images/s. The 12-MP phone photo from submit to",
        f"done: {c.photo_latency_s:.2f} s; one plain decode + encode of it: {c.photo_plain_s:.2f} s. `pixpress",
        f"serve` at rest: {c.idle_pss_mb:.0f} MB PSS ({c.idle_rss_mb:.0f} MB RSS summed over its",
        f"{c.idle_processes} processes).",
        "",
        "| figure | measured | goal | met |",
        "|---|---|---|---|",
    ]
    for name, value in cost_ratios(c).items():
        goal, higher = COST_GOALS[name]
        met = value >= goal if higher else value <= goal
        shown = f"{value:.0f}" if "MB" in name else f"{value:.2f}x"
        wanted = (
            f"{'>=' if higher else '<='} {goal:.0f}"
            if "MB" in name
            else f"{'>=' if higher else '<='} {goal:.2f}x"
        )
        lines.append(f"| {name} | {shown} | {wanted} | {'yes' if met else 'no'} |")
    lines.append("")
    return lines
