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

# The production defaults (config.py), so a header that claims a large image meets the real limits.
LIMITS = Limits(max_pixels=50_000_000, max_frames=1000, max_total_pixels=100_000_000)


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
