"""ASGI middleware: request ids, the upload body cap, and the quota headers on every answer."""

from __future__ import annotations

import logging
import re
import time
import urllib.parse
import uuid

from starlette.routing import Mount
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from pixpress.api.envelope import error_response
from pixpress.api.ratelimit_fields import policy_field, ratelimit_field
from pixpress.errors import FileTooLarge
from pixpress.logging_setup import request_id_var
from pixpress.metrics import record

log = logging.getLogger("pixpress.access")

_SAFE_REQUEST_ID = re.compile(r"[A-Za-z0-9._:-]{1,128}")
MULTIPART_OVERHEAD_BYTES = 64 * 1024


class RequestIdMiddleware:
    """Echo X-Request-ID (or make one), put it in every log line, and log each request once."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        incoming = dict(scope["headers"]).get(b"x-request-id", b"").decode("latin-1")
        request_id = incoming if _SAFE_REQUEST_ID.fullmatch(incoming) else uuid.uuid4().hex
        token = request_id_var.set(request_id)
        root_path = scope.get("root_path", "")
        started = time.perf_counter()
        status = 500

        async def send_with_id(message: Message) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = message["status"]
                message["headers"] = [*message.get("headers", []), (b"x-request-id", request_id.encode())]
            await send(message)

        try:
            await self.app(scope, receive, send_with_id)
        finally:
            elapsed_s = time.perf_counter() - started
            log.info("%s %s %s %.1fms", scope["method"], logged_path(scope), status, elapsed_s * 1000)
            record.http_request(scope["method"], route_template(scope, root_path), status, elapsed_s)
            request_id_var.reset(token)


def logged_path(scope: Scope) -> str:
    """The path as the client sent it, still percent-encoded: `/x%0aFORGED` stays one word of one line
    (the decoded path could hold spaces and line breaks). The formatter escapes what is left."""
    raw = scope.get("raw_path")
    if isinstance(raw, bytes):
        return raw.decode("latin-1")
    return urllib.parse.quote(scope["path"])


def route_template(scope: Scope, root_path: str) -> str | None:
    """The matched route's template (`/api/optimize/status/{task_id}`), never the raw path: metric
    labels must not grow with every task id. The router leaves the route in the scope; a mount adds
    its prefix to root_path. None when nothing matched."""
    route = scope.get("route")
    path = getattr(route, "path", None)
    prefix = scope.get("root_path", "")[len(root_path) :]
    if isinstance(route, Mount) or not isinstance(path, str):
        # A mounted app without routes of its own (static files): its mount's prefix, if one matched.
        return prefix or None
    return prefix + path


class BodyLimitMiddleware:
    """Cut off an upload at the size limit while it streams in: never buffer a huge body whole."""

    def __init__(self, app: ASGIApp, *, max_body_bytes: int) -> None:
        self.app = app
        self.max_body_bytes = max_body_bytes + MULTIPART_OVERHEAD_BYTES

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or scope["method"] not in ("POST", "PUT", "PATCH"):
            await self.app(scope, receive, send)
            return
        declared = dict(scope["headers"]).get(b"content-length")
        if declared is not None and declared.isdigit() and int(declared) > self.max_body_bytes:
            response = error_response(FileTooLarge.status, FileTooLarge.code, FileTooLarge.message)
            response.headers["Connection"] = "close"
            await response(scope, receive, send)
            return
        received = 0

        async def counting_receive() -> Message:
            nonlocal received
            message = await receive()
            if message["type"] == "http.request":
                received += len(message.get("body", b""))
                if received > self.max_body_bytes:
                    # Close the connection: otherwise the server would drain the rest of the body.
                    raise FileTooLarge(headers={"Connection": "close"})
            return message

        await self.app(scope, counting_receive, send)


class QuotaHeadersMiddleware:
    """Add X-Quota-* and the IETF RateLimit-Policy and RateLimit fields (api/ratelimit_fields.py) to every
    answer of an authenticated request (the auth dependency leaves the quota in the request state),
    errors included."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return

        async def send_with_quota(message: Message) -> None:
            if message["type"] == "http.response.start":
                quota = scope.get("state", {}).get("quota")
                if quota is not None:
                    message["headers"] = [
                        *message.get("headers", []),
                        (b"x-quota-limit-mb", f"{quota.quota_mb:.2f}".encode()),
                        (b"x-quota-used-mb", f"{quota.used_mb:.2f}".encode()),
                        (b"x-quota-remaining-mb", f"{quota.remaining_mb:.2f}".encode()),
                        (b"ratelimit-policy", policy_field(quota.quota_bytes).encode()),
                        (b"ratelimit", ratelimit_field(quota.remaining_bytes).encode()),
                    ]
            await send(message)

        await self.app(scope, receive, send_with_quota)
