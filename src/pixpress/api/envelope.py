"""The JSON envelope every answer uses, and the one place errors become responses."""

from __future__ import annotations

import logging
from typing import Any

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from starlette.exceptions import HTTPException as StarletteHTTPException

from pixpress.errors import InternalError, InvalidOption, PixpressError

log = logging.getLogger("pixpress.api")

HTTP_CODES = {
    400: "bad_request",
    404: "not_found",
    405: "method_not_allowed",
    413: "file_too_large",
    415: "unsupported_media_type",
}


def ok(data: dict[str, Any], message: str | None = None) -> dict[str, Any]:
    body: dict[str, Any] = {"success": True}
    if message:
        body["message"] = message
    body["data"] = data
    return body


def error_response(
    status: int,
    code: str,
    message: str,
    details: dict[str, Any] | None = None,
    headers: dict[str, str] | None = None,
) -> JSONResponse:
    error = {"code": code, "message": message, **(details or {})}
    return JSONResponse({"success": False, "error": error}, status_code=status, headers=headers)


def install_error_handlers(app: FastAPI) -> None:
    @app.exception_handler(PixpressError)
    async def pixpress_error(_request: Request, exc: PixpressError) -> JSONResponse:
        return _pixpress_response(exc)

    @app.exception_handler(RequestValidationError)
    async def validation_error(_request: Request, exc: RequestValidationError) -> JSONResponse:
        first = exc.errors()[0] if exc.errors() else {}
        field = ".".join(str(p) for p in first.get("loc", ()) if p not in ("body", "query", "path"))
        return error_response(
            InvalidOption.status,
            InvalidOption.code,
            f"Invalid value for {field or 'the request'}: {first.get('msg', 'invalid')}.",
            {"field": field} if field else None,
        )

    @app.exception_handler(StarletteHTTPException)
    async def http_error(_request: Request, exc: StarletteHTTPException) -> JSONResponse:
        code = HTTP_CODES.get(exc.status_code, f"http_{exc.status_code}")
        return error_response(exc.status_code, code, str(exc.detail), headers=getattr(exc, "headers", None))

    @app.exception_handler(Exception)
    async def unexpected(_request: Request, exc: Exception) -> JSONResponse:
        # The last resort: a bug. A backend that is down is not one: its adapter raised
        # ServiceUnavailable (db/session.py, coordination/reachable.py, storage/s3.py), handled above.
        log.exception("unhandled error", exc_info=exc)
        return error_response(InternalError.status, InternalError.code, InternalError.message)


def _pixpress_response(exc: PixpressError) -> JSONResponse:
    if exc.status >= 500:
        log.warning("answering %s %s", exc.status, exc.code)
    return error_response(exc.status, exc.code, exc.public_message, exc.details, exc.headers)

