"""The JSON envelope every answer uses, and the one place errors become responses."""

from __future__ import annotations

import logging
from typing import Any, Generic, Literal, TypeVar

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from pydantic import BaseModel, ConfigDict
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


T = TypeVar("T", bound=BaseModel)


class Envelope(BaseModel, Generic[T]):
    """Every successful answer: `{"success": true, "data": {...}}`, with `message` on some calls.

    Routes declare it as their response_model with response_model_exclude_unset=True: a key a data model
    leaves unset (a queued task's result, `message` on most calls) is absent from the answer, not null."""

    success: Literal[True]
    message: str | None = None
    data: T


class ErrorBody(BaseModel):
    """`code` (stable, snake_case), `message` (a human sentence), and the error's details beside them
    (e.g. `reason`, `field`, `quota_info`, `max_pending`)."""

    model_config = ConfigDict(extra="allow")

    code: str
    message: str


class ErrorEnvelope(BaseModel):
    """Every failed answer: `{"success": false, "error": {"code": ..., "message": ..., ...details}}`."""

    success: Literal[False]
    error: ErrorBody


def ok(data: T, message: str | None = None) -> Envelope[T]:
    if message:
        return Envelope[T](success=True, message=message, data=data)
    return Envelope[T](success=True, data=data)


def error_response(
    status: int,
    code: str,
    message: str,
    details: dict[str, Any] | None = None,
    headers: dict[str, str] | None = None,
) -> JSONResponse:
    body = ErrorEnvelope(success=False, error=ErrorBody(code=code, message=message, **(details or {})))
    return JSONResponse(body.model_dump(), status_code=status, headers=headers)


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
