"""Route dependencies: who is calling, with which licence, and the collaborators each use case needs.

Routes never see the container (the composition root, kept in the app's state): each takes the narrow
`Annotated` aliases below, so a route's signature says what its use case works with. Those that only
read the container or the request are `async def`: FastAPI runs a plain `def` dependency in the thread
pool, a thread hop each (a submit went through about ten). Those that may wait on the database or the
licence server (the token checks) stay plain functions, off the event loop."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Annotated

from fastapi import Depends, Header, Request

from pixpress.config import Settings
from pixpress.container import Container
from pixpress.db.session import Database
from pixpress.errors import TokenMissing
from pixpress.quota import QuotaInfo, QuotaService
from pixpress.tasks.queue import TaskQueue
from pixpress.tasks.records import TaskRecords
from pixpress.tasks.service import TaskService
from pixpress.usecases.readiness import Probe


@dataclass(frozen=True)
class Caller:
    token: str
    quota: QuotaInfo

    @property
    def token_hash(self) -> str:
        return self.quota.token_hash


def _container(request: Request) -> Container:
    container: Container = request.app.state.container
    return container


async def get_settings(request: Request) -> Settings:
    return _container(request).settings


async def get_database(request: Request) -> Database:
    return _container(request).database


async def get_quota(request: Request) -> QuotaService:
    return _container(request).quota


async def get_tasks(request: Request) -> TaskService:
    return _container(request).tasks


async def get_records(request: Request) -> TaskRecords:
    return _container(request).records


async def get_queue(request: Request) -> TaskQueue:
    return _container(request).queue


async def readiness_probes(request: Request) -> dict[str, Probe]:
    """What /ready checks, in the order it reports them."""
    container = _container(request)
    return {
        "database": lambda: container.database.ping(),
        "storage": lambda: container.storage.ping(),
        "queue": lambda: container.queue.ping(),
    }


SettingsDep = Annotated[Settings, Depends(get_settings)]
DatabaseDep = Annotated[Database, Depends(get_database)]
QuotaDep = Annotated[QuotaService, Depends(get_quota)]
TasksDep = Annotated[TaskService, Depends(get_tasks)]
RecordsDep = Annotated[TaskRecords, Depends(get_records)]
QueueDep = Annotated[TaskQueue, Depends(get_queue)]
ProbesDep = Annotated[dict[str, Probe], Depends(readiness_probes)]


def client_address(request: Request) -> str:
    """The key of the failed-check limit: already resolved behind trusted proxies (api/proxies.py)."""
    return request.client.host if request.client else "unknown"


async def base_url(request: Request, settings: SettingsDep) -> str:
    """The origin download URLs start with: PIXPRESS_PUBLIC_BASE_URL, else the one the client called."""
    configured = settings.public_base_url
    return configured.rstrip("/") if configured else str(request.base_url).rstrip("/")


BaseUrlDep = Annotated[str, Depends(base_url)]


async def optional_token(
    x_token: Annotated[str | None, Header(alias="X-Token")] = None,
    authorization: Annotated[str | None, Header()] = None,
) -> str | None:
    token = (x_token or "").strip()
    if not token and authorization and authorization[:7].lower() == "bearer ":
        token = authorization[7:].strip()
    return token or None


async def bearer_token(token: Annotated[str | None, Depends(optional_token)]) -> str:
    if token is None:
        raise TokenMissing()
    return token


def current_caller(request: Request, token: Annotated[str, Depends(bearer_token)], quota: QuotaDep) -> Caller:
    """The one check every /api/optimize/* call goes through: the token must hold a licence."""
    info = quota.authenticate(token, client_address=client_address(request))
    request.state.quota = info  # for the X-Quota-* and RateLimit headers (api/middleware.py)
    return Caller(token=token, quota=info)


def admin_token(request: Request, token: Annotated[str, Depends(bearer_token)], quota: QuotaDep) -> str:
    quota.authorize_admin(token, client_address=client_address(request))
    return token


def admin_if_token(
    request: Request, token: Annotated[str | None, Depends(optional_token)], quota: QuotaDep
) -> bool:
    """For calls open to anyone that tell an admin more: no token is fine, a wrong one is not."""
    if token is None:
        return False
    quota.authorize_admin(token, client_address=client_address(request))
    return True


CallerDep = Annotated[Caller, Depends(current_caller)]
AdminDep = Annotated[str, Depends(admin_token)]
IsAdminDep = Annotated[bool, Depends(admin_if_token)]
