"""Wiring the dashboard into the app: its signing key, cookies, routes and stylesheet."""

from __future__ import annotations

import logging
import secrets
from dataclasses import dataclass
from pathlib import Path

from fastapi import FastAPI, Request
from fastapi.responses import Response
from fastapi.staticfiles import StaticFiles

from pixpress.config import Settings
from pixpress.dashboard.pages import redirect
from pixpress.dashboard.session import COOKIE_NAME, COOKIE_PATH, Session, SessionSigner

log = logging.getLogger("pixpress.dashboard")
STATIC_DIR = Path(__file__).parent / "static"


class SignInRequired(Exception):
    """A dashboard page was asked for without a valid session: off to the sign-in form."""


@dataclass
class Dashboard:
    settings: Settings
    signer: SessionSigner

    def session(self, request: Request) -> Session | None:
        return self.signer.loads(request.cookies.get(COOKIE_NAME))

    def admin_session(self, request: Request) -> Session | None:
        session = self.session(request)
        if session is None or not self.signer.admin_still_valid(session, self.settings.admin_tokens_list):
            return None
        return session

    def set_cookie(self, response: Response, request: Request, session: Session) -> None:
        response.set_cookie(
            COOKIE_NAME,
            self.signer.dumps(session),
            max_age=self.signer.ttl_s,
            path=COOKIE_PATH,
            secure=self._secure(request),
            httponly=True,
            samesite="strict",
        )

    def clear_cookie(self, response: Response, request: Request) -> None:
        response.delete_cookie(
            COOKIE_NAME, path=COOKIE_PATH, secure=self._secure(request), httponly=True, samesite="strict"
        )

    def _secure(self, request: Request) -> bool:
        # The scheme is the client's behind trusted proxies (api/proxies.py rewrites it).
        return self.settings.dashboard_secure_cookie or request.url.scheme == "https"


def install_dashboard(app: FastAPI, settings: Settings) -> None:
    """Serve /admin when the dashboard is enabled and admin tokens exist; otherwise /admin stays a 404."""
    if not settings.dashboard_active:
        return
    from pixpress.dashboard.routes import router

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
