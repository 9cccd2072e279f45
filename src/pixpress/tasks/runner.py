"""The job: run one optimization task. Takes an id, safe to run twice (the claim decides who works)."""

from __future__ import annotations

import json
import logging
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass

from sqlalchemy.orm import Session

from pixpress import imaging
from pixpress.config import Settings
from pixpress.db.models import Task
from pixpress.errors import ImageTooLarge, InternalError, PixpressError, TaskTimeout
from pixpress.imaging.types import EncodedImage, Limits, SizedImage, Targets
from pixpress.metrics import record
from pixpress.storage.base import BlobStorage
from pixpress.tasks.limits import hard_time_limit, watchdog
from pixpress.tasks.records import Claim, TaskRecords
from pixpress.tasks.result import SizeRecord, TaskResult, VariantRecord
from pixpress.tasks.states import input_key, result_key, size_key, variant_key

log = logging.getLogger("pixpress.tasks")

# Called for every task that ends without a result, with its error code, in the unit of work that marks it
# failed: gives the charge back, or keeps it past the token's free failures (usecases/failed_tasks.py), so
# a failed task is never seen without its settlement. (task, reason, session) -> None.
SettleFailure = Callable[[Task, str, Session], None]
MEMORY_ERROR = "The image needs more memory than a worker may use (PIXPRESS_WORKER_MEMORY_MB)."


def limits_from(settings: Settings) -> Limits:
    return Limits(
        max_pixels=settings.max_pixels,
        max_frames=settings.max_frames,
        max_dimension_px=settings.max_dimension_px,
        max_total_pixels=int(settings.max_total_megapixels * 1_000_000),
        targets=Targets(glossy=settings.target_glossy, lossy=settings.target_lossy),
    )


@dataclass
class TaskRunner:
    settings: Settings
    records: TaskRecords
    storage: BlobStorage
    settle_failure: SettleFailure
    # In a worker process of its own: past its limit and grace a runaway task ends the process
    # (tasks/limits.py). Off where tasks run in threads of a process that must live on (tests).
    may_end_process: bool = False

    def run(self, task_id: str) -> bool:
        """Optimize one task by id; True when it ended in an error (recorded and refunded here)."""
        claim = self.records.claim(task_id, lease_s=self.settings.task_lease_s)
        if claim is None:
            log.info("task %s not claimable (finished, gone or held by another worker)", task_id)
            return False
        started = time.monotonic()
        task = self.records.get(claim.task_id)
        limit_s = self._time_limit_s(task)
        try:
            with self._heartbeat(claim), self._last_resort(claim, limit_s), hard_time_limit(limit_s + 5):
                self._optimize(claim, task, deadline=started + limit_s)
        except PixpressError as exc:
            self._fail(claim, exc)
        except MemoryError:
            self._fail(claim, ImageTooLarge(MEMORY_ERROR))
        except Exception:
            log.exception("task %s failed with an internal error", task_id)
            self._fail(claim, InternalError())
        else:
            log.info("task %s done in %.0f ms", task_id, (time.monotonic() - started) * 1000)
            return False
        return True

    def _time_limit_s(self, task: Task | None) -> float:
        """The upload's own limit plus an allowance per size asked with it."""
        if task is None:
            return self.settings.task_time_limit_s
        try:
            sizes = len(imaging.options_from_dict(json.loads(task.options_json)).sizes)
        except (PixpressError, ValueError):
            sizes = 0  # _optimize reports the options' error
        return self.settings.task_time_limit_s + sizes * self.settings.task_time_limit_per_size_s

    def _optimize(self, claim: Claim, task: Task | None, *, deadline: float) -> None:
        if task is None:
            return
        data = self.storage.get(task.input_key or input_key(task.id))
        options = imaging.options_from_dict(json.loads(task.options_json))
        made = imaging.optimize_with_sizes(
            data, options=options, limits=limits_from(self.settings), deadline=deadline
        )
        result = made.main
        image = result.image
        key = result_key(task.id, claim.attempt, image.format.extension)
        self.storage.put(key, image.data)
        # Variants are listed only when there was a choice (format=auto); the chosen one is the result.
        candidates = result.variants if len(result.variants) > 1 else ()
        variants = [
            self._store_variant(task.id, claim.attempt, v, key if v is image else None, write=v is not image)
            for v in candidates
        ]
        sizes = [self._store_size(task.id, claim.attempt, sized) for sized in made.sizes]
        details = TaskResult(
            quality=image.quality,
            score=image.score,
            colour=image.colour.value if image.colour else None,
            settings=image.settings,
            kept_original=result.kept_original,
            variants=variants,
            sizes=sizes,
        )
        if not self.records.complete(
            claim,
            result_key=key,
            optimized_size=image.size_bytes,
            output_format=image.format.value,
            mime_type=image.mime_type,
            width=image.width,
            height=image.height,
            result_json=details.to_json(),
        ):
            # The lease ran out and another attempt owns the task now: ours is discarded.
            for stale in {key, *details.blob_keys()}:
                self.storage.delete(stale)
            return
        record.task_done(output_format=image.format.value, result_bytes=image.size_bytes)
        self.storage.delete(task.input_key)  # the result is all a client can ask for now

    @contextmanager
    def _heartbeat(self, claim: Claim) -> Iterator[None]:
        """Renew the lease while this worker is alive and working: only a dead worker's lease runs out,
        however long a task legitimately takes."""
        stop = threading.Event()
        interval_s = max(0.2, self.settings.task_lease_s / 3)

        def beat() -> None:
            while not stop.wait(interval_s):
                try:
                    if not self.records.renew(claim, lease_s=self.settings.task_lease_s):
                        return  # finished, or taken over after all
                except Exception:
                    log.exception("lease renewal of task %s failed", claim.task_id)

        thread = threading.Thread(target=beat, name=f"lease-{claim.task_id[:8]}", daemon=True)
        thread.start()
        try:
            yield
        finally:
            stop.set()
            thread.join(5)

    def _store_variant(
        self, task_id: str, attempt: int, image: EncodedImage, key: str | None, *, write: bool
    ) -> VariantRecord:
        """Store one format variant (unless `write` is False: `key` already holds these bytes)."""
        key = key or variant_key(task_id, attempt, image.format.extension)
        if write:
            self.storage.put(key, image.data)
        return VariantRecord(
            key=key,
            format=image.format.value,
            mime_type=image.mime_type,
            size=image.size_bytes,
            width=image.width,
            height=image.height,
            quality=image.quality,
            score=image.score,
            colour=image.colour.value if image.colour else None,
            settings=image.settings,
        )

    def _store_size(self, task_id: str, attempt: int, sized: SizedImage) -> SizeRecord:
        spec, image = sized.spec, sized.image
        key = size_key(task_id, attempt, spec.name, image.format.extension)
        stored = self._store_variant(task_id, attempt, image, key, write=True)
        # Like the main image's: every format encoded when there was a choice (format=auto), each under
        # the size's key with its own extension (the chosen one is the size's file itself).
        candidates = sized.result.variants if len(sized.result.variants) > 1 else ()
        variants = [
            self._store_variant(
                task_id,
                attempt,
                v,
                key if v is image else size_key(task_id, attempt, spec.name, v.format.extension),
                write=v is not image,
            )
            for v in candidates
        ]
        return SizeRecord(
            **stored.model_dump(),
            name=spec.name,
            box=f"{spec.width}x{spec.height}",
            crop=spec.crop,
            variants=variants,
        )

    @contextmanager
    def _last_resort(self, claim: Claim, limit_s: float) -> Iterator[None]:
        if not self.may_end_process:
            yield
            return
        grace_s = self.settings.task_kill_grace_s
        with watchdog(limit_s + grace_s, on_overrun=lambda: self._fail(claim, TaskTimeout())):
            yield

    def _fail(self, claim: Claim, error: PixpressError) -> None:
        """Record the failure and settle its charge in one unit of work: refunded, unless the file could not
        be decoded and the token's free failures of the period are used up (quota/failure_charges.py)."""
        with self.records.db.session(write=True) as session:
            if not self.records.fail(
                claim, error_code=error.code, error_message=error.public_message, session=session
            ):
                return
            task = session.get(Task, claim.task_id)
            if task is not None:
                self.settle_failure(task, error.code, session)
        log.warning("task %s failed: %s", claim.task_id, error.code)
        record.task_failed(error.code)
