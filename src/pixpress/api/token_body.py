"""The customer token in an admin call's body, read the way the clients of the system this replaces send it.

Its documented call is `curl -X POST .../reset-usage -H "X-Token: ..." -d '{"token": "..."}'`: without a
Content-Type, curl labels that JSON application/x-www-form-urlencoded. So the body is read as JSON whatever
its Content-Type says, and failing that as a form with a `token` field (urlencoded or multipart).
"""

from __future__ import annotations

import json
from typing import Any
from urllib.parse import parse_qs

from starlette.requests import Request

from pixpress.errors import InvalidOption

_TOKEN_OBJECT = {
    "type": "object",
    "required": ["token"],
    "properties": {"token": {"type": "string", "description": "the customer's licence token"}},
}
TOKEN_BODY: dict[str, Any] = {
    "requestBody": {
        "required": True,
        "content": {
            "application/json": {"schema": _TOKEN_OBJECT, "example": {"token": "customer-token"}},
            "application/x-www-form-urlencoded": {"schema": _TOKEN_OBJECT},
            "multipart/form-data": {"schema": _TOKEN_OBJECT},
        },
    }
}


async def customer_token(request: Request) -> str:
    if request.headers.get("content-type", "").lower().startswith("multipart/form-data"):
        form = await request.form(max_files=0, max_fields=8)
        field = form.get("token")
        return checked(field if isinstance(field, str) else None)
    body = await request.body()
    return checked(_from_json(body) or _from_form(body))


def checked(token: object) -> str:
    if not isinstance(token, str) or not token.strip():
        raise InvalidOption('Send the customer token as {"token": ...}.', details={"field": "token"})
    return token.strip()


def _from_json(body: bytes) -> str | None:
    try:
        payload = json.loads(body)
    except ValueError:  # also UnicodeDecodeError
        return None
    token = payload.get("token") if isinstance(payload, dict) else None
    return token if isinstance(token, str) else None


def _from_form(body: bytes) -> str | None:
    values = parse_qs(body.decode("utf-8", errors="replace")).get("token")
    return values[0] if values else None
