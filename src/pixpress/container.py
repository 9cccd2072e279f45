"""The composition root: builds every service of one process from the settings and wires them."""

from __future__ import annotations

import logging
from functools import cached_property
from typing import Any

from pixpress.config import Settings
from pixpress.coordination.leader import LeaderJob
from pixpress.coordination.leases import DatabaseLeases, Leases, RedisLeases, owner_id
from pixpress.db.migrate import upgrade
from pixpress.db.models import Task
from pixpress.db.session import Database
from pixpress.errors import InvalidOption
from pixpress.quota import QuotaInfo, QuotaService
from pixpress.quota.clock import Clock, clock_from
from pixpress.quota.ledger_check import LedgerReport, check_ledger
from pixpress.quota.rate_limit import RedisFailureCounter
from pixpress.quota.scheduled_reset import close_due_periods
from pixpress.storage import BlobStorage, open_storage
from pixpress.tasks import maintenance, orphans
from pixpress.tasks.limits import cap_memory, tidy_after_task
from pixpress.tasks.queue import TaskQueue, WorkerContext, install_context_factory, make_huey
from pixpress.tasks.records import TaskRecords
from pixpress.tasks.runner import TaskRunner
from pixpress.tasks.scheduler import Job, PeriodicJobs
from pixpress.tasks.service import TaskService, Upload
from pixpress.usecases.submit import submit_upload

log = logging.getLogger("pixpress")

MAX_IDEMPOTENCY_KEY_CHARS = 255


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
            settings=self.settings, records=self.records, storage=self.storage, refund=self.refund
        )

    def migrate(self) -> None:
        upgrade(self.settings.resolved_database_url)

    # --- the submit flow across the two domains -------------------------------------------

    def submit_upload(
        self, upload: Upload, *, caller_quota: QuotaInfo, idempotency_key: str | None
    ) -> tuple[Task, bool, QuotaInfo]:
        if idempotency_key is not None and not 0 < len(idempotency_key) <= MAX_IDEMPOTENCY_KEY_CHARS:
            raise InvalidOption(
                "Idempotency-Key must be 1-255 characters.", details={"field": "Idempotency-Key"}
            )
        submitted = submit_upload(
            upload,
            caller_quota=caller_quota,
            idempotency_key=idempotency_key,
            settings=self.settings,
            database=self.database,
            quota=self.quota,
            tasks=self.tasks,
        )
        return submitted.task, submitted.created, submitted.quota

    def refund(self, task: Task, reason: str) -> None:
        self.quota.refund(
            token_hash=task.token_hash, task_id=task.id, size_bytes=task.charged_bytes, reason=reason
        )

    # --- worker jobs -----------------------------------------------------------------------

    def worker_context(self) -> WorkerContext:
        """Built inside each worker process: its memory cap, and leave to end itself over a runaway task."""
        megabytes = self.settings.worker_memory_mb
        cap_memory(megabytes)
        self.runner.may_end_process = True
        return WorkerContext(run_task=self.runner.run, needs_replacing=lambda: tidy_after_task(megabytes))

    def periodic_jobs(self) -> PeriodicJobs:
        settings = self.settings
        jobs = PeriodicJobs(
            [
                Job("requeue_expired_leases", settings.lease_check_interval_s, self.requeue_expired_leases),
                Job(
                    "cleanup_expired",
                    settings.cleanup_interval_s,
                    LeaderJob(  # once per deployment
                        leases=self.leases,
                        name="cleanup_expired",
                        owner=owner_id(),
                        ttl_s=settings.cleanup_interval_s * 2,
                        run=self.cleanup_expired,
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
                        run=lambda: len(self.check_ledger().imbalances),
                    ),
                ),
            ]
        )
        if self.quota.reset_schedule.enabled:
            interval = settings.reset_check_interval_s
            leader = LeaderJob(
                leases=self.leases,
                name="close_due_periods",
                owner=owner_id(),
                ttl_s=interval * 2,
                run=self.close_due_periods,
            )
            jobs.jobs.append(Job("close_due_periods", interval, leader))
        return jobs

    def api_jobs(self) -> PeriodicJobs:
        """Jobs of an API process: only it sees raw tokens, so it re-checks the ones it served."""
        interval = self.settings.quota_refresh_job_interval_s
        return PeriodicJobs([Job("refresh_quotas", interval, self.quota.refresh_stale_tokens)])

    def requeue_expired_leases(self) -> int:
        return maintenance.requeue_expired_leases(
            records=self.records,
            enqueue=self.queue.enqueue,
            refund=self.refund,
            max_attempts=self.settings.task_max_attempts,
            stale_queued_s=self.settings.task_lease_s,
        )

    def cleanup_expired(self) -> int:
        removed = maintenance.cleanup_expired(records=self.records, storage=self.storage)
        return removed + orphans.sweep_orphan_blobs(
            records=self.records, storage=self.storage, grace_s=self.settings.orphan_blob_grace_s
        )

    def close_due_periods(self) -> int:
        """The scheduled reset (PIXPRESS_RESET_SCHEDULE): close the periods due by the clock's now."""
        return close_due_periods(
            periods=self.quota.periods, schedule=self.quota.reset_schedule, clock=self.clock
        )

    def check_ledger(self) -> LedgerReport:
        return check_ledger(self.database)

    def install_worker_context(self) -> None:
        """Let worker processes build their own container (own connections) from these settings."""
        settings = self.settings
        install_context_factory(lambda: Container(settings).worker_context())

    def announce_quota_source(self) -> None:
        settings = self.settings
        if settings.license_api_url:
            log.info("quotas come from the licence server at %s", settings.license_api_url)
        elif settings.tokens_file:
            log.info("quotas come from the tokens file %s", settings.tokens_file)
        else:
            log.warning(
                "NO LICENCE SERVER CONFIGURED: every token gets the development default quota of %.0f MB. "
                "Set PIXPRESS_LICENSE_API_URL (or PIXPRESS_TOKENS_FILE) before serving customers.",
                settings.default_quota_mb,
            )

    def readiness(self) -> dict[str, str]:
        checks: dict[str, str] = {}
        for name, probe in (
            ("database", self.database.ping),
            ("storage", self.storage.ping),
            ("queue", self.queue.ping),
        ):
            try:
                probe()
                checks[name] = "ok"
            except Exception as exc:
                checks[name] = f"error: {exc.__class__.__name__}"
        return checks

    def close(self) -> None:
        if "quota" in self.__dict__:
            self.quota.close()
        if "database" in self.__dict__:
            self.database.dispose()


__all__ = ["Container"]
