"""The task repository: every read and write of the tasks table. State changes are conditional updates,
so a task runs to completion once even when two workers hold it."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import and_, delete, func, or_, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from pixpress.db.models import Task
from pixpress.db.session import Database, as_utc, utcnow
from pixpress.tasks.result import TaskResult
from pixpress.tasks.states import UNFINISHED, TaskState


@dataclass(frozen=True)
class Claim:
    """A worker's hold on a task for one attempt."""

    task_id: str
    attempt: int


@dataclass(frozen=True)
class Savings:
    """Sizes of the finished tasks still kept."""

    tasks: int
    original_bytes: int
    optimized_bytes: int

    @property
    def saved_bytes(self) -> int:
        return self.original_bytes - self.optimized_bytes


class DuplicateTask(Exception):
    """Another task of the same token already holds this Idempotency-Key, or this content (a reusable
    task of the same bytes and options)."""


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

    def find_reusable(self, token_hash: str, content_hash: str, *, now: datetime) -> Task | None:
        """The token's task of this content that can still answer for it: not failed, not expired."""
        with self.db.session() as session:
            return session.scalar(
                select(Task).where(
                    Task.token_hash == token_hash,
                    Task.content_hash == content_hash,
                    Task.status != TaskState.FAILED.value,
                    Task.expires_at > now,
                )
            )

    def existing_ids(self, task_ids: list[str]) -> set[str]:
        """Which of these task ids have a row."""
        with self.db.session() as session:
            return set(session.scalars(select(Task.id).where(Task.id.in_(task_ids))))

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

    # --- the operator's dashboard: tasks still kept (rows go after the result TTL) ---------

    def count_queued(self) -> int:
        with self.db.session() as session:
            return int(
                session.scalar(
                    select(func.count()).select_from(Task).where(Task.status == TaskState.QUEUED.value)
                )
                or 0
            )

    def count_by_status(self) -> dict[str, int]:
        with self.db.session() as session:
            rows = session.execute(select(Task.status, func.count()).group_by(Task.status)).all()
        return {status: int(count) for status, count in rows}

    def failures_by_code(self) -> list[tuple[str, int]]:
        """Failed tasks per error code, most frequent first."""
        code = func.coalesce(Task.error_code, "unknown")
        with self.db.session() as session:
            rows = session.execute(
                select(code, func.count())
                .where(Task.status == TaskState.FAILED.value)
                .group_by(code)
                .order_by(func.count().desc(), code)
            ).all()
        return [(str(error_code), int(count)) for error_code, count in rows]

    def savings(self) -> Savings:
        with self.db.session() as session:
            row = session.execute(
                select(
                    func.count(),
                    func.coalesce(func.sum(Task.original_size), 0),
                    func.coalesce(func.sum(Task.optimized_size), 0),
                ).where(Task.status == TaskState.DONE.value, Task.optimized_size.is_not(None))
            ).one()
        tasks, original, optimized = (int(value or 0) for value in row)
        return Savings(tasks=tasks, original_bytes=original, optimized_bytes=optimized)

    def done_durations_s(self, *, limit: int = 10_000) -> list[float]:
        """Seconds from submit to done of the latest finished tasks (a bounded sample, for medians)."""
        with self.db.session() as session:
            rows = session.execute(
                select(Task.created_at, Task.finished_at)
                .where(Task.status == TaskState.DONE.value, Task.finished_at.is_not(None))
                .order_by(Task.finished_at.desc())
                .limit(limit)
            ).all()
        return [
            (finished - created).total_seconds()
            for created, finished in ((as_utc(c), as_utc(f)) for c, f in rows)
            if created is not None and finished is not None
        ]

    def unfinished_by_token(self, *, limit: int) -> list[tuple[str, int]]:
        """(token hash, unfinished tasks) of the tokens with the most, most first."""
        with self.db.session() as session:
            rows = session.execute(
                select(Task.token_hash, func.count())
                .where(Task.status.in_(UNFINISHED))
                .group_by(Task.token_hash)
                .order_by(func.count().desc(), Task.token_hash)
                .limit(limit)
            ).all()
        return [(token_hash, int(count)) for token_hash, count in rows]

    # --- writes ----------------------------------------------------------------------------

    def insert(self, task: Task, *, session: Session | None = None) -> None:
        """Add the row (flushed now, so a taken Idempotency-Key or content shows here, not at the caller's
        commit)."""
        try:
            with self.db.join(session) as unit:
                unit.add(task)
                unit.flush()
        except IntegrityError as exc:
            raise DuplicateTask(task.idempotency_key or task.content_hash) from exc

    def release_idempotency_key(self, token_hash: str, key: str, *, older_than: datetime) -> None:
        """Free a key held by a task created before `older_than` (past its TTL) so it can name a new task.

        The cutoff is in the statement: a concurrent retry that has just created its task keeps the key,
        so the next retry finds that task instead of creating (and paying for) a second one.
        """
        with self.db.session() as session:
            session.execute(
                update(Task)
                .where(
                    Task.token_hash == token_hash,
                    Task.idempotency_key == key,
                    Task.created_at < older_than,
                )
                .values(idempotency_key=None)
            )

    def release_content_hash(self, token_hash: str, content_hash: str, *, now: datetime) -> None:
        """Free a content hash held by a task that can no longer be reused (failed, or past its expiry
        and waiting for the cleanup), so a new upload of the same content can take it. The conditions
        are in the statement: a reusable task keeps its hash whatever a concurrent submit does."""
        with self.db.session() as session:
            session.execute(
                update(Task)
                .where(
                    Task.token_hash == token_hash,
                    Task.content_hash == content_hash,
                    or_(Task.status == TaskState.FAILED.value, Task.expires_at <= now),
                )
                .values(content_hash=None)
            )

    def keep_for_reuse(
        self, task_id: str, *, now: datetime, expires_at: datetime, session: Session
    ) -> Task | None:
        """Keep a task answering an identical upload until `expires_at` (the new upload's own result
        lifetime), in the caller's unit of work; the task as it is now. None when it has failed or
        expired since it was found: the upload is then a new task."""
        return session.scalars(
            update(Task)
            .where(Task.id == task_id, Task.status != TaskState.FAILED.value, Task.expires_at > now)
            .values(expires_at=expires_at)  # later than the one it had: that was set at an earlier upload
            .returning(Task)
        ).first()

    def set_failure_charged(self, task_id: str, *, charged: bool, session: Session) -> None:
        """Record on a failed task's row whether its charge was kept (its status shows it)."""
        session.execute(update(Task).where(Task.id == task_id).values(failure_charged=charged))

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

    def fail(
        self, claim: Claim, *, error_code: str, error_message: str, session: Session | None = None
    ) -> bool:
        """processing -> failed for the attempt that holds the task; with `session`, in the caller's unit of
        work (the failure and the settlement of its charge commit together)."""
        return self._finish(
            claim, TaskState.FAILED, {"error_code": error_code, "error_message": error_message}, session
        )

    def _finish(
        self, claim: Claim, state: TaskState, values: dict[str, Any], session: Session | None = None
    ) -> bool:
        now = utcnow()
        with self.db.join(session) as unit:
            done = unit.scalar(
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

    def fail_unclaimed(
        self, task_id: str, *, error_code: str, error_message: str, session: Session | None = None
    ) -> bool:
        """Mark a task failed whatever attempt holds it (lease ran out on the last attempt)."""
        now = utcnow()
        with self.db.join(session) as unit:
            done = unit.scalar(
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

    def requeue_expired(
        self, *, max_attempts: int, stale_queued_s: float | None
    ) -> tuple[list[str], list[Task]]:
        """Tasks whose worker vanished. Returns (ids put back in the queue, tasks out of attempts).

        With stale_queued_s, also tasks left 'queued' longer than that, whose queue message was lost
        (the caller asks only when the queue holds fewer messages than tasks wait: under a mere backlog
        every check would send each waiting task again).
        """
        now = utcnow()
        lost = and_(
            Task.status == TaskState.PROCESSING.value,
            Task.lease_expires_at < now,
            Task.attempts < max_attempts,
        )
        if stale_queued_s is not None:
            stale_before = now - timedelta(seconds=stale_queued_s)
            lost = or_(lost, and_(Task.status == TaskState.QUEUED.value, Task.updated_at < stale_before))
        with self.db.session() as session:
            requeued = list(
                session.scalars(
                    update(Task)
                    .where(lost)
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

    def delete(self, task_id: str, *, session: Session | None = None) -> None:
        with self.db.join(session) as unit:
            unit.execute(delete(Task).where(Task.id == task_id))


def task_result(task: Task) -> TaskResult:
    """The typed record of the task's result_json (empty while the task has none)."""
    return TaskResult.from_json(task.result_json)
