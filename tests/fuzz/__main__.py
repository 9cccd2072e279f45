"""`make fuzz`: the long run on demand. `python -m tests.fuzz [--minutes 30] [--seed N] [--batch 2000]`.

Batches of Hypothesis searches, each seeded from the run's seed (printed first, so a finding can be
replayed with --seed), until the time is up or a case fails; the failing input lands in
tests/fuzz/findings/ (see campaign.py).
"""

from __future__ import annotations

import argparse
import random
import sys
import time

from tests.fuzz.campaign import Stats, fuzz
from tests.fuzz.sandbox import Sandbox


def main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(prog="python -m tests.fuzz")
    parser.add_argument("--minutes", type=float, default=30.0)
    parser.add_argument("--seed", type=int, default=None, help="default: a random one, printed")
    parser.add_argument("--batch", type=int, default=2000, help="cases per Hypothesis search")
    args = parser.parse_args(argv)
    run_seed = args.seed if args.seed is not None else random.SystemRandom().randrange(1 << 32)
    print(
        f"fuzz: seed {run_seed} (replay: make fuzz FUZZ_SEED={run_seed}), {args.minutes:g} minutes",
        flush=True,
    )
    stats = Stats(budget_s=args.minutes * 60)
    sandbox = Sandbox()
    batch = 0
    try:
        while not stats.out_of_time:
            batch_seed = random.Random(f"{run_seed}:{batch}").randrange(1 << 32)
            started = time.monotonic()
            fuzz(sandbox, stats, max_examples=args.batch, seed=batch_seed)
            took = time.monotonic() - started
            print(f"batch {batch} (seed {batch_seed}) done in {took:.0f} s: {stats.summary()}", flush=True)
            batch += 1
    except Exception as finding:  # AssertionError, or Hypothesis's report of a flaky one
        print(f"FINDING in batch {batch}:\n{finding}", flush=True)
        return 1
    finally:
        sandbox.close()
        print(f"fuzz: {stats.summary()}; worker processes started: {sandbox.started}", flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
