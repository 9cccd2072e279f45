"""Run the preparation steps up to a named one, for tests of a single step."""

from __future__ import annotations

from pixpress.imaging import Limits, OptimizeOptions
from pixpress.imaging.context import Context
from pixpress.imaging.deadline import Deadline
from pixpress.imaging.pipeline import STEPS


def run_until(
    data: bytes, last: str, *, options: OptimizeOptions | None = None, limits: Limits | None = None
) -> Context:
    ctx = Context(
        data=data, options=options or OptimizeOptions(), limits=limits or Limits(), deadline=Deadline()
    )
    for name, step in STEPS:
        step(ctx)
        if name == last:
            return ctx
    raise AssertionError(f"no step named {last}")
