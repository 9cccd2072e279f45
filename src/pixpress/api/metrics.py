"""GET /metrics: Prometheus text for the operator (admin token in X-Token or Authorization: Bearer)."""

from __future__ import annotations

from fastapi import APIRouter, Response
from fastapi.concurrency import run_in_threadpool

from pixpress.api.dependencies import AdminDep, QueueDep
from pixpress.api.responses import ADMIN_ERRORS
from pixpress.api.schemas import METRICS_RESPONSE
from pixpress.metrics import exposition

router = APIRouter(tags=["operator"])


@router.get("/metrics", response_class=Response, responses={**ADMIN_ERRORS, **METRICS_RESPONSE})
async def metrics(_admin: AdminDep, queue: QueueDep) -> Response:
    # Reading the group's files and the queue depth blocks: off the event loop.
    body = await run_in_threadpool(exposition.render, pending=queue.pending)
    return Response(body, media_type=exposition.CONTENT_TYPE)
