"""Quota calls for customers, and the vendor's admin calls."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query, Request, Response
from fastapi.concurrency import run_in_threadpool

from pixpress.api.dependencies import AdminDep, CallerDep, QuotaDep, client_address
from pixpress.api.envelope import Envelope, ok
from pixpress.api.responses import ADMIN_ERRORS, CUSTOMER_ERRORS
from pixpress.api.token_body import TOKEN_BODY, customer_token
from pixpress.quota.views import QuotaView, ResetView, TokenUsageHistory
from pixpress.usecases.quota import refresh_quota as refresh_quota_of
from pixpress.usecases.quota import reset_usage as reset_usage_of
from pixpress.usecases.quota import usage_history

router = APIRouter(tags=["quota"])

# RFC 9745: when GET /api/admin/usage?token= was deprecated (2026-11-30); it goes a release later.
USAGE_GET_DEPRECATED = "@1795996800"


@router.get("/api/optimize/quota", response_model_exclude_unset=True, responses=CUSTOMER_ERRORS)
def quota(caller: CallerDep) -> Envelope[QuotaView]:
    return ok(caller.quota.as_public(caller.token))


@router.post("/api/optimize/refresh-quota", response_model_exclude_unset=True, responses=CUSTOMER_ERRORS)
def refresh_quota(request: Request, caller: CallerDep, quota: QuotaDep) -> Envelope[QuotaView]:
    info = refresh_quota_of(token=caller.token, client_address=client_address(request), quota=quota)
    request.state.quota = info
    return ok(info.as_public(caller.token), message="Quota refreshed")


@router.post(
    "/api/optimize/reset-usage",
    openapi_extra=TOKEN_BODY,
    response_model_exclude_unset=True,
    responses=ADMIN_ERRORS,
)
async def reset_usage(request: Request, _admin: AdminDep, quota: QuotaDep) -> Envelope[ResetView]:
    token = await customer_token(request)  # after the admin check: no body is read for anyone else
    result = await run_in_threadpool(lambda: reset_usage_of(token=token, quota=quota))
    return ok(result.as_public(), message="Usage reset successfully")


@router.post(
    "/api/admin/usage", openapi_extra=TOKEN_BODY, response_model_exclude_unset=True, responses=ADMIN_ERRORS
)
async def usage(request: Request, _admin: AdminDep, quota: QuotaDep) -> Envelope[TokenUsageHistory]:
    """A token's current and past periods; the token in the body, out of URLs and proxy logs."""
    token = await customer_token(request)
    return ok(await run_in_threadpool(lambda: usage_history(token=token, quota=quota)))


@router.get("/api/admin/usage", deprecated=True, response_model_exclude_unset=True, responses=ADMIN_ERRORS)
def usage_by_query(
    _admin: AdminDep,
    quota: QuotaDep,
    response: Response,
    token: Annotated[str, Query(min_length=1)],
) -> Envelope[TokenUsageHistory]:
    """Deprecated: puts the customer's token in the URL. Use POST /api/admin/usage."""
    response.headers["Deprecation"] = USAGE_GET_DEPRECATED
    response.headers["Link"] = '</api/admin/usage>; rel="successor-version"'
    return ok(usage_history(token=token, quota=quota))
