"""The standing fuzz check of untrusted uploads: mutated JPEG, PNG, GIF, WebP and AVIF files through
sniff, probe and optimize may only end in success or a typed PixpressError, each within BOUND_S.

CI runs a derandomized campaign (the same cases every run, about 2 minutes on 2 cores); `make fuzz`
runs a long random one (tests/fuzz/__main__.py). Inputs that once failed live in tests/fuzz/cases/
and are replayed here with several option sets.
"""

from __future__ import annotations

import os
import signal
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from pixpress.imaging import ImageFormat, Mode, OptimizeOptions, OutputFormat, SizeSpec
from tests.fuzz.campaign import BOUND_S, DEADLINE_S, Stats, fuzz
from tests.fuzz.sandbox import Sandbox
from tests.fuzz.seeds import seeds

CI_EXAMPLES = 6000  # 70 s measured on this 2-core machine at load 5; the budget cuts a slower run short
CI_BUDGET_S = 150.0
CASES = sorted((Path(__file__).parent / "cases").glob("*.bin"))
REPLAY_OPTIONS = {
    "default": OptimizeOptions(),
    "lossless": OptimizeOptions(mode=Mode.LOSSLESS),
    "auto-all-sized": OptimizeOptions(
        format=OutputFormat.AUTO, accept=frozenset(ImageFormat), sizes=(SizeSpec("t", 8, 8, crop=True),)
    ),
}


@pytest.fixture(scope="module")
def sandbox() -> Iterator[Sandbox]:
    box = Sandbox()
    try:
        yield box
    finally:
        box.close()


def test_every_seed_optimizes(sandbox: Sandbox) -> None:
    for name, data in seeds().items():
        outcome = sandbox.run(data, OptimizeOptions(), deadline_s=DEADLINE_S, bound_s=BOUND_S)
        assert outcome["outcome"] == "ok", (name, outcome)


def test_the_sandbox_reports_a_crash_and_carries_on(sandbox: Sandbox) -> None:
    data = seeds()["png_rgb"]
    assert sandbox.run(data, OptimizeOptions(), deadline_s=DEADLINE_S, bound_s=BOUND_S)["outcome"] == "ok"
    assert sandbox.pid is not None
    os.kill(sandbox.pid, signal.SIGSEGV)  # our own worker, as a libvips segfault would end it
    outcome = sandbox.run(data, OptimizeOptions(), deadline_s=DEADLINE_S, bound_s=BOUND_S)
    assert (outcome["outcome"], outcome["signal"]) == ("crash", "SIGSEGV")
    assert sandbox.run(data, OptimizeOptions(), deadline_s=DEADLINE_S, bound_s=BOUND_S)["outcome"] == "ok"


def test_the_sandbox_reports_a_hang_and_carries_on(sandbox: Sandbox) -> None:
    data = seeds()["avif"]
    started = time.monotonic()
    outcome = sandbox.run(data, OptimizeOptions(), deadline_s=DEADLINE_S, bound_s=0.001)
    assert outcome["outcome"] == "hang"
    assert time.monotonic() - started < 1.0
    assert sandbox.run(data, OptimizeOptions(), deadline_s=DEADLINE_S, bound_s=BOUND_S)["outcome"] == "ok"


@pytest.mark.parametrize("options", REPLAY_OPTIONS.values(), ids=REPLAY_OPTIONS.keys())
@pytest.mark.parametrize("case", CASES, ids=[p.stem for p in CASES])
def test_known_cases(sandbox: Sandbox, case: Path, options: OptimizeOptions) -> None:
    outcome = sandbox.run(case.read_bytes(), options, deadline_s=DEADLINE_S, bound_s=BOUND_S)
    assert outcome["outcome"] in ("ok", "typed"), outcome


@pytest.mark.slow
@pytest.mark.timeout(CI_BUDGET_S + 300)  # room for Hypothesis to shrink a finding
def test_mutated_uploads_only_fail_typed(sandbox: Sandbox) -> None:
    stats = Stats(budget_s=CI_BUDGET_S)
    try:
        fuzz(sandbox, stats, max_examples=CI_EXAMPLES)
    finally:
        print(f"fuzz: {stats.summary()}")
    ran = sum(stats.outcomes.values())
    assert ran >= CI_EXAMPLES // 4, f"the budget cut the run to {ran} cases: {stats.summary()}"
