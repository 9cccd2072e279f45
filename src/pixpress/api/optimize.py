"""The optimization calls: submit, status, download, delete."""

from __future__ import annotations

from functools import partial
from typing import Annotated

from fastapi import APIRouter, Query, Request, Response
from fastapi.concurrency import run_in_threadpool
from fastapi.responses import StreamingResponse
from starlette.background import BackgroundTask
from starlette.datastructures import UploadFile

from pixpress.api.dependencies import BaseUrlDep, CallerDep, DatabaseDep, QuotaDep, SettingsDep, TasksDep
from pixpress.api.envelope import Envelope, ok
from pixpress.api.responses import DOWNLOAD_ERRORS, SUBMIT_ERRORS, TASK_ERRORS, Deleted, Submitted
from pixpress.api.schemas import SUBMIT_FORM
from pixpress.api.upload_form import read_upload_form
from pixpress.errors import FileTooLarge, InvalidOption
from pixpress.imaging.options import OPTION_FIELDS
from pixpress.tasks.views import TaskStatus
from pixpress.usecases.submit import submit_upload
from pixpress.usecases.tasks import (
    delete_task,
    download_result,
    is_unfinished,
    task_status,
    wait_until_finished,
)

router = APIRouter(prefix="/api/optimize", tags=["optimize"])


@router.post("/submit", openapi_extra=SUBMIT_FORM, response_model_exclude_unset=True, responses=SUBMIT_ERRORS)
async def submit(
    request: Request,
    caller: CallerDep,
    settings: SettingsDep,
    database: DatabaseDep,
    quota: QuotaDep,
    tasks: TasksDep,
    url: BaseUrlDep,
    wait: Annotated[
        float, Query(ge=0, description="seconds to wait for the result, at most PIXPRESS_MAX_WAIT_S")
    ] = 0,
) -> Envelope[Submitted]:
    form = await read_upload_form(
        request, max_fields=len(OPTION_FIELDS) + 4, max_upload_bytes=settings.max_upload_bytes
    )
    upload = form.get("file")
    if not isinstance(upload, UploadFile):
        raise InvalidOption("Send the image as the multipart field 'file'.", details={"field": "file"})
    data = await upload.read(settings.max_upload_bytes + 1)
    await form.close()
    if len(data) > settings.max_upload_bytes:
        raise FileTooLarge(details={"max_upload_mb": settings.max_upload_mb})
    fields = {name: _text(form.get(name)) for name in OPTION_FIELDS}
    checked = await run_in_threadpool(tasks.inspect, data, fields=fields, filename=upload.filename or "image")
    submitted = await run_in_threadpool(
        partial(
            submit_upload,
            upload=checked,
            caller_quota=caller.quota,
            idempotency_key=request.headers.get("Idempotency-Key"),
            settings=settings,
            database=database,
            quota=quota,
            tasks=tasks,
        )
    )
    request.state.quota = submitted.quota
    charged = {
        "quota_info": submitted.quota.as_quota_info(),
        "idempotent_replay": not submitted.created and not submitted.reused,
        "reused": submitted.reused,
    }
    task = await wait_until_finished(
        task=submitted.task, token_hash=caller.token_hash, wait_s=min(wait, settings.max_wait_s), tasks=tasks
    )
    if not wait and is_unfinished(task):
        return ok(Submitted(task_id=task.id, status=task.status, **charged))
    status = tasks.status(task, base_url=url)
    return ok(Submitted(**{name: getattr(status, name) for name in status.model_fields_set}, **charged))


@router.get("/status/{task_id}", response_model_exclude_unset=True, responses=TASK_ERRORS)
def status(task_id: str, caller: CallerDep, tasks: TasksDep, url: BaseUrlDep) -> Envelope[TaskStatus]:
    return ok(task_status(task_id=task_id, token_hash=caller.token_hash, base_url=url, tasks=tasks))


@router.get(
    "/download/{task_id}",
    response_class=Response,
    responses={
        **DOWNLOAD_ERRORS,
        200: {
            "description": "The optimized image (or the size or format variant asked for).",
            "content": {"image/*": {"schema": {"type": "string", "format": "binary"}}},
        },
    },
)
def download(
    task_id: str,
    request: Request,
    caller: CallerDep,
    tasks: TasksDep,
    variant: Annotated[str | None, Query(pattern="^(jpeg|png|webp|avif|gif)$")] = None,
    size: Annotated[
        str | None,
        Query(
            max_length=100, description="one of the task's sizes, by name (with variant: its format variant)"
        ),
    ] = None,
) -> Response:
    result = download_result(
        task_id=task_id, token_hash=caller.token_hash, variant=variant, size=size, tasks=tasks
    )
    headers = {
        "ETag": result.etag,
        "Content-Disposition": f'attachment; filename="{result.filename}"',
        "Cache-Control": "private, max-age=3600",
        "X-Content-Type-Options": "nosniff",
    }
    if request.headers.get("If-None-Match") == result.etag:
        result.content.close()
        return Response(status_code=304, headers=headers)
    headers["Content-Length"] = str(result.content.size_bytes)
    # Chunk by chunk (read in the thread pool): a download never holds the whole result in memory.
    return StreamingResponse(
        result.content,
        media_type=result.mime_type,
        headers=headers,
        background=BackgroundTask(result.content.close),  # in case it was not read to the end
    )


@router.delete("/task/{task_id}", response_model_exclude_unset=True, responses=TASK_ERRORS)
def delete(task_id: str, caller: CallerDep, tasks: TasksDep) -> Envelope[Deleted]:
    delete_task(task_id=task_id, token_hash=caller.token_hash, tasks=tasks)
    return ok(Deleted(task_id=task_id, deleted=True), message="Task deleted")


def _text(value: object) -> str | None:
    return value if isinstance(value, str) else None
