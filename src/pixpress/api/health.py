"""Liveness and readiness."""

from __future__ import annotations

import logging

from fastapi import APIRouter
from fastapi.concurrency import run_in_threadpool
from fastapi.responses import JSONResponse

from pixpress import __version__
from pixpress.api.dependencies import IsAdminDep, ProbesDep
from pixpress.api.envelope import Envelope, error_response, ok
from pixpress.api.responses import READY_ERRORS, SERVER_ERRORS, Health, Readiness
from pixpress.usecases.readiness import check_readiness, is_ready

log = logging.getLogger("pixpress.api")
router = APIRouter(tags=["health"])

# What this server offers beyond the original contract, for clients that adapt (the WordPress plugin
# sends every size of an upload in one submit only when "sizes" is listed; "heic": HEIC/HEIF uploads
# are accepted and come back as JPEG, WebP or AVIF; "accept_for": format=auto's other formats can be
# asked for the sizes only).
FEATURES = ("sizes", "heic", "accept_for")


@router.get("/health", response_model_exclude_unset=True, responses=SERVER_ERRORS)
def health() -> Envelope[Health]:
    return ok(Health(status="ok", version=__version__, features=list(FEATURES)))


@router.get(
    "/ready",
    response_model=Envelope[Readiness],
    response_model_exclude_unset=True,
    responses=READY_ERRORS,
)
async def ready(probes: ProbesDep, is_admin: IsAdminDep) -> Envelope[Readiness] | JSONResponse:
    """Ready or not for anyone (load balancers); which backend fails, and how, only for an admin token."""
    checks = await run_in_threadpool(lambda: check_readiness(probes=probes))
    details = {"checks": checks} if is_admin else {}
    if is_ready(checks):
        return ok(Readiness(status="ready", **details))
    log.warning("not ready: %s", ", ".join(f"{name} {value}" for name, value in checks.items()))
    return error_response(503, "service_unavailable", "Not ready.", details)
