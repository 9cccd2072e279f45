"""create_app(settings): the FastAPI factory, its wiring and lifespan."""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from fastapi import FastAPI
from fastapi.concurrency import run_in_threadpool

from pixpress import __version__
from pixpress.api import health, metrics, optimize, quota
from pixpress.api.envelope import install_error_handlers
from pixpress.api.middleware import BodyLimitMiddleware, QuotaHeadersMiddleware, RequestIdMiddleware
from pixpress.api.proxies import TrustedProxyMiddleware
from pixpress.config import Settings
from pixpress.container import Container
from pixpress.dashboard.setup import install_dashboard
from pixpress.db.migrate import upgrade
from pixpress.usecases.startup import announce_quota_source

log = logging.getLogger("pixpress")


def create_app(
    settings: Settings, *, container: Container | None = None, migrate: bool | None = None
) -> FastAPI:
    container = container or Container(settings)
    run_migrations = container.database.is_sqlite if migrate is None else migrate

    @asynccontextmanager
    async def lifespan(_app: FastAPI) -> AsyncIterator[None]:
        if run_migrations:
            await run_in_threadpool(upgrade, settings.resolved_database_url)
        announce_quota_source(settings=settings)
        jobs = container.api_jobs()
        jobs.start()
        log.info(
            "pixpress %s ready (database %s)", __version__, container.database.engine.url.get_backend_name()
        )
        try:
            yield
        finally:
            jobs.stop()
            container.close()

    app = FastAPI(
        title="pixpress",
        version=__version__,
        description="Self-hosted image optimization with licence-token quotas.",
        lifespan=lifespan,
    )
    app.state.container = container
    install_error_handlers(app)
    app.include_router(optimize.router)
    app.include_router(quota.router)
    app.include_router(health.router)
    if settings.metrics_enabled:
        app.include_router(metrics.router)
    install_dashboard(app, settings)  # /admin, only when enabled
    # Outermost last: the client's address is known first, request ids wrap everything else, quota
    # headers see the final response.
    app.add_middleware(QuotaHeadersMiddleware)
    app.add_middleware(BodyLimitMiddleware, max_body_bytes=settings.max_upload_bytes)
    app.add_middleware(RequestIdMiddleware)
    app.add_middleware(TrustedProxyMiddleware, trusted=settings.trusted_proxy_networks)
    return app
