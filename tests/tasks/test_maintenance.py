import json
from datetime import timedelta

from sqlalchemy import update

from pixpress.db.models import Task
from pixpress.db.session import Database, utcnow
from pixpress.storage.memory import MemoryStorage
from pixpress.tasks import maintenance
from pixpress.tasks.records import TaskRecords
from pixpress.tasks.states import TaskState
from tests.tasks.factories import new_task, size_record, variant_record


def _expire(database: Database, task_id: str, *, attempts: int) -> None:
    with database.session() as session:
        session.execute(
            update(Task)
            .where(Task.id == task_id)
            .values(lease_expires_at=utcnow() - timedelta(seconds=1), attempts=attempts)
        )


def test_lost_task_gets_one_retry_then_fails_refunded(database: Database) -> None:
    records = TaskRecords(database)
    task = new_task()
    records.insert(task)
    enqueued: list[str] = []
    refunded: list[tuple[str, str]] = []

    def run_check() -> int:
        return maintenance.requeue_expired_leases(
            records=records,
            enqueue=enqueued.append,
            pending_messages=lambda: 0,
            settle_failure=lambda t, reason, _session: refunded.append((t.id, reason)),
            max_attempts=2,
            stale_queued_s=3600,
        )

    assert records.claim(task.id, lease_s=60) is not None
    _expire(database, task.id, attempts=1)
    assert run_check() == 1
    assert enqueued == [task.id] and refunded == []
    assert records.claim(task.id, lease_s=60) is not None  # the retry
    _expire(database, task.id, attempts=2)
    assert run_check() == 1
    assert refunded == [(task.id, "worker_lost")]
    failed = records.get(task.id)
    assert failed is not None and failed.status == TaskState.FAILED and failed.error_code == "worker_lost"
    assert run_check() == 0  # nothing twice


def test_a_backlog_is_not_sent_again_but_a_lost_message_is(database: Database) -> None:
    """Tasks waiting longer than stale_queued_s behind a backlog still have their messages: sending them
    again at every check filled the queue with duplicates. Once the queue holds fewer messages than
    tasks wait, some were lost (a Redis restart): the stale ones are sent again."""
    records = TaskRecords(database)
    waiting = [new_task() for _ in range(3)]
    for task in waiting:
        records.insert(task)
    with database.session() as session:
        session.execute(update(Task).values(updated_at=utcnow() - timedelta(hours=1)))
    queue = [task.id for task in waiting]  # each task's message is still in the queue

    def run_check() -> int:
        return maintenance.requeue_expired_leases(
            records=records,
            enqueue=queue.append,
            pending_messages=lambda: len(queue),
            settle_failure=lambda t, reason, _session: None,
            max_attempts=2,
            stale_queued_s=60,
        )

    for _ in range(3):
        assert run_check() == 0
    assert len(queue) == 3
    queue.clear()  # the messages were lost
    assert run_check() == 3
    assert sorted(queue) == sorted(task.id for task in waiting)


def test_cleanup_deletes_expired_rows_and_their_files(database: Database) -> None:
    records = TaskRecords(database)
    storage = MemoryStorage()
    old, fresh = new_task(ttl_s=-1), new_task(ttl_s=3600)
    for task in (old, fresh):
        records.insert(task)
        storage.put(task.input_key, b"data")
    assert maintenance.cleanup_expired(records=records, storage=storage) == 1
    assert records.get(old.id) is None and not storage.exists(old.input_key)
    assert records.get(fresh.id) is not None and storage.exists(fresh.input_key)


def test_cleanup_deletes_every_size_of_a_task(database: Database) -> None:
    records = TaskRecords(database)
    storage = MemoryStorage()
    task = new_task(ttl_s=-1)
    task.status, task.result_key = TaskState.DONE.value, "r/result-1.jpg"
    sizes = [size_record(name="a", key="r/size-1-a.jpg"), size_record(name="b", key="r/size-1-b.webp")]
    task.result_json = json.dumps({"variants": [], "sizes": sizes})
    records.insert(task)
    for key in (task.input_key, task.result_key, "r/size-1-a.jpg", "r/size-1-b.webp"):
        storage.put(key, b"data")
    assert maintenance.task_blob_keys(task) == sorted(
        [task.input_key, task.result_key, "r/size-1-a.jpg", "r/size-1-b.webp"]
    )
    assert maintenance.cleanup_expired(records=records, storage=storage) == 1
    assert not any(storage.exists(k) for k in ("r/result-1.jpg", "r/size-1-a.jpg", "r/size-1-b.webp"))


def test_cleanup_deletes_the_format_variants_of_sizes(database: Database) -> None:
    records = TaskRecords(database)
    storage = MemoryStorage()
    task = new_task(ttl_s=-1)
    task.status, task.result_key = TaskState.DONE.value, "r/result-1.webp"
    variants = [
        variant_record(format="webp", key="r/result-1.webp"),
        variant_record(format="jpeg", key="r/variant-1.jpg"),
    ]
    size_variants = [
        variant_record(format="webp", key="r/size-1-a.webp"),
        variant_record(format="avif", key="r/size-1-a.avif"),
    ]
    sizes = [size_record(name="a", key="r/size-1-a.webp", format="webp", variants=size_variants)]
    task.result_json = json.dumps({"variants": variants, "sizes": sizes})
    records.insert(task)
    files = ["r/result-1.webp", "r/variant-1.jpg", "r/size-1-a.webp", "r/size-1-a.avif"]
    for key in (task.input_key, *files):
        storage.put(key, b"data")
    assert maintenance.task_blob_keys(task) == sorted([task.input_key, *files])
    assert maintenance.cleanup_expired(records=records, storage=storage) == 1
    assert not any(storage.exists(k) for k in files)
