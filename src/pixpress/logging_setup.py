"""Structured logs: one line per event with the request id; JSON when PIXPRESS_LOG_JSON is set.

Safe to parse whatever requests send: in the text format, control characters in a message (a path's
%0a, a file name's escape sequence) are written escaped (`\x0a`), so an event is exactly one line,
and the lines of a traceback that follow it each start with `  | `. JSON lines escape them by nature.
"""

from __future__ import annotations

import contextvars
import json
import logging
import re
import sys
from datetime import UTC, datetime
from typing import Any

from pixpress.config import Settings

# The id of the request being served: set by the API's middleware (api/middleware.py), read by every log
# line. It lives here, below the web layer, so logging depends on nothing above it.
request_id_var: contextvars.ContextVar[str] = contextvars.ContextVar("request_id", default="-")


class RequestIdFilter(logging.Filter):
    def filter(self, record: logging.LogRecord) -> bool:
        record.request_id = request_id_var.get()
        return True


# C0 and C1 controls, DEL, and Unicode's line and paragraph separators: all can end or rewrite a line.
_CONTROL = re.compile("[\x00-\x1f\x7f-\x9f\u2028\u2029]")
TRACEBACK_PREFIX = "  | "


def _escaped(match: re.Match[str]) -> str:
    code = ord(match.group())
    return f"\\x{code:02x}" if code < 0x100 else f"\\u{code:04x}"


def escape_controls(text: str) -> str:
    return _CONTROL.sub(_escaped, text)


class TextFormatter(logging.Formatter):
    """`<time> <LEVEL> <logger> [<request id>] <message>`, one line per event (see the module docstring)."""

    def __init__(self) -> None:
        super().__init__("%(asctime)s %(levelname)s %(name)s [%(request_id)s] %(message)s")

    def formatMessage(self, record: logging.LogRecord) -> str:
        record.message = escape_controls(record.message)
        return super().formatMessage(record)

    def formatException(self, ei: Any) -> str:
        return self._continuation(super().formatException(ei))

    def formatStack(self, stack_info: str) -> str:
        return self._continuation(super().formatStack(stack_info))

    @staticmethod
    def _continuation(text: str) -> str:
        return "\n".join(TRACEBACK_PREFIX + escape_controls(line) for line in text.splitlines())


class JsonFormatter(logging.Formatter):
    def format(self, record: logging.LogRecord) -> str:
        entry = {
            "time": datetime.fromtimestamp(record.created, UTC).isoformat(),
            "level": record.levelname,
            "logger": record.name,
            "request_id": getattr(record, "request_id", "-"),
            "message": record.getMessage(),
        }
        if record.exc_info:
            entry["exception"] = self.formatException(record.exc_info)
        return json.dumps(entry)


def configure_logging(settings: Settings) -> None:
    handler = logging.StreamHandler(sys.stderr)
    handler.addFilter(RequestIdFilter())
    if settings.log_json:
        handler.setFormatter(JsonFormatter())
    else:
        handler.setFormatter(TextFormatter())
    root = logging.getLogger()
    root.handlers[:] = [handler]
    root.setLevel(settings.log_level.upper())
    for noisy in ("uvicorn.access", "httpx", "httpcore", "botocore", "urllib3", "pyvips", "huey"):
        logging.getLogger(noisy).setLevel(logging.WARNING)
