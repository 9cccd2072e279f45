"""A reference licence server speaking the vendor's contract, for development, demos and tests.

POST /user-quota  {"token"} with Authorization: Bearer <api key>
    -> {"valid": true, "quota_mb": 5000, "subscription_type": "premium", "expires_at": "..."}
    or {"valid": false}
Fault switches (set at start or at run time with POST /_faults {"mode": ..., "delay_s": ...}):
    ok | slow (answers after delay_s) | error (500) | nonsense (200 with a body that is not the contract)
    | down (503 without a body) | not_found_html (404 with an HTML page, a proxy's or a moved URL's)
    | not_found_json (404 JSON without the fields) | wrong_type ({"valid": false} served as text/html)
    | no_fields (200 JSON without the contract's fields). GET /_stats counts the requests per token.
The tokens file is TOML (`[tokens."TOKEN"] quota_mb = ..., subscription_type, expires_at, valid`) and is
re-read when it changes, so a test can upgrade or revoke a token.
"""

from __future__ import annotations

import asyncio
import hmac
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import HTMLResponse, JSONResponse, PlainTextResponse, Response
from starlette.routing import Route

from pixpress.quota.tokens_file import Reloading, token_table

MODES = (
    "ok",
    "slow",
    "error",
    "nonsense",
    "down",
    "not_found_html",
    "not_found_json",
    "wrong_type",
    "no_fields",
)


@dataclass
class FaultSwitch:
    mode: str = "ok"
    delay_s: float = 5.0


@dataclass
class TokenTable:
    path: Path
    _entries: Reloading[dict[str, Any]] = field(init=False)

    def __post_init__(self) -> None:
        self._entries = Reloading(self.path, token_table)

    def get(self, token: str) -> dict[str, Any] | None:
        entry = self._entries.get().get(token)
        return entry if isinstance(entry, dict) else None


def create_license_app(tokens_file: Path, api_key: str, faults: FaultSwitch | None = None) -> Starlette:
    switch = faults or FaultSwitch()
    table = TokenTable(tokens_file)
    requests: Counter[str] = Counter()

    async def user_quota(request: Request) -> Response:
        authorization = request.headers.get("authorization", "")
        if not hmac.compare_digest(authorization.encode(), f"Bearer {api_key}".encode()):
            return JSONResponse({"error": "invalid api key"}, status_code=401)
        try:
            body = await request.json()
            token = str(body["token"])
        except (ValueError, KeyError, TypeError):
            return JSONResponse({"error": 'body must be {"token": ...}'}, status_code=400)
        requests[token] += 1
        if switch.mode == "slow":
            await asyncio.sleep(switch.delay_s)
        elif switch.mode == "error":
            return JSONResponse({"error": "internal"}, status_code=500)
        elif switch.mode == "nonsense":
            return PlainTextResponse("<html>quota: lots</html>", status_code=200)
        elif switch.mode == "down":
            return Response(status_code=503)
        elif switch.mode == "not_found_html":
            return HTMLResponse("<html><body><h1>404 Not Found</h1></body></html>", status_code=404)
        elif switch.mode == "not_found_json":
            return JSONResponse({"error": "not found"}, status_code=404)
        elif switch.mode == "wrong_type":
            return HTMLResponse('{"valid": false}')
        elif switch.mode == "no_fields":
            return JSONResponse({"status": "ok"})
        entry = table.get(token)
        if entry is None or not entry.get("valid", True):
            return JSONResponse({"valid": False})
        return JSONResponse(
            {
                "valid": True,
                "quota_mb": entry.get("quota_mb", 0),
                "subscription_type": entry.get("subscription_type"),
                "expires_at": entry.get("expires_at"),
            }
        )

    async def set_faults(request: Request) -> Response:
        body = await request.json()
        mode = body.get("mode", "ok")
        if mode not in MODES:
            return JSONResponse({"error": f"mode must be one of {MODES}"}, status_code=400)
        switch.mode = mode
        switch.delay_s = float(body.get("delay_s", switch.delay_s))
        return JSONResponse({"mode": switch.mode, "delay_s": switch.delay_s})

    async def stats(_request: Request) -> Response:
        return JSONResponse({"requests": sum(requests.values()), "requests_by_token": dict(requests)})

    return Starlette(
        routes=[
            Route("/user-quota", user_quota, methods=["POST"]),
            Route("/_faults", set_faults, methods=["POST"]),
            Route("/_stats", stats, methods=["GET"]),
        ]
    )


def run_license_server(
    *, tokens_file: Path, api_key: str, host: str, port: int, mode: str = "ok", delay_s: float = 5.0
) -> None:
    import uvicorn

    if mode not in MODES:
        raise ValueError(f"mode must be one of {MODES}")
    app = create_license_app(tokens_file, api_key, FaultSwitch(mode=mode, delay_s=delay_s))
    uvicorn.run(app, host=host, port=port, log_level="warning")
