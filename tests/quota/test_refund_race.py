"""A reset racing refunds on PostgreSQL: a refund that read the old period before the reset committed
must not take its bytes from the new period.

The interleaving is made certain with row locks rather than hoped for: a blocker holds the licence row,
then the reset, a charge of the new period and three refunds of old-period tasks queue behind it, in that
order (each waiting on the lock before the next starts); the blocker lets go and they run in turn.
"""

from __future__ import annotations

import threading
import time
import uuid
from collections.abc import Callable, Iterator

import pytest
from sqlalchemy import create_engine, text

from pixpress.config import Settings
from pixpress.db.session import Database
from pixpress.quota import QuotaService, hash_token
from pixpress.quota.ledger_check import check_ledger

TOKEN = "site-token-race"
ADDR = "10.0.0.1"


@pytest.fixture
def racing(settings: Settings, database_url: str) -> Iterator[tuple[QuotaService, str]]:
    """A QuotaService whose connections are named, so the test can see them wait on a lock."""
    name = f"race-{uuid.uuid4().hex[:8]}"
    database = Database(f"{database_url}&application_name={name}")
    service = QuotaService(settings=settings, database=database)
    yield service, name
    service.close()
    database.dispose()


def wait_for_waiters(database: Database, name: str, count: int) -> None:
    deadline = time.monotonic() + 10
    query = text(
        "SELECT count(*) FROM pg_stat_activity WHERE application_name = :name AND wait_event_type = 'Lock'"
    )
    while time.monotonic() < deadline:
        with database.engine.connect() as conn:
            if conn.execute(query, {"name": name}).scalar_one() >= count:
                return
        time.sleep(0.02)
    raise AssertionError(f"{count} connections never waited on the licence row")


@pytest.mark.postgres
@pytest.mark.parametrize("database_url", ["postgres"], indirect=True)
def test_refunds_racing_a_reset_never_touch_the_new_period(
    database: Database, database_url: str, racing: tuple[QuotaService, str]
) -> None:
    service, name = racing
    token_hash = service.authenticate(TOKEN, client_address=ADDR).token_hash
    for task in ("old-1", "old-2", "old-3"):
        service.charge(token_hash=token_hash, size_bytes=1000, task_id=task)

    blocker = create_engine(database_url)
    threads: list[threading.Thread] = []
    errors: list[BaseException] = []

    def start(work: Callable[[], object]) -> None:
        def run() -> None:
            try:
                work()
            except BaseException as exc:
                errors.append(exc)

        threads.append(threading.Thread(target=run))
        threads[-1].start()
        wait_for_waiters(database, name, len(threads))

    try:
        with blocker.connect() as conn:
            conn.execute(
                text("SELECT 1 FROM licences WHERE token_hash = :h FOR UPDATE"), {"h": hash_token(TOKEN)}
            )
            start(lambda: service.reset_usage(TOKEN))
            start(lambda: service.charge(token_hash=token_hash, size_bytes=5000, task_id="new-1"))
            for task in ("old-1", "old-2", "old-3"):
                start(
                    lambda task=task: service.refund(
                        token_hash=token_hash, task_id=task, size_bytes=1000, reason="worker_lost"
                    )
                )
            conn.rollback()  # let go of the row: reset, charge, refunds run in that order
        for thread in threads:
            thread.join(30)
    finally:
        blocker.dispose()

    assert errors == []
    licence = service.records.get(token_hash)
    assert licence is not None and licence.used_bytes == 5000  # the new period's one charge, untouched
    assert check_ledger(database).ok
    notes = [e for e in service.records.ledger(token_hash) if e.kind == "refund"]
    assert [e.size_bytes for e in notes] == [0, 0, 0]
