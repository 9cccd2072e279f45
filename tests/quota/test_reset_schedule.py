"""The date maths of PIXPRESS_RESET_SCHEDULE: no database, no clock."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from pixpress.config import Settings
from pixpress.quota.reset_schedule import ResetSchedule, latest_reset, next_reset


def at(text: str) -> datetime:
    return datetime.fromisoformat(text).replace(tzinfo=UTC)


@pytest.mark.parametrize(
    ("now", "day", "latest", "following"),
    [
        ("2027-01-31 23:59:59", 1, "2027-01-01", "2027-02-01"),
        ("2027-02-01 00:00:00", 1, "2027-02-01", "2027-03-01"),
        ("2027-01-15 12:00:00", 1, "2027-01-01", "2027-02-01"),
        ("2027-01-01 00:00:00", 15, "2026-12-15", "2027-01-15"),  # across the year
        ("2027-12-20 00:00:00", 15, "2027-12-15", "2028-01-15"),
        ("2027-02-27 23:59:59", 31, "2027-01-31", "2027-02-28"),  # non-leap February
        ("2027-02-28 00:00:00", 31, "2027-02-28", "2027-03-31"),
        ("2028-02-28 12:00:00", 31, "2028-01-31", "2028-02-29"),  # leap February
        ("2028-02-29 00:00:00", 31, "2028-02-29", "2028-03-31"),
        ("2027-04-30 00:00:00", 31, "2027-04-30", "2027-05-31"),
        ("2027-03-01 00:00:00", 30, "2027-02-28", "2027-03-30"),  # 30 in February: its last day
    ],
)
def test_monthly_resets_fall_on_the_day_or_the_last_day_of_shorter_months(
    now: str, day: int, latest: str, following: str
) -> None:
    assert latest_reset(now=at(now), day=day) == at(latest)
    assert next_reset(now=at(now), day=day) == at(following)


def test_last_is_day_31(settings: Settings) -> None:
    last = ResetSchedule.from_settings(
        settings.model_copy(update={"reset_schedule": "monthly", "reset_day": "last"})
    )
    assert last == ResetSchedule(kind="monthly", day=31)
    assert last.due_at(now=at("2027-02-28 00:00:00"), first_used_at=None) == at("2027-02-28")


def test_anniversary_keeps_the_day_of_the_first_charge() -> None:
    schedule = ResetSchedule(kind="anniversary")
    first = at("2028-01-31 10:15:00")
    assert schedule.due_at(now=at("2028-01-31 23:00:00"), first_used_at=first) is None  # its first day
    assert schedule.due_at(now=at("2028-02-28 23:59:59"), first_used_at=first) is None
    assert schedule.due_at(now=at("2028-02-29 00:00:00"), first_used_at=first) == at("2028-02-29")
    assert schedule.due_at(now=at("2028-03-30 00:00:00"), first_used_at=first) == at("2028-02-29")
    assert schedule.due_at(now=at("2028-03-31 00:00:00"), first_used_at=first) == at("2028-03-31")
    assert schedule.following(now=at("2028-01-31 12:00:00"), first_used_at=first) == at("2028-02-29")
    assert schedule.following(now=at("2028-02-29 00:00:00"), first_used_at=first) == at("2028-03-31")
    assert schedule.due_at(now=at("2027-02-28 00:00:00"), first_used_at=at("2027-01-31 08:00:00")) == at(
        "2027-02-28"
    )


def test_anniversary_of_a_token_never_charged_and_off_are_never_due() -> None:
    now = at("2027-02-01 00:00:00")
    assert ResetSchedule(kind="anniversary").due_at(now=now, first_used_at=None) is None
    assert ResetSchedule(kind="anniversary").following(now=now, first_used_at=None) is None
    assert ResetSchedule(kind="off").due_at(now=now, first_used_at=at("2026-12-01 00:00:00")) is None
    assert ResetSchedule(kind="off").following(now=now, first_used_at=None) is None


def test_settings_take_1_to_31_or_last_and_refuse_the_rest(settings: Settings) -> None:
    for day in (1, 28, 31, "last"):
        Settings(environment="test", reset_day=day, _env_file=None)  # type: ignore[call-arg]
    for wrong in (0, 32, "first"):
        with pytest.raises(ValueError):
            Settings(environment="test", reset_day=wrong, _env_file=None)  # type: ignore[call-arg]


def test_test_clock_is_refused_outside_tests() -> None:
    with pytest.raises(ValueError, match="PIXPRESS_TEST_NOW"):
        Settings(environment="development", test_now=at("2027-02-01 00:00:00"), _env_file=None)  # type: ignore[call-arg]
    with pytest.raises(ValueError, match="time zone"):
        Settings(environment="test", test_now=datetime(2027, 2, 1), _env_file=None)  # type: ignore[call-arg]
