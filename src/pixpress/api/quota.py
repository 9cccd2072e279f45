"""Quota calls for customers, and the vendor's admin calls."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Body, Query, Request

from pixpress.api.dependencies import AdminDep, CallerDep, ContainerDep, client_address
from pixpress.api.envelope import ok
from pixpress.errors import InvalidOption

router = APIRouter(tags=["quota"])


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
    token = payload.get("token")
    if not isinstance(token, str) or not token.strip():
        raise InvalidOption('Send the customer token as {"token": ...}.', details={"field": "token"})
    result = container.quota.reset_usage(token.strip())
    return ok(result.as_public(), message="Usage reset successfully")


@router.get("/api/admin/usage")
def usage(
    _admin: AdminDep,
    container: ContainerDep,
    token: Annotated[str, Query(min_length=1)],
) -> dict[str, Any]:
    return ok(container.quota.usage_history(token))
