"""The task repository: every read and write of the tasks table. State changes are conditional updates,
so a task runs to completion once even when two workers hold it."""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import and_, delete, func, or_, select, update
from sqlalchemy.exc import IntegrityError

from pixpress.db.models import Task
from pixpress.db.session import Database, utcnow
from pixpress.tasks.states import UNFINISHED, TaskState


@dataclass(frozen=True)
class Claim:
    """A worker's hold on a task for one attempt."""

    task_id: str
    attempt: int


class DuplicateIdempotencyKey(Exception):
    """Another task of the same token already uses this Idempotency-Key."""


class TaskRecords:
    def __init__(self, database: Database) -> None:
        self.db = database

    # --- reads -----------------------------------------------------------------------------

    def get(self, task_id: str) -> Task | None:
        with self.db.session() as session:
            return session.get(Task, task_id)

    def get_for_token(self, task_id: str, token_hash: str) -> Task | None:
        task = self.get(task_id)
        return task if task is not None and task.token_hash == token_hash else None

    def find_by_idempotency_key(self, token_hash: str, key: str, *, newer_than: datetime) -> Task | None:
        with self.db.session() as session:
            return session.scalar(
                select(Task).where(
                    Task.token_hash == token_hash,
                    Task.idempotency_key == key,
                    Task.created_at >= newer_than,
                )
            )

    def count_unfinished(self, token_hash: str) -> int:
        with self.db.session() as session:
            return int(
                session.scalar(
                    select(func.count())
                    .select_from(Task)
                    .where(Task.token_hash == token_hash, Task.status.in_(UNFINISHED))
                )
                or 0
            )

    # --- writes ----------------------------------------------------------------------------

    def insert(self, task: Task) -> None:
        try:
            with self.db.session() as session:
                session.add(task)
        except IntegrityError as exc:
            raise DuplicateIdempotencyKey(task.idempotency_key) from exc

    def release_idempotency_key(self, token_hash: str, key: str) -> None:
        """Free a key older than its TTL so it can name a new task."""
        with self.db.session() as session:
            session.execute(
                update(Task)
                .where(Task.token_hash == token_hash, Task.idempotency_key == key)
                .values(idempotency_key=None)
            )

    def claim(self, task_id: str, *, lease_s: float) -> Claim | None:
        """queued -> processing for one attempt, or None when the task is not ours to run."""
        now = utcnow()
        with self.db.session() as session:
            attempt = session.scalar(
                update(Task)
                .where(Task.id == task_id, Task.status == TaskState.QUEUED.value)
                .values(
                    status=TaskState.PROCESSING.value,
                    attempts=Task.attempts + 1,
                    lease_expires_at=now + timedelta(seconds=lease_s),
                    started_at=now,
                    updated_at=now,
                )
                .returning(Task.attempts)
            )
        return Claim(task_id, int(attempt)) if attempt is not None else None

    def renew(self, claim: Claim, *, lease_s: float) -> bool:
        """Extend the lease of a task this attempt still holds (the worker's heartbeat)."""
        with self.db.session() as session:
            renewed = session.scalar(
                update(Task)
                .where(
                    Task.id == claim.task_id,
                    Task.status == TaskState.PROCESSING.value,
                    Task.attempts == claim.attempt,
                )
                .values(lease_expires_at=utcnow() + timedelta(seconds=lease_s))
                .returning(Task.id)
            )
        return renewed is not None

    def complete(self, claim: Claim, **values: Any) -> bool:
        """processing -> done, only for the attempt that holds the task."""
        return self._finish(claim, TaskState.DONE, values)

    def fail(self, claim: Claim, *, error_code: str, error_message: str) -> bool:
        return self._finish(
            claim, TaskState.FAILED, {"error_code": error_code, "error_message": error_message}
        )

    def _finish(self, claim: Claim, state: TaskState, values: dict[str, Any]) -> bool:
        now = utcnow()
        with self.db.session() as session:
            done = session.scalar(
                update(Task)
                .where(
                    Task.id == claim.task_id,
                    Task.status == TaskState.PROCESSING.value,
                    Task.attempts == claim.attempt,
                )
                .values(status=state.value, lease_expires_at=None, finished_at=now, updated_at=now, **values)
                .returning(Task.id)
            )
        return done is not None

    def fail_unclaimed(self, task_id: str, *, error_code: str, error_message: str) -> bool:
        """Mark a task failed whatever attempt holds it (lease ran out on the last attempt)."""
        now = utcnow()
        with self.db.session() as session:
            done = session.scalar(
                update(Task)
                .where(Task.id == task_id, Task.status.in_(UNFINISHED))
                .values(
                    status=TaskState.FAILED.value,
                    error_code=error_code,
                    error_message=error_message,
                    lease_expires_at=None,
                    finished_at=now,
                    updated_at=now,
                )
                .returning(Task.id)
            )
        return done is not None

    def requeue_expired(self, *, max_attempts: int, stale_queued_s: float) -> tuple[list[str], list[Task]]:
        """Tasks whose worker vanished. Returns (ids put back in the queue, tasks out of attempts).

        Also picks up tasks left 'queued' longer than stale_queued_s, whose queue message was lost.
        """
        now = utcnow()
        stale_before = now - timedelta(seconds=stale_queued_s)
        with self.db.session() as session:
            requeued = list(
                session.scalars(
                    update(Task)
                    .where(
                        or_(
                            and_(
                                Task.status == TaskState.PROCESSING.value,
                                Task.lease_expires_at < now,
                                Task.attempts < max_attempts,
                            ),
                            and_(Task.status == TaskState.QUEUED.value, Task.updated_at < stale_before),
                        )
                    )
                    .values(status=TaskState.QUEUED.value, lease_expires_at=None, updated_at=now)
                    .returning(Task.id)
                )
            )
            exhausted = list(
                session.scalars(
                    select(Task).where(
                        Task.status == TaskState.PROCESSING.value,
                        Task.lease_expires_at < now,
                        Task.attempts >= max_attempts,
                    )
                )
            )
        return requeued, exhausted

    def expired(self, *, now: datetime, limit: int = 500) -> list[Task]:
        with self.db.session() as session:
            return list(session.scalars(select(Task).where(Task.expires_at < now).limit(limit)))

    def delete(self, task_id: str) -> None:
        with self.db.session() as session:
            session.execute(delete(Task).where(Task.id == task_id))


def task_result(task: Task) -> dict[str, Any]:
    return json.loads(task.result_json) if task.result_json else {}


def result_blob_keys(details: dict[str, Any]) -> set[str]:
    """The files named in a task's result details: its format variants, its sizes and their variants."""
    sizes = details.get("sizes") or []
    entries = [*(details.get("variants") or []), *sizes, *(v for s in sizes for v in s.get("variants") or [])]
    return {str(entry["key"]) for entry in entries}
