"""Rendering: the Jinja2 environment, its filters, and the headers every dashboard page carries."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from fastapi import Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from jinja2 import Environment, PackageLoader, select_autoescape

from pixpress.dashboard.csrf import FIELD
from pixpress.dashboard.session import Session
from pixpress.db.session import as_utc
from pixpress.quota.info import MB

# No script at all, styles only from our own file, forms only to ourselves, never framed.
SECURITY_HEADERS = {
    "Content-Security-Policy": (
        "default-src 'none'; style-src 'self'; img-src 'self'; form-action 'self'; "
        "frame-ancestors 'none'; base-uri 'none'"
    ),
    "X-Frame-Options": "DENY",
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "no-referrer",
    "Cache-Control": "no-store",
}


def when(moment: datetime | None) -> str:
    value = as_utc(moment)
    return value.strftime("%Y-%m-%d %H:%M UTC") if value is not None else "never"


def mb(size_bytes: int | float | None) -> str:
    return f"{(size_bytes or 0) / MB:,.2f} MB"


def duration(seconds: float | None) -> str:
    if seconds is None:
        return "n/a"
    return f"{seconds * 1000:.0f} ms" if seconds < 1 else f"{seconds:,.1f} s"


def _environment() -> Environment:
    env = Environment(
        loader=PackageLoader("pixpress.dashboard", "templates"),
        autoescape=select_autoescape(["html"]),
        trim_blocks=True,
        lstrip_blocks=True,
    )
    env.filters.update(when=when, mb=mb, duration=duration)
    env.globals["csrf_field"] = FIELD
    return env


ENVIRONMENT = _environment()


def render(
    request: Request,
    template: str,
    *,
    session: Session | None,
    status_code: int = 200,
    headers: dict[str, str] | None = None,
    **context: Any,
) -> HTMLResponse:
    html = ENVIRONMENT.get_template(template).render(
        request=request, session=session, active=template.split(".")[0], **context
    )
    return HTMLResponse(html, status_code=status_code, headers={**SECURITY_HEADERS, **(headers or {})})


def redirect(url: str) -> Response:
    """303: after a POST the browser follows with a GET (no resubmission on reload)."""
    return RedirectResponse(url, status_code=303, headers=SECURITY_HEADERS)
