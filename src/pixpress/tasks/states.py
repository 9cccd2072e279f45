"""Task states and the storage keys of a task's blobs."""

from __future__ import annotations

from enum import StrEnum


class TaskState(StrEnum):
    QUEUED = "queued"
    PROCESSING = "processing"
    DONE = "done"
    FAILED = "failed"


UNFINISHED = (TaskState.QUEUED.value, TaskState.PROCESSING.value)


def input_key(task_id: str) -> str:
    return f"{task_id[:2]}/{task_id}/input"


def result_key(task_id: str, attempt: int, extension: str) -> str:
    # One key per attempt: a slow first attempt can never overwrite the retry's result.
    return f"{task_id[:2]}/{task_id}/result-{attempt}.{extension}"


def variant_key(task_id: str, attempt: int, extension: str) -> str:
    return f"{task_id[:2]}/{task_id}/variant-{attempt}.{extension}"


def size_key(task_id: str, attempt: int, name: str, extension: str) -> str:
    # Size names are [a-z0-9_-]{1,40} (imaging/size_specs.py): safe in a key as they are.
    return f"{task_id[:2]}/{task_id}/size-{attempt}-{name}.{extension}"
