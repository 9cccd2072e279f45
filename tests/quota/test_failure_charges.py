"""A failed task's charge: refunded within the token's free failures of the period, kept past them, and
always refunded when the failure is not the file's doing."""

from __future__ import annotations

from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor

import pytest

from pixpress.config import Settings
from pixpress.db.session import Database
from pixpress.quota import QuotaService
from pixpress.quota.failure_charges import free_allowance
from pixpress.quota.ledger_check import check_ledger

ADDR = "10.0.0.9"
SIZE = 1000


@pytest.fixture
def service(settings: Settings, database: Database) -> Iterator[QuotaService]:
    settings.free_failures_per_period = 3
    settings.free_failures_percent = 0.0
    made = QuotaService(settings=settings, database=database)
    yield made
    made.close()


def fail(service: QuotaService, token_hash: str, task_id: str, reason: str = "invalid_image") -> bool:
    service.charge(token_hash=token_hash, size_bytes=SIZE, task_id=task_id)
    return service.settle_failure(token_hash=token_hash, task_id=task_id, size_bytes=SIZE, reason=reason)


def kinds(service: QuotaService, token_hash: str, task_id: str) -> list[str]:
    return [e.kind for e in service.records.ledger(token_hash) if e.task_id == task_id]


def test_undecodable_files_are_free_up_to_the_allowance_then_charged(service: QuotaService) -> None:
    token_hash = service.authenticate("site", client_address=ADDR).token_hash
    assert [fail(service, token_hash, f"t-{n}") for n in range(5)] == [False, False, False, True, True]
    assert service.authenticate("site", client_address=ADDR).used_bytes == 2 * SIZE
    assert kinds(service, token_hash, "t-0") == ["charge", "refund"]
    assert kinds(service, token_hash, "t-4") == ["charge", "failure_charged"]
    [note] = [
        e for e in service.records.ledger(token_hash) if e.kind == "failure_charged" and e.task_id == "t-4"
    ]
    assert note.size_bytes == 0 and note.note is not None and note.note.startswith("invalid_image")
    assert check_ledger(service.records.db).ok


def test_failures_that_are_not_the_file_s_doing_are_always_refunded_and_never_counted(
    service: QuotaService,
) -> None:
    token_hash = service.authenticate("site", client_address=ADDR).token_hash
    server_side = ["worker_lost", "task_timeout", "internal_error", "service_unavailable", "image_too_large"]
    for n, reason in enumerate(server_side * 2):
        assert fail(service, token_hash, f"s-{n}", reason) is False
    assert service.authenticate("site", client_address=ADDR).used_bytes == 0
    # None of them used the free allowance: three undecodable files are still free.
    assert [fail(service, token_hash, f"t-{n}") for n in range(4)] == [False, False, False, True]


def test_settling_twice_decides_once(service: QuotaService) -> None:
    token_hash = service.authenticate("site", client_address=ADDR).token_hash
    for n in range(3):
        fail(service, token_hash, f"free-{n}")
    assert fail(service, token_hash, "kept") is True
    again = service.settle_failure(
        token_hash=token_hash, task_id="kept", size_bytes=SIZE, reason="invalid_image"
    )
    assert again is True and kinds(service, token_hash, "kept") == ["charge", "failure_charged"]
    free = service.settle_failure(
        token_hash=token_hash, task_id="free-0", size_bytes=SIZE, reason="invalid_image"
    )
    assert free is False and kinds(service, token_hash, "free-0") == ["charge", "refund"]
    assert service.authenticate("site", client_address=ADDR).used_bytes == SIZE


def test_the_allowance_grows_with_the_period_s_uploads_and_starts_again_after_a_reset(
    service: QuotaService, settings: Settings
) -> None:
    settings.free_failures_percent = 10.0
    token_hash = service.authenticate("site", client_address=ADDR).token_hash
    for n in range(40):  # 40 good uploads: 3 + 10% of the period's uploads
        service.charge(token_hash=token_hash, size_bytes=SIZE, task_id=f"good-{n}")
    outcomes = [fail(service, token_hash, f"t-{n}") for n in range(8)]
    # The failed uploads count as uploads too: the 8th failure finds 3 + floor(48 * 10%) = 7 used.
    assert outcomes == [False] * 7 + [True]
    service.reset_usage("site")
    assert [fail(service, token_hash, f"after-{n}") for n in range(4)] == [False, False, False, True]


def test_concurrent_failures_of_one_token_never_exceed_the_allowance(
    service: QuotaService, settings: Settings
) -> None:
    settings.free_failures_per_period = 5
    token_hash = service.authenticate("site", client_address=ADDR).token_hash
    for n in range(16):
        service.charge(token_hash=token_hash, size_bytes=SIZE, task_id=f"t-{n}")

    def settle(n: int) -> bool:
        return service.settle_failure(
            token_hash=token_hash, task_id=f"t-{n}", size_bytes=SIZE, reason="invalid_image"
        )

    with ThreadPoolExecutor(max_workers=8) as pool:
        kept = list(pool.map(settle, range(16)))
    assert kept.count(False) == 5 and kept.count(True) == 11
    assert service.authenticate("site", client_address=ADDR).used_bytes == 11 * SIZE
    assert check_ledger(service.records.db).ok


def test_the_default_allowance_covers_a_library_s_few_dozen_broken_files() -> None:
    defaults = Settings(_env_file=None)  # type: ignore[call-arg]
    assert free_allowance(uploads=0, settings=defaults) == 50
    assert free_allowance(uploads=5000, settings=defaults) == 150
