"""The scheduled reset on a real database (SQLite and PostgreSQL), with the clock injected: charges are
written at the fake clock's time too (records' utcnow patched), so a test crosses month ends at will."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from datetime import UTC, datetime

import pytest

from pixpress.config import Settings
from pixpress.container import Container
from pixpress.db.models import UsageEntry
from pixpress.db.session import Database, as_utc
from pixpress.quota import QuotaService
from pixpress.quota.ledger_check import check_ledger
from pixpress.quota.periods import PeriodRecords
from pixpress.quota.reset_schedule import ResetSchedule
from pixpress.quota.scheduled_reset import close_due_periods

ADDR = "10.0.0.1"
MONTHLY = ResetSchedule(kind="monthly", day=1)


def at(text: str) -> datetime:
    return datetime.fromisoformat(text).replace(tzinfo=UTC)


class FakeClock:
    def __init__(self) -> None:
        self.now = at("2027-01-10 12:00:00")

    def __call__(self) -> datetime:
        return self.now

    def set(self, text: str) -> None:
        self.now = at(text)


@pytest.fixture
def clock(monkeypatch: pytest.MonkeyPatch) -> FakeClock:
    fake = FakeClock()
    monkeypatch.setattr("pixpress.quota.records.utcnow", fake)
    monkeypatch.setattr("pixpress.quota.service.utcnow", fake)
    return fake


@pytest.fixture
def quota(settings: Settings, database: Database, clock: FakeClock) -> Iterator[QuotaService]:
    service = QuotaService(settings=settings, database=database)
    yield service
    service.close()


class Site:
    """A customer token and its uploads."""

    def __init__(self, quota: QuotaService, token: str) -> None:
        self.quota = quota
        self.hash = quota.authenticate(token, client_address=ADDR).token_hash
        self.uploads = 0

    def upload(self, size_bytes: int) -> str:
        self.uploads += 1
        task_id = f"{self.hash[:8]}-{self.uploads}"
        self.quota.charge(token_hash=self.hash, size_bytes=size_bytes, task_id=task_id)
        return task_id

    def fail(self, task_id: str, size_bytes: int) -> None:
        self.quota.refund(
            token_hash=self.hash, task_id=task_id, size_bytes=size_bytes, reason="invalid_image"
        )

    @property
    def used_bytes(self) -> int:
        licence = self.quota.records.get(self.hash)
        assert licence is not None
        return licence.used_bytes

    def statements(self) -> list[dict[str, object]]:
        history = self.quota.usage_history_by_hash(self.hash)
        assert history is not None
        return [statement.model_dump() for statement in history.statements]


def run(quota: QuotaService, clock: FakeClock, when: str, schedule: ResetSchedule = MONTHLY) -> int:
    clock.set(when)
    return close_due_periods(periods=quota.periods, schedule=schedule, clock=clock)


def test_monthly_on_the_1st_closes_january_at_midnight_once(quota: QuotaService, clock: FakeClock) -> None:
    site = Site(quota, "site-a")
    site.upload(1000)
    failed = site.upload(2000)
    site.fail(failed, 2000)
    assert run(quota, clock, "2027-01-31 23:59:59") == 0
    site.upload(500)

    assert run(quota, clock, "2027-02-01 00:00:00") == 1
    assert site.used_bytes == 0
    assert run(quota, clock, "2027-02-01 00:05:00") == 0  # the next check, or a restart
    [statement] = site.statements()
    assert statement == {
        "period_started_at": "2027-01-10T12:00:00Z",
        "period_ended_at": "2027-02-01T00:00:00Z",
        "charged_bytes": 3500,
        "refunded_bytes": 2000,
        "used_bytes": 1500,
        "used_mb": 0.0,
        "uploads": 3,
        "closed_by": "schedule",
        "due_at": "2027-02-01T00:00:00Z",
    }
    resets = [e for e in quota.records.ledger(site.hash) if e.kind == "reset"]
    assert [(e.size_bytes, as_utc(e.period_started_at)) for e in resets] == [
        (-1500, at("2027-01-10 12:00:00"))
    ]

    clock.set("2027-02-14 09:00:00")
    site.upload(700)
    assert run(quota, clock, "2027-03-01 00:00:30") == 1
    assert [s["period_started_at"] for s in site.statements()] == [
        "2027-02-01T00:00:00Z",
        "2027-01-10T12:00:00Z",
    ]
    assert site.statements()[0]["used_bytes"] == 700
    assert check_ledger(quota.records.db).ok


@pytest.mark.parametrize("day", [31, "last"])
@pytest.mark.parametrize(("year", "last_of_february"), [(2028, 29), (2027, 28)])
def test_day_31_or_last_resets_on_the_last_day_of_february(
    settings: Settings,
    quota: QuotaService,
    clock: FakeClock,
    day: int | str,
    year: int,
    last_of_february: int,
) -> None:
    update = {"reset_schedule": "monthly", "reset_day": day}
    schedule = ResetSchedule.from_settings(settings.model_copy(update=update))
    clock.set(f"{year}-01-31 08:00:00")  # after January's reset
    site = Site(quota, "site-a")
    site.upload(1000)
    assert run(quota, clock, f"{year}-02-{last_of_february - 1} 23:59:59", schedule) == 0
    assert run(quota, clock, f"{year}-02-{last_of_february} 00:00:00", schedule) == 1
    assert run(quota, clock, f"{year}-03-01 00:00:00", schedule) == 0
    [february] = site.statements()
    assert february["due_at"] == f"{year}-02-{last_of_february}T00:00:00Z"
    assert february["used_bytes"] == 1000
    assert run(quota, clock, f"{year}-03-30 23:59:59", schedule) == 0
    assert run(quota, clock, f"{year}-03-31 00:00:00", schedule) == 1  # March keeps its 31st


def test_anniversary_from_january_31(quota: QuotaService, clock: FakeClock) -> None:
    schedule = ResetSchedule(kind="anniversary")
    clock.set("2028-01-20 09:00:00")
    late, mid, idle = Site(quota, "site-31"), Site(quota, "site-15"), Site(quota, "site-idle")
    clock.set("2028-01-31 10:15:00")
    late.upload(1000)  # its first charge: resets on the 31st, or the month's last day
    clock.set("2028-02-03 10:00:00")
    mid.upload(3000)
    assert run(quota, clock, "2028-01-31 23:00:00", schedule) == 0  # the first-use day opens a period
    assert run(quota, clock, "2028-02-28 23:59:59", schedule) == 0
    assert run(quota, clock, "2028-02-29 00:00:00", schedule) == 1
    assert (late.used_bytes, mid.used_bytes) == (0, 3000)
    assert run(quota, clock, "2028-03-03 00:00:00", schedule) == 1  # mid: the 3rd of each month
    assert run(quota, clock, "2028-03-30 00:00:00", schedule) == 0
    assert run(quota, clock, "2028-03-31 00:00:00", schedule) == 1
    assert [s["due_at"] for s in late.statements()] == ["2028-03-31T00:00:00Z", "2028-02-29T00:00:00Z"]
    assert [s["due_at"] for s in mid.statements()] == ["2028-03-03T00:00:00Z"]
    assert idle.statements() == []  # never charged: no anniversary
    history = quota.usage_history_by_hash(late.hash)
    assert history is not None and history.reset_schedule == "off"  # the service's own setting


def test_off_resets_nothing(quota: QuotaService, clock: FakeClock) -> None:
    site = Site(quota, "site-a")
    site.upload(1000)
    for when in ("2027-02-01 00:00:00", "2027-03-01 00:00:00", "2028-01-31 00:00:00"):
        assert run(quota, clock, when, ResetSchedule(kind="off")) == 0
    assert site.used_bytes == 1000
    assert site.statements() == []


def test_a_close_is_conditional_on_the_period_starting_before_the_reset(
    quota: QuotaService, clock: FakeClock
) -> None:
    site = Site(quota, "site-a")
    site.upload(1000)
    periods, due = quota.periods, at("2027-02-01 00:00:00")
    [first] = periods.close([site.hash], now=at("2027-02-01 00:00:01"), closed_by="schedule", due_at=due)
    assert first.old_used_bytes == 1000 and first.licence.used_bytes == 0
    again = periods.close([site.hash], now=at("2027-02-01 00:00:02"), closed_by="schedule", due_at=due)
    assert again == []
    assert len(site.statements()) == 1


def test_concurrent_runs_close_each_period_once(
    settings: Settings, quota: QuotaService, clock: FakeClock, database_url: str
) -> None:
    sites = [Site(quota, f"site-{n}") for n in range(12)]
    for n, site in enumerate(sites):
        site.upload(1000 + n)
    clock.set("2027-02-01 00:00:10")
    barrier = threading.Barrier(4)
    databases = [Database(database_url) for _ in range(2)]  # two "processes", two threads each
    closed: list[int] = []
    errors: list[BaseException] = []

    def job(database: Database) -> None:
        try:
            barrier.wait()
            records = PeriodRecords(database)
            closed.append(close_due_periods(periods=records, schedule=MONTHLY, clock=clock, batch_size=3))
        except BaseException as exc:
            errors.append(exc)

    threads = [threading.Thread(target=job, args=(databases[n % 2],)) for n in range(4)]
    try:
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join(60)
    finally:
        for database in databases:
            database.dispose()
    assert errors == []
    assert sum(closed) == len(sites)
    for n, site in enumerate(sites):
        assert [s["used_bytes"] for s in site.statements()] == [1000 + n]
        assert [e.kind for e in quota.records.ledger(site.hash)] == ["charge", "reset"]


def test_statements_add_up_to_the_ledger(quota: QuotaService, clock: FakeClock) -> None:
    """Scheduled closes, a reset by hand and one from the dashboard, late refunds of a closed period:
    each statement equals its period's charges minus refunds, and all of them plus the open period
    equal the whole ledger."""
    site = Site(quota, "site-a")
    tasks: list[tuple[str, int]] = []
    days = ["2027-01-12", "2027-01-30", "2027-02-02", "2027-02-20", "2027-03-05", "2027-03-28", "2027-04-02"]
    for n, day in enumerate(days):
        clock.set(f"{day} 10:00:00")
        size = 1000 * (n + 1)
        tasks.append((site.upload(size), size))
        if n % 2:
            site.fail(*tasks[n - 1])  # the previous upload fails, sometimes after its period closed
        run(quota, clock, f"{day} 10:00:01")
        if day == "2027-02-20":
            quota.reset_usage("site-a")
        if day == "2027-03-28":
            quota.reset_usage_by_hash(site.hash)
    statements = site.statements()
    assert [s["closed_by"] for s in statements] == ["schedule", "dashboard", "schedule", "admin", "schedule"]
    ledger = quota.records.ledger(site.hash)
    for statement in statements:
        entries = [e for e in ledger if _iso(e) == statement["period_started_at"]]
        charges = sum(e.size_bytes for e in entries if e.kind == "charge")
        refunds = -sum(e.size_bytes for e in entries if e.kind == "refund")
        [reset] = [e for e in entries if e.kind == "reset"]
        assert (statement["charged_bytes"], statement["refunded_bytes"]) == (charges, refunds)
        assert statement["used_bytes"] == charges - refunds == -reset.size_bytes
        assert statement["uploads"] == sum(1 for e in entries if e.kind == "charge")
    booked = sum(e.size_bytes for e in ledger if e.kind in ("charge", "refund"))
    assert sum(int(str(s["used_bytes"])) for s in statements) + site.used_bytes == booked
    assert check_ledger(quota.records.db).ok


def test_a_reset_by_hand_writes_its_statement_in_the_admin_usage_call(
    quota: QuotaService, clock: FakeClock
) -> None:
    site = Site(quota, "site-a")
    site.upload(4096)
    clock.set("2027-01-20 08:00:00")
    assert quota.reset_usage("site-a").old_usage_bytes == 4096
    history = quota.usage_history("site-a").model_dump()
    [statement] = history["statements"]
    assert (
        statement["used_bytes"] == 4096 and statement["closed_by"] == "admin" and statement["due_at"] is None
    )
    assert statement["period_ended_at"] == "2027-01-20T08:00:00Z"
    assert history["next_reset_at"] is None  # off: only the vendor's call ends a period


def test_workers_run_the_job_only_when_a_schedule_is_on(settings: Settings, database_url: str) -> None:
    def job_names(schedule: str) -> list[str]:
        container = Container(
            settings.model_copy(update={"reset_schedule": schedule, "database_url": database_url})
        )
        try:
            return [job.name for job in container.periodic_jobs().jobs]
        finally:
            container.close()

    assert "close_due_periods" not in job_names("off")
    assert "close_due_periods" in job_names("monthly")
    assert "close_due_periods" in job_names("anniversary")


def _iso(entry: UsageEntry) -> str | None:
    started = as_utc(entry.period_started_at)
    return started.isoformat().replace("+00:00", "Z") if started else None
