"""What the pages show, from the repositories, on SQLite and PostgreSQL."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path

import pytest
from sqlalchemy import update

from pixpress.config import Settings
from pixpress.container import Container
from pixpress.dashboard import queries
from pixpress.db.models import Task, UsageEntry
from pixpress.db.session import Database, utcnow
from pixpress.quota import MB, hash_token
from pixpress.tasks.states import TaskState
from tests.tasks.factories import new_task

A, B, C = "token-a-0123456789", "token-b-0123456789", "token-c-0123456789"


@pytest.fixture
def container(settings: Settings, database: Database, tmp_path: Path) -> Iterator[Container]:
    tokens = tmp_path / "tokens.toml"
    tokens.write_text("".join(f'[tokens."{t}"]\nquota_mb = 10\n' for t in (A, B, C)))
    made = Container(
        settings.model_copy(
            update={"database_url": database.url, "tokens_file": tokens, "storage_url": "memory://"}
        )
    )
    made.database = database  # the test's schema (PostgreSQL: its own search_path)
    yield made
    made.quota.close()


def _licence(container: Container, token: str) -> str:
    return container.quota.authenticate(token, client_address="10.0.0.1").token_hash


def _task(container: Container, token_hash: str, state: TaskState, **values: object) -> Task:
    task = new_task(token_hash=token_hash)
    container.records.insert(task)
    if state is TaskState.QUEUED:
        return task
    claim = container.records.claim(task.id, lease_s=60)
    assert claim is not None
    if state is TaskState.DONE:
        container.records.complete(claim, **values)
    elif state is TaskState.FAILED:
        container.records.fail(claim, error_code=str(values["error_code"]), error_message="x")
    return task


def test_overview_figures(container: Container) -> None:
    a, b = _licence(container, A), _licence(container, B)
    for size in (2 * MB, 3 * MB):
        container.quota.charge(token_hash=a, size_bytes=size, task_id=f"t-{size}")
    container.quota.charge(token_hash=b, size_bytes=MB, task_id="t-b")
    container.quota.refund(token_hash=b, task_id="t-b", size_bytes=MB, reason="internal_error")
    _task(container, a, TaskState.DONE, optimized_size=400)  # original 1000 bytes
    _task(container, a, TaskState.DONE, optimized_size=600)
    _task(container, b, TaskState.FAILED, error_code="invalid_image")
    _task(container, b, TaskState.FAILED, error_code="invalid_image")
    _task(container, b, TaskState.FAILED, error_code="task_timeout")
    for _ in range(3):
        _task(container, b, TaskState.QUEUED)
    _task(container, a, TaskState.QUEUED)
    _task(container, a, TaskState.PROCESSING)

    data = queries.overview(
        records=container.records, quota=container.quota, queue=container.queue, settings=container.settings
    )
    assert len(data.days) == 30 and data.days[-1].day == utcnow().date()
    assert data.days[-1].uploads == 3 and data.days[-1].size_bytes == 6 * MB  # charges, refunds aside
    assert data.uploads == 3 and data.uploaded_bytes == 6 * MB
    assert sum(day.uploads for day in data.days[:-1]) == 0
    assert (data.savings.tasks, data.savings.saved_bytes) == (2, 1000)
    assert data.median_done_s is not None and 0 <= data.median_done_s < 60
    assert data.failures == [("invalid_image", 2), ("task_timeout", 1)]
    assert data.status_counts == {"done": 2, "failed": 3, "queued": 4, "processing": 1}
    assert [(p.shown_prefix, p.unfinished) for p in data.top_pending] == [(b[:6], 3), (a[:6], 2)]
    assert data.queue_pending == 0  # nothing was enqueued, only rows inserted
    assert data.licence.source == "tokens_file" and data.licence.circuit_state == "closed"


def test_days_are_utc_days_and_older_charges_fall_out(container: Container, database: Database) -> None:
    a = _licence(container, A)
    for task_id in ("old", "yesterday", "today"):
        container.quota.charge(token_hash=a, size_bytes=MB, task_id=task_id)
    now = utcnow()
    ages = {"old": timedelta(days=40), "yesterday": timedelta(days=1)}
    with database.session() as session:
        for task_id, age in ages.items():
            session.execute(
                update(UsageEntry).where(UsageEntry.task_id == task_id).values(created_at=now - age)
            )
    days = queries.overview(
        records=container.records, quota=container.quota, queue=container.queue, settings=container.settings
    ).days
    assert [d.uploads for d in days[-2:]] == [1, 1] and sum(d.uploads for d in days) == 2


def test_token_search_and_ledger_pages(container: Container) -> None:
    hashes = [_licence(container, token) for token in (A, B, C)]
    rows, pagination = queries.search_tokens(quota=container.quota, prefix="", page=1)
    assert pagination.total == 3 and {r.token_hash for r in rows} == set(hashes)
    rows, pagination = queries.search_tokens(quota=container.quota, prefix=hashes[0][:6], page=1)
    assert [r.token_hash for r in rows] == [hashes[0]] and pagination.total == 1
    assert queries.search_tokens(quota=container.quota, prefix="%", page=1)[1].total == 0
    for index in range(queries.LEDGER_PER_PAGE + 5):
        container.quota.charge(token_hash=hashes[0], size_bytes=1000, task_id=f"task-{index}")
    first = queries.token_page(records=container.records, quota=container.quota, token_hash=hashes[0], page=1)
    second = queries.token_page(
        records=container.records, quota=container.quota, token_hash=hashes[0], page=2
    )
    assert first is not None and second is not None
    assert first.pagination.total == 55 and first.pagination.pages == 2
    assert len(first.ledger) == 50 and len(second.ledger) == 5
    assert first.ledger[0].task_id == "task-54" and second.ledger[-1].task_id == "task-0"  # newest first
    assert first.history.current_period.uploads == 55
    assert (
        queries.token_page(records=container.records, quota=container.quota, token_hash="0" * 64, page=1)
        is None
    )


def test_reset_by_hash_records_what_the_api_s_reset_records(container: Container) -> None:
    by_hash, by_token = _licence(container, A), _licence(container, B)
    for token_hash in (by_hash, by_token):
        container.quota.charge(token_hash=token_hash, size_bytes=3 * MB, task_id="task-1")
    assert container.quota.reset_usage_by_hash(by_hash) == 3 * MB
    assert container.quota.reset_usage(B).old_usage_bytes == 3 * MB
    assert container.quota.reset_usage_by_hash("0" * 64) is None
    shapes = []
    for token_hash in (by_hash, by_token):
        entries, _ = container.quota.records.ledger_page(token_hash, limit=10, offset=0)
        shapes.append([(e.kind, e.size_bytes, e.task_id, e.note) for e in entries])
        licence = container.quota.records.get(token_hash)
        assert licence is not None and licence.used_bytes == 0
    assert shapes[0] == shapes[1] == [("reset", -3 * MB, None, None), ("charge", 3 * MB, "task-1", None)]
    history = container.quota.usage_history_by_hash(by_hash)
    assert history is not None and history.past_periods[0].used_bytes == 3 * MB
    assert container.quota.usage_history(A).past_periods == history.past_periods
    assert hash_token(A) == by_hash
