"""One fuzz case, as an upload goes through pixpress: sniff, probe (the submit-time check) and, for what
passes probe, the worker's optimization with its deadline. Runs inside the worker process (worker.py).

The property: only PixpressError subclasses come out. Anything else is a finding ("untyped"); a crash
or a case past its time bound is seen by the parent (sandbox.py), which watches this process.
"""

from __future__ import annotations

import time
import traceback
from typing import Any

from pixpress import imaging
from pixpress.errors import PixpressError
from pixpress.imaging import Limits, OptimizeOptions

# The production limits, but 1 MP per frame instead of 50: a case must end within campaign.BOUND_S, and
# an encoder call cannot be interrupted by the deadline (imaging/deadline.py watches pixel computation,
# not the encoder's own work). At 50 MP one such call runs far past any deadline: a 2 KB flat-colour
# 7000x7000 WebP took 21 s (WebP out), 22 s (PNG) and 108 s (AVIF) with a 2 s deadline here; production
# relies on the worker's watchdog for that (tasks/limits.py). At 1 MP the longest call (AVIF) is ~2 s.
LIMITS = Limits(max_pixels=1_000_000, max_frames=1000, max_total_pixels=10_000_000)


def run_case(data: bytes, options: OptimizeOptions, *, deadline_s: float) -> dict[str, Any]:
    """What happened: {"outcome": "ok" | "typed" | "untyped", "stage": ..., ...}."""
    stage = "sniff"
    try:
        imaging.sniff(data)
        stage = "probe"
        imaging.probe(data, limits=LIMITS)
        stage = "optimize"
        made = imaging.optimize_with_sizes(
            data, options=options, limits=LIMITS, deadline=time.monotonic() + deadline_s
        )
        stage = "result"
        for result in (made.main, *(s.result for s in made.sizes)):
            # What is stored and served must itself be an image of the format it claims.
            assert imaging.sniff(result.image.data) is result.image.format, "result is not its format"
        return {"outcome": "ok", "stage": stage}
    except PixpressError as exc:
        return {"outcome": "typed", "stage": stage, "code": exc.code}
    except Exception as exc:  # the finding: reported with its traceback, the process carries on
        return {
            "outcome": "untyped",
            "stage": stage,
            "error": f"{type(exc).__name__}: {exc}"[:500],
            "traceback": traceback.format_exc()[-4000:],
        }
