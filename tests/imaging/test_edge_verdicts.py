"""The submit verdict and the worker verdict agree, and what a browser shows gets optimized.

Every edge file (tests/imaging/edge_files.py: 15 kinds of upload, each truncated at 12 points, every
PNG chunk and JPEG segment damaged or dropped in turn, trailers missing, junk after the end) goes
through probe() as at submit, and, when accepted, through optimize() as in the worker.

- A file accepted at submit is optimized, or fails in the worker only with image_too_large or
  task_timeout, never invalid_image; except the damage that only decompressing the image data shows
  (WORKER_ONLY below), which the worker refuses with invalid_image and the failure policy refunds.
- Of the files Pillow decodes completely (ImageFile.LOAD_TRUNCATED_IMAGES off: "a browser shows it"),
  at least 95% are optimized. Measured: 174 of 176 (98.9%); the two refused are PILLOW_ONLY.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import cache

from pixpress.errors import PixpressError
from pixpress.imaging import Limits, optimize, parse_options, probe
from tests.imaging import edge_files

# Damage inside compressed image data that leaves no whole row or frame: a flipped byte in an APNG's
# deflate streams (its frames are read whole), the first IDAT chunk of a split stream missing. Only
# inflating the whole stream sees it, which submit does not do (bounded checks). A still PNG damaged
# after some rows shows those rows, as a browser does (decode.py); libjpeg decodes damaged
# entropy-coded data with a warning, so JPEG has none.
WORKER_ONLY = re.compile(r"^apng\w*/(IDAT|fdAT)\d+_bad_data$|^png_split_idat/IDAT0_dropped$")
# A JPEG cut short is accepted at submit and shows the rows a browser shows (decode.py); how many
# rows libjpeg can output before the data ends only a decode tells: these two show none.
JPEG_CUT_BEFORE_FIRST_ROW = {"jpeg_baseline/cut50%", "jpeg_restart/cut50%"}
# Pillow shows these, browsers (libpng) do not: a palette PNG without its PLTE (Pillow makes up a grey
# palette), an APNG without the default image's IDAT (Pillow shows the animation frames alone).
PILLOW_ONLY = {"png_palette/PLTE0_dropped", "apng_hidden_default/IDAT0_dropped"}
WORKER_MAY_FAIL_WITH = {"image_too_large", "task_timeout"}
MIN_SHARE_OPTIMIZED = 0.95


@dataclass(frozen=True)
class Verdict:
    displayable: bool
    submit: str  # "ok" or the error code
    worker: str | None  # "done", the error code, or None when refused at submit


@cache
def verdicts() -> dict[str, Verdict]:
    limits = Limits()
    options = parse_options({})
    found: dict[str, Verdict] = {}
    for name, data in edge_files.damaged().items():
        shown = edge_files.displayable(data)
        try:
            probe(data, limits=limits)
        except PixpressError as exc:
            found[name] = Verdict(shown, exc.code, None)
            continue
        try:
            optimize(data, options=options, limits=limits)
        except PixpressError as exc:
            found[name] = Verdict(shown, "ok", exc.code)
            continue
        found[name] = Verdict(shown, "ok", "done")
    return found


def test_the_edge_files_cover_every_kind() -> None:
    names = verdicts()
    assert len(names) > 400
    assert {name.split("/")[0] for name in names} == set(edge_files.bases())


def test_every_undamaged_base_is_optimized() -> None:
    for name in edge_files.bases():
        assert verdicts()[name] == Verdict(True, "ok", "done"), name


def test_accepted_at_submit_means_optimized_in_the_worker() -> None:
    disagreements = {
        name: verdict.worker
        for name, verdict in verdicts().items()
        if verdict.submit == "ok"
        and verdict.worker not in {"done", *WORKER_MAY_FAIL_WITH}
        and not WORKER_ONLY.search(name)
        and name not in JPEG_CUT_BEFORE_FIRST_ROW
    }
    assert disagreements == {}


def test_the_exceptions_are_real() -> None:
    """Each listed exception still happens (otherwise it should leave the list)."""
    worker_only = [name for name in verdicts() if WORKER_ONLY.search(name)]
    assert worker_only
    for name in worker_only:
        assert verdicts()[name].worker == "invalid_image", name
        assert not verdicts()[name].displayable, name
    for name in JPEG_CUT_BEFORE_FIRST_ROW:
        assert verdicts()[name] == Verdict(False, "ok", "invalid_image"), name
    for name in PILLOW_ONLY:
        assert verdicts()[name] == Verdict(True, "invalid_image", None), name


def test_what_a_browser_shows_is_optimized() -> None:
    shown = {name: verdict for name, verdict in verdicts().items() if verdict.displayable}
    optimized = [name for name, verdict in shown.items() if verdict.worker == "done"]
    assert len(optimized) / len(shown) >= MIN_SHARE_OPTIMIZED, f"{len(optimized)} of {len(shown)}"
    assert set(shown) - set(optimized) <= PILLOW_ONLY
