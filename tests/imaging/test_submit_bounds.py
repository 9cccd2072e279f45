"""The submit-time checks (imaging.probe: sniff, structure, libvips header) are bounded whatever the
bytes: at most 50 ms of CPU and 10 MB of memory beyond the upload itself, on crafted 25 MB files that
fill the upload with the smallest unit of each format (tests/imaging/crafted.py).

Each file is probed in a fresh process (tests/imaging/submit_cost.py) so its memory is measured
cleanly. The machine is shared and noisy, so CPU is asserted at twice the budget. Measured here
(2 shared cores, process time, peak RSS rise), worst case per format, before -> after this change:

    JPEG  11,010 ms / 1,052 MB (6.5 million APPn segments) -> 34 ms / 0.6 MB (25 MB of fill bytes)
    PNG    1,027 ms / 26 MB (2 million chunks)              -> 1.2 ms / 0 MB
    GIF      124 ms / 108 MB (a million 1x1 frames)         -> 12.5 ms / 0 MB (5 million extensions)
    WebP   over 278 s (half a million frames) / 130 MB      -> 0.9 ms / 0 MB
    AVIF   1,856 ms / 26 MB (3 million top-level boxes)     -> 0.5 ms / 0 MB

APNG and AVIF image sequences, and PNGs without IEND (whose image data is walked and inflated to see
whether the rows are all there), added with their acceptance:

    APNG  16 ms / 0 MB (460,000 frames numbered in sequence: stops at the 1,001st fcTL)
    PNG without IEND  9.6 ms / 1.9 MB (two million 1-byte IDAT chunks: stops at 10,000)
                      6.9 ms / 0.3 MB (a 24 MB zlib bomb: inflated up to the 8 MB the header needs;
                      searching the whole file for IEND alone took 22 ms, now only its last 64 KB)
    AVIF sequence     0.5 ms / 0 MB (three million boxes in moov: stops at 1,024)

Before, every libvips header load also copied the whole upload (pyvips copies buffers): 26 MB each.
Not bounded yet: an AVIF with a 20 MB XMP item, which libheif and libvips copy while reading the
header (85 ms, 60 MB); it is marked xfail below.
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from pixpress.errors import InvalidImage
from pixpress.imaging.formats import jpeg_segments
from tests.conftest import REPO_ROOT
from tests.imaging import crafted

CPU_BUDGET_MS = 50
CPU_ASSERTED_MS = 2 * CPU_BUDGET_MS  # headroom for a noisy shared machine
MEMORY_BUDGET_MB = 10
TYPED_ERRORS = ("InvalidImage", "ImageTooLarge", "UnsupportedFormat")
WARM_UP = {
    "jpeg": crafted.baseline_jpeg,
    "png": crafted.small_png,
    "gif": crafted.small_gif,
    "webp": crafted.small_webp,
    "avif": crafted.small_avif,
    "heic": crafted.small_heic,
}
KNOWN_GAPS = {"avif_xmp": "libheif and libvips copy AVIF metadata items while reading the header"}


def _cases() -> list[object]:
    cases: list[object] = []
    for name in crafted.CRAFTED:
        marks = [pytest.mark.xfail(reason=KNOWN_GAPS[name], strict=True)] if name in KNOWN_GAPS else []
        cases.append(pytest.param(name, marks=marks, id=name))
    return cases


def measure(tmp_path: Path, name: str) -> dict[str, object]:
    data = crafted.CRAFTED[name]()
    assert len(data) <= crafted.UPLOAD_BYTES
    upload, warm_up = tmp_path / "upload", tmp_path / "warm_up"
    upload.write_bytes(data)
    warm_up.write_bytes(WARM_UP[name.split("_", 1)[0]]())
    done = subprocess.run(
        [sys.executable, "-m", "tests.imaging.submit_cost", str(upload), str(warm_up)],
        cwd=REPO_ROOT,
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
    assert done.returncode == 0, done.stderr[-2000:]
    result: dict[str, object] = json.loads(done.stdout.strip().splitlines()[-1])
    return result


@pytest.mark.parametrize("name", _cases())
def test_probe_is_bounded(tmp_path: Path, name: str) -> None:
    cost = measure(tmp_path, name)
    outcome = str(cost["outcome"])
    assert outcome == "ok" or outcome.startswith(TYPED_ERRORS), outcome
    assert float(str(cost["cpu_ms"])) <= CPU_ASSERTED_MS, cost
    if cost["rss_mb"] is not None:
        assert float(str(cost["rss_mb"])) <= MEMORY_BUDGET_MB, cost


def test_comment_segments_stop_early() -> None:
    data = crafted.jpeg_comments()
    with pytest.raises(InvalidImage, match="too many segments"):
        jpeg_segments.parse_header(data)
    with pytest.raises(InvalidImage, match="too many segments"):
        jpeg_segments.parse(data)
