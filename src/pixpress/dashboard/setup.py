"""Wiring the dashboard into the app: its signing key, cookies, routes and stylesheet."""

from __future__ import annotations

import logging
import secrets
from pathlib import Path

from fastapi import FastAPI, Request
from fastapi.responses import Response
from fastapi.staticfiles import StaticFiles

from pixpress.config import Settings
from pixpress.dashboard.pages import redirect
from pixpress.dashboard.session import SessionSigner
from pixpress.dashboard.state import Dashboard, SignInRequired

log = logging.getLogger("pixpress.dashboard")
STATIC_DIR = Path(__file__).parent / "static"


def install_dashboard(app: FastAPI, settings: Settings) -> None:
    """Serve /admin when the dashboard is enabled and admin tokens exist; otherwise /admin stays a 404."""
    if not settings.dashboard_active:
        return
    from pixpress.dashboard.routes import router  # only when on: its pages and templates cost memory

    secret = settings.dashboard_secret.encode()
    if not secret:
        log.warning(
            "PIXPRESS_DASHBOARD_SECRET is not set: dashboard sessions use a random key of this process "
            "and end when it restarts (set a secret of 32+ characters to keep them, and with several "
            "API processes)"
        )
        secret = secrets.token_bytes(32)
    app.state.dashboard = Dashboard(
        settings=settings, signer=SessionSigner(secret=secret, ttl_s=settings.dashboard_session_ttl_s)
    )

    @app.exception_handler(SignInRequired)
    async def sign_in_required(_request: Request, _exc: SignInRequired) -> Response:
        return redirect("/admin/login")

    app.include_router(router)
    app.mount("/admin/static", StaticFiles(directory=STATIC_DIR), name="dashboard-static")
