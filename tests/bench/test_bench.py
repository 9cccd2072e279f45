"""The benchmark keeps working: its search and report pieces, and `python -m bench --smoke` end to end."""

from __future__ import annotations

import hashlib
import subprocess
import sys
from pathlib import Path

import pytest
from bench.common import REPO_ROOT, percentile
from bench.compression import (
    CommonRow,
    CompressionFigures,
    Managed,
    MatchedRow,
    SmartRow,
    SpotRow,
    choose_metric,
    median_ratios,
    pixpress_encode,
    smallest_reaching,
    source_pixels,
    upload_png,
)
from bench.cost import CostFigures, ServerRow
from bench.memory import MemoryRow
from bench.quota import QuotaFigures
from bench.report import Figures, load, merge, render, write
from bench.service import RawRow, SearchRow, ServiceRow


def steps(score_of_quality: dict[int, float] | None = None) -> tuple[list[int], object, object]:
    """An encoder whose output is q bytes long, and a score that rises with q (or follows a table)."""
    calls: list[int] = []

    def encode(q: int) -> bytes:
        calls.append(q)
        return bytes(q)

    def score(data: bytes) -> float:
        q = len(data)
        return score_of_quality[q] if score_of_quality else float(q)

    return calls, encode, score


def test_pixpress_gets_the_upload_with_its_profile_and_is_scored_as_shown(corpus: Path) -> None:
    """The compression section measures the default keep_metadata=icc on the upload as a site sends it,
    and scores what a browser shows: rocket.jpg (Adobe RGB) keeps its profile and reaches 70 through it
    (scored on raw values, its JPEG used to pass at 70.96 and show at 67.2); chelsea.png's sRGB profile
    is gone from the output."""
    rocket = corpus / "photo" / "rocket.jpg"
    upload = upload_png(rocket)
    assert b"iCCP" in upload
    out = pixpress_encode(upload, "jpeg", None)
    assert b"ICC_PROFILE" in out
    assert Managed(source_pixels(rocket)).score_bytes(out) >= 70.0
    chelsea = pixpress_encode(upload_png(corpus / "photo" / "chelsea.png"), "jpeg", None)
    assert b"ICC_PROFILE" not in chelsea


def test_bisection_finds_the_lowest_quality_reaching_the_target_in_few_encodes() -> None:
    calls, encode, score = steps()
    cache: dict[int, tuple[bytes, float]] = {}
    found = smallest_reaching(encode, score, 70.0, cache)  # type: ignore[arg-type]
    assert found is not None and len(found) == 70
    assert len(calls) <= 8
    again = smallest_reaching(encode, score, 80.0, cache)  # type: ignore[arg-type]
    assert again is not None and len(again) == 80
    assert len(calls) <= 16 and len(set(calls)) == len(calls), "a setting was encoded twice"


def test_bisection_reports_an_unreachable_target_and_never_returns_a_file_under_it() -> None:
    _, encode, score = steps()
    assert smallest_reaching(encode, score, 100.5, {}) is None  # type: ignore[arg-type]
    # A score that is not monotonic in q: whatever comes back must still reach the target.
    table = {q: (75.0 if q in (40, 41, 42) else float(q)) for q in range(1, 101)}
    _, encode, score = steps(table)
    found = smallest_reaching(encode, score, 72.0, {})  # type: ignore[arg-type]
    assert found is not None and table[len(found)] >= 72.0


def test_fast_metric_only_when_it_agrees_within_one_point() -> None:
    close = [SpotRow("a.png", "jpeg", "pixpress", 70.2, 70.0)]
    far = [SpotRow("a.png", "avif", "Pillow", 72.5, 71.0)]
    assert choose_metric("auto", close, 0.004)[0] == "fast"
    assert choose_metric("auto", far, 0.004)[0] == "reference"
    assert choose_metric("auto", close, 1.2)[0] == "reference"
    assert choose_metric("auto", [], None)[0] == "reference"
    assert choose_metric("fast", far, None)[0] == "fast"
    assert choose_metric("reference", close, 0.0)[0] == "reference"


def test_percentile_and_median_ratio_per_corpus() -> None:
    assert percentile([float(v) for v in range(1, 101)], 99) == 99.0
    assert percentile([5.0], 50) == 5.0
    matched = [
        MatchedRow("photo", "a", "jpeg", 70.0, 80, 100),
        MatchedRow("photo", "b", "jpeg", 70.0, 90, 100),
        MatchedRow("photo", "c", "jpeg", 70.0, None, 100),
        MatchedRow("graphic", "d", "jpeg", 70.0, 300, 100),
    ]
    assert median_ratios(matched)[("jpeg", 70.0)] == pytest.approx(0.85)
    assert median_ratios(matched, "graphic")[("jpeg", 70.0)] == pytest.approx(3.0)


def sample_figures(machine: str) -> Figures:
    return Figures(
        machine={"cpus": "2", "command": machine},
        sections=["compression", "service", "quota", "memory", "cost"],
        runs={s: machine for s in ("compression", "service", "quota", "memory", "cost")},
        compression=CompressionFigures(
            common=[CommonRow("photo", "a.png", "jpeg", 900, 71.0, 1000, 79.0)],
            matched=[MatchedRow("photo", "a.png", "jpeg", 70.0, 850, 1000, 8, 8)],
            smart=[SmartRow("a.png", "jpeg", "jpeg", 900, 71.0, 1000)],
            spot=[SpotRow("a.png", "jpeg", "pixpress", 71.0, 71.001)],
            metric="fast",
            metric_reason="agrees",
        ),
        service=[ServiceRow(1, 4, 8, 1.5, 100.0, 200.0, 300.0)],
        raw=[RawRow(1, 2.0)],
        search=[SearchRow("glossy", 86, 0.5, 1.0)],
        quota=QuotaFigures(16, 500.0, 20.0, 80.0, 1000.0, 40.0, 2.0, 12.0, 14.0, 0, 100, 100, 1.5),
        memory=[MemoryRow("a.png", 2.0, 150.0, 100.0)],
        cost=CostFigures(
            workload="7360x4912 JPEG of 7917716 bytes into 500x500",
            floor_images_per_s=16.0,
            servers=[
                ServerRow("thumbor", 48, 15.0, 120.0, 70.0, 3),
                ServerRow("pixpress", 48, 9.0, 400.0, 280.0, 4),
            ],
            default_images_per_s=5.0,
            plain_images_per_s=20.0,
            photo_latency_s=3.0,
            photo_plain_s=1.5,
            idle_rss_mb=380.0,
            idle_pss_mb=190.0,
            idle_processes=4,
        ),
        seconds=60.0,
    )


def test_report_round_trips_and_a_partial_run_keeps_the_other_sections(tmp_path: Path) -> None:
    first = sample_figures("first")
    write(first, tmp_path)
    report = (tmp_path / "benchmarks.md").read_text()
    assert "0.850x" in report  # matched ratio
    assert "0.75x the raw in-process encode" in report  # service 1.5 / raw 2.0
    assert "0.50x the rate of GET /health" in report
    assert "glossy mode's quality search: 0.50x the throughput of a fixed JPEG q86" in report
    # The cost goals: 9 / 15 images/s is 0.60x thumbor (not met), 280 / 70 MB is 4.00x its memory.
    assert "| imgproxy workload: pixpress / thumbor images/s | 0.60x | >= 1.00x | no |" in report
    assert "| imgproxy workload: peak memory pixpress / thumbor (PSS) | 4.00x | <= 2.00x | no |" in report
    assert "| idle serve resident memory, MB (PSS) | 190 | <= 200 | yes |" in report
    assert (tmp_path / "benchmarks.png").read_bytes().startswith(b"\x89PNG")
    loaded = load(tmp_path / "benchmarks.json")
    assert loaded is not None and render(loaded, "c.png") == render(first, "c.png")

    second = Figures(
        machine={"cpus": "2", "command": "second"}, sections=["service"], runs={"service": "second"}
    )
    second.service, second.raw = [ServiceRow(1, 1, 4, 3.0, 10.0, 20.0, 30.0)], [RawRow(1, 4.0)]
    merged = merge(loaded, second, {"service"})
    assert merged.compression == first.compression and merged.quota == first.quota
    assert merged.service == second.service and merged.runs["service"] == "second"
    assert merged.search == [], "the service section is replaced whole"
    assert merged.runs["memory"] == "first"
    assert load(tmp_path / "missing.json") is None


@pytest.mark.slow
def test_smoke_run_writes_its_report_elsewhere_than_docs(corpus: Path, tmp_path: Path) -> None:
    docs = REPO_ROOT / "docs" / "benchmarks.md"
    before = hashlib.sha256(docs.read_bytes()).hexdigest() if docs.exists() else None
    out = tmp_path / "out"
    done = subprocess.run(
        # The cost section (thumbor in a venv of its own) runs in `make bench-smoke`, not here.
        [
            sys.executable,
            "-m",
            "bench",
            "--smoke",
            "--only",
            "compression,service,quota,memory",
            "--corpus",
            str(corpus),
            "--out",
            str(out),
        ],
        cwd=REPO_ROOT,
        capture_output=True,
        text=True,
        timeout=240,
    )
    assert done.returncode == 0, done.stdout[-3000:] + done.stderr[-3000:]
    report = (out / "benchmarks.md").read_text()
    for heading in ("## Headlines", "## Compression", "## Service", "## Quota path", "## Peak memory"):
        assert heading in report
    assert "smoke mode" in report
    assert "| 1 | 1 | 2 | 0 |" in report, "the service rows: 1 worker, 1 client, 2 requests, none failed"
    assert (out / "benchmarks.png").read_bytes().startswith(b"\x89PNG")
    after = hashlib.sha256(docs.read_bytes()).hexdigest() if docs.exists() else None
    assert before == after, "the smoke run must not touch docs/benchmarks.md"
