"""The dashboard's state in the app: its settings and session signer (cookies), and the signal that sends
a request without a valid session to the sign-in form. Shared by the routes and the wiring (setup.py),
so neither imports the other for it."""

from __future__ import annotations

from dataclasses import dataclass

from fastapi import Request
from fastapi.responses import Response

from pixpress.config import Settings
from pixpress.dashboard.session import COOKIE_NAME, COOKIE_PATH, Session, SessionSigner


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
