"""Quota calls for customers, and the vendor's admin calls."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Body, Query, Request, Response

from pixpress.api.dependencies import AdminDep, CallerDep, ContainerDep, client_address
from pixpress.api.envelope import ok
from pixpress.errors import InvalidOption

router = APIRouter(tags=["quota"])

# RFC 9745: when GET /api/admin/usage?token= was deprecated (2026-11-30); it goes a release later.
USAGE_GET_DEPRECATED = "@1795996800"


@router.get("/api/optimize/quota")
def quota(caller: CallerDep) -> dict[str, Any]:
    return ok(caller.quota.as_public(caller.token))


@router.post("/api/optimize/refresh-quota")
def refresh_quota(request: Request, caller: CallerDep, container: ContainerDep) -> dict[str, Any]:
    info = container.quota.refresh(caller.token, client_address=client_address(request))
    request.state.quota = info
    return ok(info.as_public(caller.token), message="Quota refreshed")


@router.post("/api/optimize/reset-usage")
def reset_usage(
    _admin: AdminDep,
    container: ContainerDep,
    payload: Annotated[dict[str, Any], Body(examples=[{"token": "customer-token"}])],
) -> dict[str, Any]:
    result = container.quota.reset_usage(customer_token(payload))
    return ok(result.as_public(), message="Usage reset successfully")


@router.post("/api/admin/usage")
def usage(
    _admin: AdminDep,
    container: ContainerDep,
    payload: Annotated[dict[str, Any], Body(examples=[{"token": "customer-token"}])],
) -> dict[str, Any]:
    """A token's current and past periods; the token in the body, out of URLs and proxy logs."""
    return ok(container.quota.usage_history(customer_token(payload)))


@router.get("/api/admin/usage", deprecated=True)
def usage_by_query(
    _admin: AdminDep,
    container: ContainerDep,
    response: Response,
    token: Annotated[str, Query(min_length=1)],
) -> dict[str, Any]:
    """Deprecated: puts the customer's token in the URL. Use POST /api/admin/usage."""
    response.headers["Deprecation"] = USAGE_GET_DEPRECATED
    response.headers["Link"] = '</api/admin/usage>; rel="successor-version"'
    return ok(container.quota.usage_history(token))


def customer_token(payload: dict[str, Any]) -> str:
    token = payload.get("token")
    if not isinstance(token, str) or not token.strip():
        raise InvalidOption('Send the customer token as {"token": ...}.', details={"field": "token"})
    return token.strip()
