"""The cleanup sweeps blobs no task row points at, such as an upload whose submit died before its commit."""

from __future__ import annotations

from datetime import timedelta

from pixpress.config import Settings
from pixpress.db.session import Database, utcnow
from pixpress.storage.memory import MemoryStorage
from pixpress.tasks.orphans import sweep_orphan_blobs, task_id_of
from pixpress.tasks.records import TaskRecords
from pixpress.tasks.states import result_key
from tests.tasks.factories import new_task

HOUR_AGO = utcnow() - timedelta(hours=1)


def test_task_ids_are_read_from_task_keys_only() -> None:
    task_id = "3f2a9c0e-5b1d-4c8e-9a77-0d6f1e2b4c5a"
    assert task_id_of(f"3f/{task_id}/input") == task_id
    assert task_id_of(f"3f/{task_id}/result-2.webp") == task_id
    for key in (".ping", f"aa/{task_id}/input", f"3f/{task_id}", "3f/not-a-uuid/input", f"x/3f/{task_id}/in"):
        assert task_id_of(key) is None


def test_old_blobs_without_a_row_are_swept_young_ones_and_owned_ones_kept(database: Database) -> None:
    records, storage = TaskRecords(database), MemoryStorage()
    owned, orphan, young = new_task(), new_task(), new_task()
    records.insert(owned)
    for task in (owned, orphan, young):
        storage.put(task.input_key, b"upload")
    storage.put(result_key(orphan.id, 1, "webp"), b"result")
    for key in (owned.input_key, orphan.input_key, result_key(orphan.id, 1, "webp")):
        storage.touch(key, HOUR_AGO)
    storage.put(".ping", b"not a task's")

    assert sweep_orphan_blobs(records=records, storage=storage, grace_s=600) == 2
    assert {blob.key for blob in storage.list()} == {owned.input_key, young.input_key, ".ping"}
    assert sweep_orphan_blobs(records=records, storage=storage, grace_s=600) == 0


def test_the_cleanup_job_sweeps_orphans_too(settings: Settings, database: Database) -> None:
    from pixpress.container import Container

    settings.database_url = database.url
    settings.storage_url = "memory://"
    container = Container(settings)
    storage = container.storage
    assert isinstance(storage, MemoryStorage)
    orphan = new_task()
    storage.put(orphan.input_key, b"left by a dead submit")
    storage.touch(orphan.input_key, HOUR_AGO)
    try:
        assert container.cleanup_expired() == 1
    finally:
        container.close()
    assert list(storage.list()) == []
