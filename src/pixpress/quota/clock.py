"""The reset job's clock: a callable returning an aware UTC datetime, so tests can cross month ends."""

from __future__ import annotations

import time
from collections.abc import Callable
from datetime import UTC, datetime, timedelta

from pixpress.config import Settings
from pixpress.db.session import utcnow

Clock = Callable[[], datetime]


def clock_from(settings: Settings) -> Clock:
    """The system clock; with PIXPRESS_TEST_NOW (tests only) a clock that starts at that moment and
    runs on from there, so an end-to-end test can watch a real process cross a month end."""
    if settings.test_now is None:
        return utcnow
    start = settings.test_now.astimezone(UTC)
    started_s = time.monotonic()
    return lambda: start + timedelta(seconds=time.monotonic() - started_s)
