"""Dashboard sessions: a cookie signed with HMAC-SHA256 that says who signed in, until when, and the
session's CSRF token.

The cookie is the whole session (nothing server-side), so any API process can check it. Signing out
deletes it; a copy taken before stays valid until it expires, the secret changes, or the admin token it
was opened with is removed from PIXPRESS_ADMIN_TOKENS (the cookie holds a keyed fingerprint of it).
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import hmac
import json
import secrets
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass

COOKIE_NAME = "pixpress_admin"
COOKIE_PATH = "/admin"
_KEY_CONTEXT = b"pixpress dashboard session v1"


@dataclass(frozen=True)
class Session:
    admin: str | None  # fingerprint of the admin token signed in with; None: only the sign-in form's
    csrf: str
    expires_at: float  # unix seconds

    @property
    def signed_in(self) -> bool:
        return self.admin is not None


class SessionSigner:
    def __init__(self, *, secret: bytes, ttl_s: int, clock: Callable[[], float] = time.time) -> None:
        # A key of its own, so the configured secret could sign other things without mixing.
        self._key = hmac.new(secret, _KEY_CONTEXT, hashlib.sha256).digest()
        self.ttl_s = ttl_s
        self.clock = clock

    def new(self, *, admin_token: str | None = None) -> Session:
        """A fresh session with a new CSRF token (never reuse one across a sign-in)."""
        return Session(
            admin=self.fingerprint(admin_token) if admin_token is not None else None,
            csrf=secrets.token_urlsafe(32),
            expires_at=self.clock() + self.ttl_s,
        )

    def fingerprint(self, admin_token: str) -> str:
        return hmac.new(self._key, b"admin:" + admin_token.encode(), hashlib.sha256).hexdigest()[:32]

    def admin_still_valid(self, session: Session, admin_tokens: Iterable[str]) -> bool:
        """Was the session opened with a token that is still an admin token?"""
        if session.admin is None:
            return False
        matched = False
        for token in admin_tokens:  # no early exit: constant time over the list
            matched |= hmac.compare_digest(session.admin, self.fingerprint(token))
        return matched

    def dumps(self, session: Session) -> str:
        payload = json.dumps(
            {"a": session.admin, "c": session.csrf, "e": int(session.expires_at)}, separators=(",", ":")
        ).encode()
        body = _b64(payload)
        return f"{body}.{_b64(self._mac(body))}"

    def loads(self, value: str | None) -> Session | None:
        """The session in a cookie; None when absent, tampered with, malformed or expired."""
        if not value or value.count(".") != 1:
            return None
        body, mac = value.split(".")
        try:
            given = _unb64(mac)
            if not hmac.compare_digest(given, self._mac(body)):
                return None
            data = json.loads(_unb64(body))
        except (ValueError, binascii.Error):
            return None
        if not _well_formed(data) or data["e"] <= self.clock():
            return None
        return Session(admin=data["a"], csrf=data["c"], expires_at=float(data["e"]))

    def _mac(self, body: str) -> bytes:
        return hmac.new(self._key, body.encode("ascii"), hashlib.sha256).digest()


def _well_formed(data: object) -> bool:
    return (
        isinstance(data, dict)
        and isinstance(data.get("c"), str)
        and isinstance(data.get("e"), int)
        and (data.get("a") is None or isinstance(data.get("a"), str))
    )


def _b64(raw: bytes) -> str:
    return base64.urlsafe_b64encode(raw).rstrip(b"=").decode("ascii")


def _unb64(text: str) -> bytes:
    return base64.urlsafe_b64decode(text.encode("ascii") + b"=" * (-len(text) % 4))
