"""Which AVIF and WebP efforts the search probes with and ships (presets.AVIF_*, presets.WEBP_*).

For each encoder setting and target, each corpus photo (as a browser shows it, fitted into 1 MP: the
sizes a page shows) gets its smallest file reaching the target (bisection over quality 1-100). Printed
as a markdown table (the report's "efforts" section): per setting, the median bytes against the shipped
effort's at the same score, and the median CPU of one encode against it. A second table checks the
search's bet: the score of one encode at the shipped effort, at the quality the cheap probe effort
found, against the target; a third gives the shipped effort's gain over the probe effort at the same
quality, which imaging/metric/cheap_probes.py aims below by (`python -m bench.encoder_efforts [target ...]`;
about 30 minutes on 2 cores).
"""

from __future__ import annotations

import io
import os
import resource
import statistics
import sys
from collections.abc import Callable
from dataclasses import dataclass

import pyvips
from PIL import Image as PILImage

from bench.common import DEFAULT_CORPUS as CORPUS
from bench.compression import smallest_reaching, source_pixels
from pixpress.imaging import presets
from pixpress.imaging.perceptual import Judge

MAX_MP = 1.0


@dataclass(frozen=True)
class Setting:
    label: str
    format: str  # avif | webp
    make: Callable[[pyvips.Image], Callable[[int], bytes]]


def vips_avif(effort: int) -> Callable[[pyvips.Image], Callable[[int], bytes]]:
    def make(image: pyvips.Image) -> Callable[[int], bytes]:
        def encode(quality: int) -> bytes:
            data: bytes = image.heifsave_buffer(
                Q=quality, effort=effort, compression="av1", bitdepth=8, keep="none"
            )
            return data

        return encode

    return make


def pillow_avif(speed: int) -> Callable[[pyvips.Image], Callable[[int], bytes]]:
    def make(image: pyvips.Image) -> Callable[[int], bytes]:
        rgb = PILImage.open(io.BytesIO(image.pngsave_buffer(compression=1))).convert("RGB")

        def encode(quality: int) -> bytes:
            out = io.BytesIO()
            rgb.save(out, "AVIF", quality=quality, speed=speed)
            return out.getvalue()

        return encode

    return make


def vips_webp(effort: int) -> Callable[[pyvips.Image], Callable[[int], bytes]]:
    def make(image: pyvips.Image) -> Callable[[int], bytes]:
        def encode(quality: int) -> bytes:
            data: bytes = image.webpsave_buffer(
                Q=quality, effort=effort, smart_subsample=True, alpha_q=100, keep="none"
            )
            return data

        return encode

    return make


SETTINGS = [
    *(Setting(f"AVIF libvips effort {e}", "avif", vips_avif(e)) for e in (0, 1, 2, 3, 4, 5)),
    *(Setting(f"AVIF Pillow speed {s}", "avif", pillow_avif(s)) for s in (6, 8)),
    *(Setting(f"WebP effort {e}", "webp", vips_webp(e)) for e in (0, 2, 4, 6)),
]
SHIPPED = {"avif": f"AVIF libvips effort {presets.AVIF_EFFORT}", "webp": f"WebP effort {presets.WEBP_EFFORT}"}
PROBE = {"avif": f"AVIF libvips effort {presets.AVIF_PROBE_EFFORT}"}  # WebP is searched at its shipped effort


def _cpu_s() -> float:
    usage = resource.getrusage(resource.RUSAGE_SELF)
    return usage.ru_utime + usage.ru_stime


@dataclass
class Found:
    size_bytes: int
    quality: int
    cpu_s: float  # one encode at that quality


def measure(targets: list[float]) -> dict[tuple[str, float, str], Found]:
    found: dict[tuple[str, float, str], Found] = {}
    for path in sorted((CORPUS / "photo").iterdir()):
        image = source_pixels(path, MAX_MP)
        judge = Judge(image, frame_height=image.height).prepare()
        for setting in SETTINGS:
            encode = setting.make(image)
            cache: dict[int, tuple[bytes, float]] = {}
            for target in targets:
                best = smallest_reaching(encode, judge.score, target, cache)
                if best is None:
                    continue
                quality = next(q for q, (data, _) in cache.items() if data is best)
                started = _cpu_s()
                encode(quality)
                found[(path.name, target, setting.label)] = Found(len(best), quality, _cpu_s() - started)
        print(f"{path.name}: done", file=sys.stderr, flush=True)
    return found


def bet(targets: list[float]) -> dict[tuple[str, float], list[float]]:
    """Per format and target: the shipped effort's score at the quality the probe effort found."""
    scores: dict[tuple[str, float], list[float]] = {}
    by_label = {s.label: s for s in SETTINGS}
    for path in sorted((CORPUS / "photo").iterdir()):
        image = source_pixels(path, MAX_MP)
        judge = Judge(image, frame_height=image.height).prepare()
        for fmt in PROBE:
            probe = by_label[PROBE[fmt]].make(image)
            shipped = by_label[SHIPPED[fmt]].make(image)
            cache: dict[int, tuple[bytes, float]] = {}
            for target in targets:
                best = smallest_reaching(probe, judge.score, target, cache)
                if best is None:
                    continue
                quality = next(q for q, (data, _) in cache.items() if data is best)
                scores.setdefault((fmt, target), []).append(judge.score(shipped(quality)) - target)
    return scores


GAIN_QUALITIES = (55, 65, 75, 85)


def gains() -> dict[int, list[float]]:
    """AVIF: the shipped effort's score minus the probe effort's at the same quality, per photo
    (imaging/metric/cheap_probes.py's TYPICAL_GAIN)."""
    by_label = {s.label: s for s in SETTINGS}
    found: dict[int, list[float]] = {}
    for path in sorted((CORPUS / "photo").iterdir()):
        image = source_pixels(path, MAX_MP)
        judge = Judge(image, frame_height=image.height).prepare()
        probe, shipped = by_label[PROBE["avif"]].make(image), by_label[SHIPPED["avif"]].make(image)
        for quality in GAIN_QUALITIES:
            found.setdefault(quality, []).append(judge.score(shipped(quality)) - judge.score(probe(quality)))
    return found


def gain_table(found: dict[int, list[float]]) -> str:
    lines = [
        "| AVIF quality | effort 4 score - effort 0 score: median | min | max |",
        "|---|---|---|---|",
    ]
    for quality, values in sorted(found.items()):
        lines.append(
            f"| {quality} | {statistics.median(values):+.2f} | {min(values):+.2f} | {max(values):+.2f} |"
        )
    return "\n".join(lines)


def table(found: dict[tuple[str, float, str], Found], targets: list[float]) -> str:
    photos = sorted({key[0] for key in found})
    header = " | ".join(f"bytes at {t:g}" for t in targets)
    lines = [
        f"| setting | {header} | CPU per encode | ms per MP |",
        "|---|" + "---|" * len(targets) + "---|---|",
    ]
    for setting in SETTINGS:
        shipped = SHIPPED[setting.format]
        cells = []
        cpu_ratios, cpu_ms = [], []
        for target in targets:
            ratios = []
            for photo in photos:
                mine, reference = (
                    found.get((photo, target, setting.label)),
                    found.get((photo, target, shipped)),
                )
                if mine is None or reference is None:
                    continue
                ratios.append(mine.size_bytes / reference.size_bytes)
                cpu_ratios.append(mine.cpu_s / max(reference.cpu_s, 1e-4))
                cpu_ms.append(mine.cpu_s * 1000 / MAX_MP)
            cells.append(f"{statistics.median(ratios):.3f}" if ratios else "-")
        cpu = f"{statistics.median(cpu_ratios):.2f}x" if cpu_ratios else "-"
        ms = f"{statistics.median(cpu_ms):.0f}" if cpu_ms else "-"
        mark = {shipped: " (shipped)", PROBE.get(setting.format): " (probes)"}.get(setting.label, "")
        lines.append(f"| {setting.label}{mark} | {' | '.join(cells)} | {cpu} | {ms} |")
    return "\n".join(lines)


def bet_table(scores: dict[tuple[str, float], list[float]]) -> str:
    lines = [
        "| format | target | shipped effort at the probe's quality, score - target: median | min | under |",
        "|---|---|---|---|---|",
    ]
    for (fmt, target), margins in sorted(scores.items()):
        under = sum(1 for m in margins if m < 0)
        median, lowest = statistics.median(margins), min(margins)
        lines.append(f"| {fmt} | {target:g} | {median:+.2f} | {lowest:+.2f} | {under} of {len(margins)} |")
    return "\n".join(lines)


def main(argv: list[str]) -> int:
    os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")
    pyvips.cache_set_max(0)
    targets = [float(t) for t in argv] or [70.0, 80.0]
    print("| SSIMULACRA2 targets: " + ", ".join(f"{t:g}" for t in targets) + " |\n")
    print(table(measure(targets), targets))
    print()
    print(bet_table(bet(targets)))
    print()
    print(gain_table(gains()))
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
