"""The cleanup sweeps blobs no task row points at: an upload whose submit died before its commit, the
result of a task deleted while its worker was finishing it."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path

from pixpress.config import Settings
from pixpress.db.session import Database, utcnow
from pixpress.storage.local import LocalStorage
from pixpress.storage.memory import MemoryStorage
from pixpress.tasks.orphans import sweep_orphan_blobs, task_id_of
from pixpress.tasks.records import TaskRecords
from pixpress.tasks.runner import TaskRunner
from pixpress.tasks.service import TaskService
from pixpress.tasks.states import input_key, result_key
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


class DeleteArrivesWhileTheWorkerFinishes(LocalStorage):
    """Storage on which a DELETE that has already read the task waits, then the worker completes it, then
    the DELETE removes what it read (the input) and the row: the interleaving that left results behind."""

    worker: TaskRunner | None = None

    def delete(self, key: str) -> None:
        if key.endswith("/input") and self.worker is not None:
            worker, self.worker = self.worker, None
            worker.run(key.split("/")[1])
        super().delete(key)


def test_a_result_finished_during_its_delete_is_swept(
    database: Database, settings: Settings, tmp_path: Path, corpus: Path
) -> None:
    records = TaskRecords(database)
    storage = DeleteArrivesWhileTheWorkerFinishes(tmp_path / "files")
    tasks = TaskService(settings=settings, records=records, storage=storage, enqueue=lambda _id: None)
    task = new_task()
    records.insert(task)
    storage.put(input_key(task.id), (corpus / "graphic" / "logo.png").read_bytes())
    storage.worker = TaskRunner(
        settings=settings, records=records, storage=storage, settle_failure=lambda *_: None
    )

    tasks.delete(task.id, token_hash=task.token_hash)
    assert records.get(task.id) is None
    left = [blob.key for blob in storage.list()]
    assert left and all("/result-" in key for key in left)  # the worker's result, no row

    assert sweep_orphan_blobs(records=records, storage=storage, grace_s=600) == 0  # too young yet
    later = utcnow() + timedelta(minutes=11)
    assert sweep_orphan_blobs(records=records, storage=storage, grace_s=600, now=later) == len(left)
    assert list(storage.list()) == []


def test_the_cleanup_job_sweeps_orphans_too(settings: Settings, database: Database) -> None:
    from pixpress.container import Container
    from pixpress.usecases.maintenance import cleanup_expired

    settings.database_url = database.url
    settings.storage_url = "memory://"
    container = Container(settings)
    storage = container.storage
    assert isinstance(storage, MemoryStorage)
    orphan = new_task()
    storage.put(orphan.input_key, b"left by a dead submit")
    storage.touch(orphan.input_key, HOUR_AGO)
    try:
        assert cleanup_expired(records=container.records, storage=storage, settings=settings) == 1
    finally:
        container.close()
    assert list(storage.list()) == []
