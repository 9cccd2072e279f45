"""Shared pieces of the benchmarks: the corpus, the machine, timing helpers."""

from __future__ import annotations

import os
import platform
import statistics
import sys
import uuid
from dataclasses import dataclass
from pathlib import Path

REPO_ROOT = Path(__file__).resolve().parent.parent
# The repository's own images (corpus/SOURCES.md); PIXPRESS_CORPUS points elsewhere when wanted.
DEFAULT_CORPUS = Path(os.environ.get("PIXPRESS_CORPUS") or REPO_ROOT / "corpus")


@dataclass
class BenchConfig:
    corpus: Path = DEFAULT_CORPUS
    smoke: bool = False
    out_dir: Path = REPO_ROOT / "docs"
    matched_max_mp: float | None = None  # when set, matched-quality searches downscale to this size
    metric: str = "auto"  # auto | fast | reference (SSIMULACRA2 implementation for the scores)

    def images(self, kind: str) -> list[Path]:
        folder = self.corpus / kind
        found = sorted(p for p in folder.iterdir() if p.suffix.lower() in (".png", ".jpg", ".jpeg"))
        return found[:1] if self.smoke else found


def site_token() -> str:
    """A token no upload came from yet. Each measured upload comes from its own site, as the vendor's
    shops send them: the same bytes and options again from one token would be a free re-upload of the
    first task (its result, no work), not the cost being measured."""
    return f"bench-site-{uuid.uuid4().hex[:12]}"


def machine() -> dict[str, str]:
    import numpy
    import PIL
    import pyvips
    from PIL import features

    return {
        "cpus": str(os.cpu_count()),
        "cpu model": _cpu_model(),
        "load average at start": " ".join(f"{value:.2f}" for value in os.getloadavg()),
        "python": platform.python_version(),
        "platform": platform.platform(),
        "libvips": f"{pyvips.version(0)}.{pyvips.version(1)}.{pyvips.version(2)}",
        "pyvips": pyvips.__version__,
        "pillow": PIL.__version__,
        "pillow avif": "yes" if features.check("avif") else "no",
        "numpy": numpy.__version__,
        "command": " ".join([Path(sys.executable).name, "-m", "bench", *sys.argv[1:]]),
    }


def _cpu_model() -> str:
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or "unknown"


def percentile(values: list[float], p: float) -> float:
    if not values:
        return float("nan")
    ordered = sorted(values)
    index = min(len(ordered) - 1, max(0, round(p / 100 * (len(ordered) - 1))))
    return ordered[index]


def median(values: list[float]) -> float:
    return statistics.median(values) if values else float("nan")
