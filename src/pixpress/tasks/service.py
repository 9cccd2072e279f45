"""The task service behind the routes: accept an upload, report its state, hand out its result."""

from __future__ import annotations

import json
import logging
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from datetime import timedelta

from sqlalchemy.orm import Session

from pixpress import imaging
from pixpress.config import Settings
from pixpress.db.models import Task
from pixpress.db.session import iso, utcnow
from pixpress.errors import TaskNotFound, TaskNotReady, TooManyPending
from pixpress.imaging.types import ImageInfo, OptimizeOptions
from pixpress.storage.base import BlobNotFound, BlobStorage, BlobStream
from pixpress.tasks import content
from pixpress.tasks.maintenance import delete_task, task_blob_keys
from pixpress.tasks.records import TaskRecords, task_result
from pixpress.tasks.result import SizeRecord, VariantRecord
from pixpress.tasks.runner import limits_from
from pixpress.tasks.states import TaskState, input_key
from pixpress.tasks.views import SizeView, TaskFailure, TaskStatus, VariantView, colour_path_name

log = logging.getLogger("pixpress.tasks")


@dataclass(frozen=True)
class Upload:
    data: bytes
    filename: str
    info: ImageInfo
    options: OptimizeOptions


@dataclass(frozen=True)
class Download:
    content: BlobStream  # opened, not read: the route streams it
    mime_type: str
    filename: str
    etag: str


class TaskService:
    def __init__(
        self,
        *,
        settings: Settings,
        records: TaskRecords,
        storage: BlobStorage,
        enqueue: Callable[[str], None],
    ) -> None:
        self.settings = settings
        self.records = records
        self.storage = storage
        self.enqueue = enqueue

    def inspect(self, data: bytes, *, fields: dict[str, str | None], filename: str) -> Upload:
        """The cheap checks done before anything is charged: options, type, header, limits, and
        whether the output format(s) asked for can hold the image at its output size."""
        options = imaging.parse_options(fields)
        info = imaging.probe(data, limits=limits_from(self.settings))
        imaging.check_sizes_fit(options.sizes, info)
        imaging.output_formats(info, options)
        return Upload(data=data, filename=filename, info=info, options=options)

    def existing_for_key(self, *, token_hash: str, idempotency_key: str | None) -> Task | None:
        if not idempotency_key:
            return None
        newer_than = utcnow() - timedelta(seconds=self.settings.idempotency_ttl_s)
        task = self.records.find_by_idempotency_key(token_hash, idempotency_key, newer_than=newer_than)
        if task is None:
            # An older task may still hold the key past its TTL: free it for this new upload.
            self.records.release_idempotency_key(token_hash, idempotency_key, older_than=newer_than)
        return task

    def content_hash(self, upload: Upload, *, token_hash: str) -> str:
        return content.content_hash(token_hash=token_hash, options=upload.options, data=upload.data)

    def reusable(self, *, token_hash: str, content_hash: str) -> Task | None:
        """The token's earlier task of the same content still able to answer (queued, processing or done,
        not expired); when there is none, the hash is freed from a failed or expired task for a new one."""
        now = utcnow()
        task = self.records.find_reusable(token_hash, content_hash, now=now)
        if task is None:
            self.records.release_content_hash(token_hash, content_hash, now=now)
        return task

    def keep_for_reuse(self, task: Task, *, session: Session) -> Task | None:
        """Keep `task` for an identical upload as long as a new task would be kept; None when it failed
        or expired in the meantime."""
        now = utcnow()
        expires_at = now + timedelta(seconds=self.settings.result_ttl_s)
        return self.records.keep_for_reuse(task.id, now=now, expires_at=expires_at, session=session)

    def ensure_room(self, token_hash: str) -> None:
        """TooManyPending when the token already has its maximum of unfinished tasks."""
        if self.records.count_unfinished(token_hash) >= self.settings.max_pending_per_token:
            raise TooManyPending(
                details={"max_pending": self.settings.max_pending_per_token}, headers={"Retry-After": "5"}
            )

    def prepare(
        self, upload: Upload, *, token_hash: str, idempotency_key: str | None, content_hash: str | None = None
    ) -> Task:
        """A new task's row, not saved yet, its upload already in storage under a key named by its id.

        The blob goes first: a crash before the row is saved leaves only a blob, which the cleanup
        sweeps; never a row (nor a charge) pointing at nothing.
        """
        task_id = str(uuid.uuid4())
        now = utcnow()
        key = input_key(task_id)
        self.storage.put(key, upload.data)
        return Task(
            id=task_id,
            token_hash=token_hash,
            status=TaskState.QUEUED.value,
            options_json=json.dumps(imaging.options_to_dict(upload.options)),
            original_filename=upload.filename[:255],
            input_key=key,
            input_format=upload.info.format.value,
            original_size=len(upload.data),
            charged_bytes=len(upload.data),
            width=upload.info.width,
            height=upload.info.height,
            idempotency_key=idempotency_key,
            content_hash=content_hash,
            attempts=0,
            created_at=now,
            updated_at=now,
            expires_at=now + timedelta(seconds=self.settings.result_ttl_s),
        )

    def record(self, task: Task, *, session: Session) -> None:
        """Save the row in the caller's unit of work; DuplicateTask when its key or content is taken."""
        self.records.insert(task, session=session)

    def forget(self, task: Task, *, session: Session) -> None:
        """Delete the row in the caller's unit of work; its blobs go with discard_blobs after the commit."""
        self.records.delete(task.id, session=session)

    def discard_blobs(self, task: Task) -> None:
        """Best effort: a blob left behind has no row and is swept by the cleanup."""
        for key in task_blob_keys(task):
            try:
                self.storage.delete(key)
            except Exception as exc:
                log.warning("could not delete blob %s now (the cleanup will): %r", key, exc)

    def get(self, task_id: str, *, token_hash: str) -> Task:
        task = self.records.get_for_token(task_id, token_hash) if _is_uuid(task_id) else None
        if task is None:
            raise TaskNotFound()
        return task

    def download(
        self, task_id: str, *, token_hash: str, variant: str | None = None, size: str | None = None
    ) -> Download:
        """The result, one of its format variants (format=auto), one of its sizes, or a format variant
        of one of its sizes (`size` and `variant` together)."""
        task = self.get(task_id, token_hash=token_hash)
        if task.status != TaskState.DONE.value or not task.result_key:
            raise TaskNotReady(details={"status": task.status})
        key, mime, fmt = task.result_key, task.mime_type or "application/octet-stream", task.output_format
        suffix = ""
        details = task_result(task)
        entry: SizeRecord | None = None
        if size:
            entry = details.size(size)
            if entry is None:
                known = ", ".join(s.name for s in details.sizes) or "none"
                raise TaskNotFound(f"This task has no size of that name (its sizes: {known}).")
            key, mime, fmt, suffix = entry.key, entry.mime_type, entry.format, f"-{size}"
        if variant:
            of = f"size {size!r}" if entry is not None else "task"
            variants = (entry if entry is not None else details).variants
            match = next((v for v in variants if v.format == variant), None)
            if match is None:
                made = ", ".join(v.format for v in variants)
                known = f"its variants: {made}" if made else f"only {fmt} was made; variants need format=auto"
                raise TaskNotFound(f"This {of} has no variant in that format ({known}).")
            key, mime, fmt = match.key, match.mime_type, match.format
        try:
            content = self.storage.open(key)
        except BlobNotFound as exc:
            raise TaskNotFound("The result has expired or was deleted.") from exc
        return Download(
            content=content,
            mime_type=mime,
            filename=result_filename(task.original_filename, fmt or "bin", suffix=suffix),
            etag=f'"{task.id}{suffix}-{fmt}-{content.size_bytes}"',
        )

    def delete(self, task_id: str, *, token_hash: str) -> None:
        task = self.get(task_id, token_hash=token_hash)
        delete_task(records=self.records, storage=self.storage, task=task)

    def status(self, task: Task, *, base_url: str) -> TaskStatus:
        return task_status(task, base_url=base_url)


def task_status(task: Task, *, base_url: str) -> TaskStatus:
    """The public view of a task, as GET /status answers it (tasks/views.py)."""
    view = TaskStatus(
        task_id=task.id,
        status=task.status,
        original_filename=task.original_filename,
        original_size=task.original_size,
        input_format=task.input_format,
        created_at=iso(task.created_at),
        expires_at=iso(task.expires_at),
    )
    if task.status == TaskState.DONE.value and task.optimized_size is not None:
        details = task_result(task)
        download = f"{base_url}/api/optimize/download/{task.id}"
        saved = task.original_size - task.optimized_size
        view.optimized_size = task.optimized_size
        view.savings_bytes = saved
        view.savings_percent = round(100 * saved / task.original_size, 2) if task.original_size else 0.0
        view.width = task.width
        view.height = task.height
        view.format = task.output_format
        view.mime_type = task.mime_type
        view.download_url = download
        view.quality = details.quality
        view.score = details.score
        if details.colour is not None:
            view.colour = colour_path_name(details.colour)
        view.encoder_settings = details.settings
        view.finished_at = iso(task.finished_at)
        if details.variants:
            view.variants = [variant_status(v, download=f"{download}?") for v in details.variants]
        if details.sizes:
            view.sizes = [size_status(s, download=download) for s in details.sizes]
    elif task.status == TaskState.FAILED.value:
        view.error = TaskFailure(code=task.error_code, message=task.error_message)
        if task.failure_charged is not None:  # None: not settled yet (a moment after the failure)
            view.error.charged = task.failure_charged
    return view


def size_status(size: SizeRecord, *, download: str) -> SizeView:
    """The public view of one of a task's sizes (the storage keys stay private)."""
    view = SizeView(
        name=size.name,
        box=size.box,
        crop=size.crop,
        width=size.width,
        height=size.height,
        format=size.format,
        mime_type=size.mime_type,
        size=size.size,
        quality=size.quality,
        score=size.score,
        download_url=f"{download}?size={size.name}",
        colour=colour_path_name(size.colour),
        encoder_settings=size.settings,
    )
    if size.variants:
        view.variants = [variant_status(v, download=f"{download}?size={size.name}&") for v in size.variants]
    return view


def variant_status(variant: VariantRecord, *, download: str) -> VariantView:
    """The public view of one format variant; `download` ends with "?" or "&"."""
    return VariantView(
        format=variant.format,
        mime_type=variant.mime_type,
        size=variant.size,
        width=variant.width,
        height=variant.height,
        quality=variant.quality,
        score=variant.score,
        download_url=f"{download}variant={variant.format}",
        colour=colour_path_name(variant.colour),
        encoder_settings=variant.settings,
    )


def result_filename(original: str, fmt: str, *, suffix: str = "") -> str:
    """A safe download name: the upload's stem (+ suffix, e.g. "-thumbnail"), ASCII letters/digits/-_.
    only, new extension."""
    stem = original.rsplit("/", 1)[-1].rsplit("\\", 1)[-1]
    stem = stem.rsplit(".", 1)[0] if "." in stem else stem
    safe = "".join(c if c.isascii() and (c.isalnum() or c in "-_.") else "_" for c in stem).strip("._")
    extension = "jpg" if fmt == "jpeg" else fmt
    return f"{(safe or 'image')[:100]}{suffix}.{extension}"


def _is_uuid(value: str) -> bool:
    try:
        uuid.UUID(value)
    except ValueError:
        return False
    return True
