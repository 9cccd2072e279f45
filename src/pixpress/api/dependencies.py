"""Auth dependencies: who is calling, with which licence. Short aliases for route signatures."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Annotated

from fastapi import Depends, Header, Request

from pixpress.container import Container
from pixpress.errors import TokenMissing
from pixpress.quota import QuotaInfo


@dataclass(frozen=True)
class Caller:
    token: str
    quota: QuotaInfo

    @property
    def token_hash(self) -> str:
        return self.quota.token_hash


def get_container(request: Request) -> Container:
    container: Container = request.app.state.container
    return container


def client_address(request: Request) -> str:
    """The key of the failed-check limit: already resolved behind trusted proxies (api/proxies.py)."""
    return request.client.host if request.client else "unknown"


def optional_token(
    x_token: Annotated[str | None, Header(alias="X-Token")] = None,
    authorization: Annotated[str | None, Header()] = None,
) -> str | None:
    token = (x_token or "").strip()
    if not token and authorization and authorization[:7].lower() == "bearer ":
        token = authorization[7:].strip()
    return token or None


def bearer_token(token: Annotated[str | None, Depends(optional_token)]) -> str:
    if token is None:
        raise TokenMissing()
    return token


def current_caller(
    request: Request,
    token: Annotated[str, Depends(bearer_token)],
    container: Annotated[Container, Depends(get_container)],
) -> Caller:
    """The one check every /api/optimize/* call goes through: the token must hold a licence."""
    quota = container.quota.authenticate(token, client_address=client_address(request))
    request.state.quota = quota
    return Caller(token=token, quota=quota)


def admin_token(
    request: Request,
    token: Annotated[str, Depends(bearer_token)],
    container: Annotated[Container, Depends(get_container)],
) -> str:
    container.quota.authorize_admin(token, client_address=client_address(request))
    return token


def admin_if_token(
    request: Request,
    token: Annotated[str | None, Depends(optional_token)],
    container: Annotated[Container, Depends(get_container)],
) -> bool:
    """For calls open to anyone that tell an admin more: no token is fine, a wrong one is not."""
    if token is None:
        return False
    container.quota.authorize_admin(token, client_address=client_address(request))
    return True


ContainerDep = Annotated[Container, Depends(get_container)]
CallerDep = Annotated[Caller, Depends(current_caller)]
AdminDep = Annotated[str, Depends(admin_token)]
IsAdminDep = Annotated[bool, Depends(admin_if_token)]
