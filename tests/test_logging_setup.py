"""The text log format is one line per event whatever a request sends (logging_setup.TextFormatter)."""

from __future__ import annotations

import logging
import re

from pixpress.logging_setup import TRACEBACK_PREFIX, RequestIdFilter, TextFormatter, escape_controls

EVENT_LINE = re.compile(r"^\d{4}-\d\d-\d\d \d\d:\d\d:\d\d,\d{3} [A-Z]+ [\w.]+ \[[^\]\s]+\] ")


def formatted(message: str, *args: object, exc: BaseException | None = None) -> str:
    record = logging.LogRecord("pixpress.access", logging.INFO, __file__, 1, message, args, None)
    if exc is not None:
        record.exc_info = (type(exc), exc, exc.__traceback__)
    RequestIdFilter().filter(record)
    return TextFormatter().format(record)


def test_controls_in_logged_values_are_escaped_to_one_line() -> None:
    line = formatted("%s %s", "GET", "/x\nFORGED-LINE 2026-01-01 INFO\r\x1b[2J\u2028end")
    assert "\n" not in line and "\r" not in line and "\x1b" not in line and "\u2028" not in line
    assert line.endswith("GET /x\\x0aFORGED-LINE 2026-01-01 INFO\\x0d\\x1b[2J\\u2028end")
    assert EVENT_LINE.match(line)


def test_a_traceback_follows_its_event_on_marked_lines() -> None:
    try:
        raise ValueError("bad name 'a.png\n2026-01-01 00:00:00,000 INFO pixpress [x] forged'")
    except ValueError as exc:
        text = formatted("upload %s failed", "a.png\nforged", exc=exc)
    first, *rest = text.split("\n")
    assert EVENT_LINE.match(first) and rest
    assert all(line.startswith(TRACEBACK_PREFIX) for line in rest), rest


def test_plain_text_is_unchanged() -> None:
    assert (
        escape_controls("POST /api/optimize/submit 200 12.5ms é ü")
        == "POST /api/optimize/submit 200 12.5ms é ü"
    )
