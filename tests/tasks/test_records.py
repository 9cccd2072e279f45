import threading
from datetime import timedelta

import pytest
from sqlalchemy import update

from pixpress.db.models import Task
from pixpress.db.session import Database, utcnow
from pixpress.tasks.records import DuplicateTask, TaskRecords
from pixpress.tasks.states import TaskState
from tests.tasks.factories import new_task


@pytest.fixture
def records(database: Database) -> TaskRecords:
    return TaskRecords(database)


def test_insert_and_read_back_for_its_token_only(records: TaskRecords) -> None:
    task = new_task(token_hash="a" * 64)
    records.insert(task)
    assert records.get_for_token(task.id, "a" * 64) is not None
    assert records.get_for_token(task.id, "b" * 64) is None


def test_idempotency_key_is_unique_per_token(records: TaskRecords) -> None:
    records.insert(new_task(token_hash="a" * 64, idempotency_key="k1"))
    records.insert(new_task(token_hash="b" * 64, idempotency_key="k1"))  # other token: fine
    with pytest.raises(DuplicateTask):
        records.insert(new_task(token_hash="a" * 64, idempotency_key="k1"))


def test_only_one_of_many_concurrent_claims_wins(records: TaskRecords) -> None:
    task = new_task()
    records.insert(task)
    claims = []
    barrier = threading.Barrier(8)

    def claim() -> None:
        barrier.wait()
        claims.append(records.claim(task.id, lease_s=60))

    threads = [threading.Thread(target=claim) for _ in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    won = [c for c in claims if c is not None]
    assert len(won) == 1 and won[0].attempt == 1


def test_complete_only_for_the_attempt_holding_the_task(records: TaskRecords, database: Database) -> None:
    task = new_task()
    records.insert(task)
    first = records.claim(task.id, lease_s=0.001)
    assert first is not None
    _expire_lease(database, task.id)
    requeued, exhausted = records.requeue_expired(max_attempts=2, stale_queued_s=3600)
    assert requeued == [task.id] and exhausted == []
    second = records.claim(task.id, lease_s=60)
    assert second is not None and second.attempt == 2
    assert not records.complete(first, optimized_size=1)  # the slow first attempt is discarded
    assert records.complete(second, optimized_size=2)
    done = records.get(task.id)
    assert done is not None and done.status == TaskState.DONE and done.optimized_size == 2


def test_expired_lease_on_last_attempt_is_reported_exhausted(
    records: TaskRecords, database: Database
) -> None:
    task = new_task()
    records.insert(task)
    records.claim(task.id, lease_s=60)
    with database.session() as session:
        session.execute(update(Task).where(Task.id == task.id).values(attempts=2))
    _expire_lease(database, task.id)
    requeued, exhausted = records.requeue_expired(max_attempts=2, stale_queued_s=3600)
    assert requeued == [] and [t.id for t in exhausted] == [task.id]
    assert records.fail_unclaimed(task.id, error_code="worker_lost", error_message="lost")
    assert not records.fail_unclaimed(task.id, error_code="worker_lost", error_message="lost")


def test_stale_queued_task_is_requeued(records: TaskRecords, database: Database) -> None:
    task = new_task()
    records.insert(task)
    with database.session() as session:
        session.execute(
            update(Task).where(Task.id == task.id).values(updated_at=utcnow() - timedelta(hours=1))
        )
    requeued, _ = records.requeue_expired(max_attempts=2, stale_queued_s=60)
    assert requeued == [task.id]


def test_count_unfinished(records: TaskRecords) -> None:
    for _ in range(3):
        records.insert(new_task(token_hash="c" * 64))
    done = new_task(token_hash="c" * 64)
    records.insert(done)
    claim = records.claim(done.id, lease_s=60)
    assert claim is not None
    records.complete(claim)
    assert records.count_unfinished("c" * 64) == 3


def test_expired_lists_tasks_past_their_ttl(records: TaskRecords) -> None:
    old = new_task(ttl_s=-10)
    fresh = new_task(ttl_s=3600)
    records.insert(old)
    records.insert(fresh)
    assert [t.id for t in records.expired(now=utcnow())] == [old.id]


def _expire_lease(database: Database, task_id: str) -> None:
    with database.session() as session:
        session.execute(
            update(Task).where(Task.id == task_id).values(lease_expires_at=utcnow() - timedelta(seconds=1))
        )


def test_renew_extends_only_the_holding_attempt(records: TaskRecords, database: Database) -> None:
    task = new_task()
    records.insert(task)
    claim = records.claim(task.id, lease_s=0.001)
    assert claim is not None
    assert records.renew(claim, lease_s=60)
    requeued, _ = records.requeue_expired(max_attempts=2, stale_queued_s=3600)
    assert requeued == []  # renewed: not lost
    records.complete(claim)
    assert not records.renew(claim, lease_s=60)


def test_release_frees_only_keys_older_than_the_cutoff(records: TaskRecords, database: Database) -> None:
    old, fresh = new_task(idempotency_key="old"), new_task(idempotency_key="fresh")
    records.insert(old)
    records.insert(fresh)
    with database.session() as session:
        session.execute(update(Task).where(Task.id == old.id).values(created_at=utcnow() - timedelta(days=2)))
    cutoff = utcnow() - timedelta(days=1)
    records.release_idempotency_key("a" * 64, "old", older_than=cutoff)
    records.release_idempotency_key("a" * 64, "fresh", older_than=cutoff)
    released, kept = records.get(old.id), records.get(fresh.id)
    assert released is not None and released.idempotency_key is None
    assert kept is not None and kept.idempotency_key == "fresh"
