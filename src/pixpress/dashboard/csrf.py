"""CSRF: every dashboard form carries its session's token in a hidden field, checked on POST.

SameSite=Strict already keeps the cookie off cross-site requests; the token is the second lock, and the
one that holds for browsers or proxies that get SameSite wrong.
"""

from __future__ import annotations

import hmac

from pixpress.dashboard.session import Session

FIELD = "csrf_token"


def csrf_ok(session: Session | None, submitted: object) -> bool:
    if session is None or not isinstance(submitted, str) or not submitted:
        return False
    return hmac.compare_digest(session.csrf.encode(), submitted.encode())
