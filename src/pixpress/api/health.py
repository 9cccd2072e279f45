"""Liveness and readiness."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter
from fastapi.concurrency import run_in_threadpool
from fastapi.responses import JSONResponse

from pixpress import __version__
from pixpress.api.dependencies import ContainerDep
from pixpress.api.envelope import ok

router = APIRouter(tags=["health"])


@router.get("/health")
def health() -> dict[str, Any]:
    return ok({"status": "ok", "version": __version__})


@router.get("/ready")
async def ready(container: ContainerDep) -> JSONResponse:
    checks = await run_in_threadpool(container.readiness)
    healthy = all(value == "ok" for value in checks.values())
    body = ok({"status": "ready" if healthy else "not_ready", "checks": checks})
    if not healthy:
        body = {
            "success": False,
            "error": {"code": "service_unavailable", "message": "Not ready.", "checks": checks},
        }
    return JSONResponse(body, status_code=200 if healthy else 503)
