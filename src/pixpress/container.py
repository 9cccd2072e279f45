"""The composition root: builds every service of one process from the settings and wires them.

Only building and wiring here: what a call or a job does is a use case (usecases/), which the routes reach
through api/dependencies.py and the periodic jobs below are wired to."""

from __future__ import annotations

import importlib
from functools import cached_property
from typing import Any

from pixpress.config import Settings
from pixpress.coordination.leader import LeaderJob
from pixpress.coordination.leases import DatabaseLeases, Leases, RedisLeases, owner_id
from pixpress.db.session import Database
from pixpress.quota import QuotaService
from pixpress.quota.clock import Clock, clock_from
from pixpress.quota.rate_limit import RedisFailureCounter
from pixpress.storage import BlobStorage, open_storage
from pixpress.tasks import fork_guard
from pixpress.tasks.limits import cap_memory, settle_worker, tidy_after_task
from pixpress.tasks.queue import TaskQueue, WorkerContext, install_context_factory, make_huey
from pixpress.tasks.records import TaskRecords
from pixpress.tasks.runner import SettleFailure, TaskRunner
from pixpress.tasks.scheduler import Job, PeriodicJobs
from pixpress.tasks.service import TaskService
from pixpress.usecases.failed_tasks import failure_settler
from pixpress.usecases.maintenance import (
    check_ledger,
    cleanup_expired,
    close_due_periods,
    requeue_expired_leases,
)


class Container:
    def __init__(self, settings: Settings) -> None:
        self.settings = settings

    @cached_property
    def database(self) -> Database:
        self.settings.ensure_data_dir()
        return Database(self.settings.resolved_database_url)

    @cached_property
    def storage(self) -> BlobStorage:
        return open_storage(self.settings)

    @cached_property
    def queue(self) -> TaskQueue:
        return TaskQueue(make_huey(self.settings))

    @cached_property
    def redis(self) -> Any:
        import redis

        return redis.Redis.from_url(self.settings.redis_url)

    @cached_property
    def leases(self) -> Leases:
        if self.settings.redis_url:
            return RedisLeases(self.redis, prefix=self.settings.queue_name)
        return DatabaseLeases(self.database)

    @cached_property
    def quota(self) -> QuotaService:
        if not self.settings.redis_url:
            return QuotaService(settings=self.settings, database=self.database)
        return QuotaService(
            settings=self.settings,
            database=self.database,
            failures=RedisFailureCounter(self.redis, prefix=self.settings.queue_name),
            shared_flights=self.leases,
        )

    @cached_property
    def clock(self) -> Clock:
        return clock_from(self.settings)

    @cached_property
    def records(self) -> TaskRecords:
        return TaskRecords(self.database)

    @cached_property
    def tasks(self) -> TaskService:
        return TaskService(
            settings=self.settings, records=self.records, storage=self.storage, enqueue=self.queue.enqueue
        )

    @cached_property
    def runner(self) -> TaskRunner:
        return TaskRunner(
            settings=self.settings,
            records=self.records,
            storage=self.storage,
            settle_failure=self.settle_failure,
        )

    @cached_property
    def settle_failure(self) -> SettleFailure:
        """What a task that ends without a result calls: its charge back, or kept past the free failures."""
        return failure_settler(quota=self.quota, records=self.records)

    # --- worker jobs: wiring only, the work is in usecases/maintenance.py ------------------

    def worker_context(self) -> WorkerContext:
        """Built inside each worker process: its memory cap, and leave to end itself over a runaway task."""
        megabytes = self.settings.worker_memory_mb
        cap_memory(megabytes)
        self.runner.may_end_process = True
        # The first task's imports (NumPy, the encoders), before settling: the API process, which builds
        # this container too, never loads them.
        importlib.import_module("pixpress.imaging.pipeline")
        settle_worker()
        return WorkerContext(
            run_task=self.runner.run,
            needs_replacing=lambda failed: tidy_after_task(megabytes, failed=failed),
        )

    def periodic_jobs(self) -> PeriodicJobs:
        settings = self.settings
        fork_guard.install()  # this process forks the worker processes: none in the middle of a job
        jobs = PeriodicJobs(
            around=lambda: fork_guard.between_forks(self.close_connections),
            jobs=[
                Job(
                    "requeue_expired_leases",
                    settings.lease_check_interval_s,
                    lambda: requeue_expired_leases(
                        records=self.records,
                        enqueue=self.queue.enqueue,
                        pending_messages=self.queue.pending,
                        settle_failure=self.settle_failure,
                        settings=settings,
                    ),
                ),
                Job(
                    "cleanup_expired",
                    settings.cleanup_interval_s,
                    LeaderJob(  # once per deployment
                        leases=self.leases,
                        name="cleanup_expired",
                        owner=owner_id(),
                        ttl_s=settings.cleanup_interval_s * 2,
                        run=lambda: cleanup_expired(
                            records=self.records, storage=self.storage, settings=settings
                        ),
                    ),
                ),
                Job(
                    "check_ledger",
                    settings.ledger_check_interval_s,
                    LeaderJob(
                        leases=self.leases,
                        name="check_ledger",
                        owner=owner_id(),
                        ttl_s=settings.ledger_check_interval_s / 2,
                        run=lambda: len(check_ledger(database=self.database).imbalances),
                    ),
                ),
            ],
        )
        if self.quota.reset_schedule.enabled:
            interval = settings.reset_check_interval_s
            leader = LeaderJob(
                leases=self.leases,
                name="close_due_periods",
                owner=owner_id(),
                ttl_s=interval * 2,
                run=lambda: close_due_periods(quota=self.quota, clock=self.clock),
            )
            jobs.jobs.append(Job("close_due_periods", interval, leader))
        return jobs

    def api_jobs(self) -> PeriodicJobs:
        """Jobs of an API process: only it sees raw tokens, so it re-checks the ones it served."""
        interval = self.settings.quota_refresh_job_interval_s
        return PeriodicJobs([Job("refresh_quotas", interval, self.quota.refresh_stale_tokens)])

    def install_worker_context(self) -> None:
        """Let worker processes build their own container (own connections) from these settings."""
        settings = self.settings
        install_context_factory(lambda: Container(settings).worker_context())

    def close_connections(self) -> None:
        """Close the open SQLite connections (the queue's, the database pool's); the next use reopens."""
        if "queue" in self.__dict__:
            self.queue.close_sqlite_connection()
        if "database" in self.__dict__ and self.database.is_sqlite:
            self.database.engine.dispose()

    def close(self) -> None:
        if "quota" in self.__dict__:
            self.quota.close()
        if "database" in self.__dict__:
            self.database.dispose()


__all__ = ["Container"]
