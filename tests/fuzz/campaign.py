"""One fuzz campaign: Hypothesis draws a seed file, a few mutations and the options of an upload; each
case runs in the sandboxed worker; anything but success or a typed error fails the campaign.

Used by tests/fuzz/test_fuzz.py (CI: derandomized, bounded) and `python -m tests.fuzz` (make fuzz: a
random seed, batch after batch until the time is up). A failing input is written to FINDINGS so it
can be replayed and, once fixed, kept under tests/fuzz/cases/.
"""

from __future__ import annotations

import hashlib
import time
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from hypothesis import HealthCheck, given, settings
from hypothesis import seed as hypothesis_seed
from hypothesis import strategies as st

from pixpress.imaging import ImageFormat, KeepMetadata, Mode, OptimizeOptions, OutputFormat, SizeSpec
from tests.fuzz.mutations import Mutation, mutate, mutations_strategy
from tests.fuzz.sandbox import Sandbox
from tests.fuzz.seeds import NAMES, seeds

DEADLINE_S = 2.0  # given to optimize(): past it, TaskTimeout
# A whole case (sniff, probe, optimize): the deadline, the longest encoder call at target.LIMITS (~2 s)
# and slack for a loaded 2-core CI.
BOUND_S = 8.0
FINDINGS = Path(__file__).parent / "findings"

OPTIONS = st.builds(
    OptimizeOptions,
    mode=st.sampled_from(Mode),
    quality=st.sampled_from([None, None, 40]),
    format=st.sampled_from(OutputFormat),
    max_width=st.sampled_from([None, None, 16]),
    keep_metadata=st.sampled_from(KeepMetadata),
    accept=st.sampled_from([frozenset(), frozenset(ImageFormat)]),
    sizes=st.sampled_from([(), (), (SizeSpec("thumb", 8, 8, crop=True),)]),
)
Case = tuple[str, list[Mutation], OptimizeOptions]
CASES: st.SearchStrategy[Case] = st.tuples(st.sampled_from(NAMES), mutations_strategy(list(NAMES)), OPTIONS)


@dataclass
class Stats:
    budget_s: float
    started: float = field(default_factory=time.monotonic)
    outcomes: Counter[str] = field(default_factory=Counter)
    slowest_s: float = 0.0
    skipped: int = 0  # cases drawn after the budget ran out
    found: bool = False  # a case failed: Hypothesis is shrinking it, which the budget must not cut

    @property
    def out_of_time(self) -> bool:
        return not self.found and time.monotonic() - self.started > self.budget_s

    def record(self, outcome: dict[str, Any]) -> None:
        key = outcome["outcome"]
        if key == "typed":
            key = f"{outcome['stage']}:{outcome['code']}"
        self.outcomes[key] += 1
        self.slowest_s = max(self.slowest_s, float(outcome.get("elapsed_s", 0.0)))

    def summary(self) -> str:
        ran = sum(self.outcomes.values())
        parts = ", ".join(f"{k} {v}" for k, v in self.outcomes.most_common())
        return (
            f"{ran} cases in {time.monotonic() - self.started:.0f} s (slowest {self.slowest_s:.2f} s, "
            f"{self.skipped} skipped past the budget): {parts}"
        )


def fuzz(sandbox: Sandbox, stats: Stats, *, max_examples: int, seed: int | None = None) -> None:
    """Run one Hypothesis search; derandomized (the same cases every run) unless `seed` is given."""
    files = seeds()

    @settings(
        max_examples=max_examples,
        derandomize=seed is None,
        database=None,  # reproducible: nothing carried over from earlier runs
        deadline=None,  # the sandbox enforces BOUND_S, from outside the process
        suppress_health_check=[HealthCheck.too_slow],
        print_blob=True,
    )
    @given(case=CASES)
    def check(case: Case) -> None:
        if stats.out_of_time:
            stats.skipped += 1
            return
        name, mutations, options = case
        data = mutate(files[name], mutations, files)
        outcome = sandbox.run(data, options, deadline_s=DEADLINE_S, bound_s=BOUND_S)
        stats.record(outcome)
        if outcome["outcome"] not in ("ok", "typed"):
            stats.found = True
            raise AssertionError(describe(outcome, save_finding(data)))

    if seed is not None:
        check = hypothesis_seed(seed)(check)
    check()


def save_finding(data: bytes) -> Path:
    FINDINGS.mkdir(exist_ok=True)
    path = FINDINGS / f"{hashlib.sha256(data).hexdigest()[:16]}.bin"
    path.write_bytes(data)
    return path


def describe(outcome: dict[str, Any], path: Path) -> str:
    lines = [f"fuzz finding ({outcome['outcome']}), input saved to {path}:"]
    lines += [f"  {k}: {v}" for k, v in outcome.items() if k not in ("traceback", "log")]
    for key in ("traceback", "log"):
        if outcome.get(key):
            lines.append(f"  {key}:\n{outcome[key]}")
    return "\n".join(lines)
