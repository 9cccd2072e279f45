"""Fault points for crash tests: a process that dies at a named point, only with environment=test.

PIXPRESS_TEST_FAULT=<point> makes the process call os._exit there, as kill -9 would: no finally blocks,
no commit, no compensation. Settings refuse the variable outside the test environment.
"""

from __future__ import annotations

import logging
import os

from pixpress.config import Settings

log = logging.getLogger("pixpress.faults")

# Inside the submit's unit of work: charged and task row written, not committed yet.
KILL_AFTER_CHARGE = "kill_after_charge"
POINTS = frozenset({KILL_AFTER_CHARGE})
EXIT_CODE = 137  # what a shell reports for kill -9


def fault_point(settings: Settings, point: str) -> None:
    """Die here when the test settings ask for it; a no-op otherwise."""
    if settings.test_fault == point and settings.environment == "test":
        log.warning("test fault %s: exiting now", point)
        os._exit(EXIT_CODE)
