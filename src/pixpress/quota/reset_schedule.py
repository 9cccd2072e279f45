"""When a usage period ends under PIXPRESS_RESET_SCHEDULE: the date maths only (no database, no clock).

Every reset falls at 00:00 UTC. A day past the end of a month (29-31, `last`, or the anniversary of a
first charge on the 31st) falls on that month's last day, so a month never goes without its reset and
never has two; the day itself is kept, so a token first charged on Jan 31 resets on Feb 28 (29), then
Mar 31, not Mar 28.
"""

from __future__ import annotations

import calendar
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Literal

from pixpress.config import Settings

LAST_DAY = 31  # `last` is day 31 clamped to every month's length
ScheduleKind = Literal["off", "monthly", "anniversary"]


def reset_moment(*, year: int, month: int, day: int) -> datetime:
    """00:00 UTC of `day` in that month, or of its last day when the month is shorter."""
    return datetime(year, month, min(day, calendar.monthrange(year, month)[1]), tzinfo=UTC)


def latest_reset(*, now: datetime, day: int) -> datetime:
    """The last monthly reset on `day` at or before `now`."""
    this_month = reset_moment(year=now.year, month=now.month, day=day)
    if this_month <= now:
        return this_month
    year, month = (now.year, now.month - 1) if now.month > 1 else (now.year - 1, 12)
    return reset_moment(year=year, month=month, day=day)


def next_reset(*, now: datetime, day: int) -> datetime:
    """The first monthly reset on `day` after `now`."""
    this_month = reset_moment(year=now.year, month=now.month, day=day)
    if this_month > now:
        return this_month
    year, month = (now.year, now.month + 1) if now.month < 12 else (now.year + 1, 1)
    return reset_moment(year=year, month=month, day=day)


@dataclass(frozen=True)
class ResetSchedule:
    kind: ScheduleKind
    day: int = 1  # `monthly` only: 1-31, where 31 is the last day of every month

    @classmethod
    def from_settings(cls, settings: Settings) -> ResetSchedule:
        day = LAST_DAY if settings.reset_day == "last" else settings.reset_day
        return cls(kind=settings.reset_schedule, day=day)

    @property
    def enabled(self) -> bool:
        return self.kind != "off"

    def due_at(self, *, now: datetime, first_used_at: datetime | None) -> datetime | None:
        """The latest reset due by `now`: a period that started before it is to be closed. None when
        nothing is due (off; an anniversary token never charged, or not yet a month since its first)."""
        if self.kind == "monthly":
            return latest_reset(now=now, day=self.day)
        if self.kind == "anniversary" and first_used_at is not None:
            due = latest_reset(now=now, day=first_used_at.day)
            return due if due > first_used_at else None  # the first-use day itself opens, not closes
        return None

    def following(self, *, now: datetime, first_used_at: datetime | None) -> datetime | None:
        """When the current period is next due to close; None when no schedule will close it."""
        if self.kind == "monthly":
            return next_reset(now=now, day=self.day)
        if self.kind == "anniversary" and first_used_at is not None:
            return next_reset(now=max(now, first_used_at), day=first_used_at.day)
        return None
