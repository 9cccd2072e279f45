"""PIXPRESS_TOKENS_FILE: the vendor's own list of tokens, for deployments without a licence server.

[tokens."the-token"]
quota_mb = 5000
subscription_type = "premium"        # optional
expires_at = "2030-12-31T23:59:59Z"  # optional
valid = true                         # optional
"""

from __future__ import annotations

import threading
import tomllib
from collections.abc import Callable
from pathlib import Path
from typing import Any, Generic, TypeVar

from pixpress.quota.licence_client import LicenceAnswer, LicenceServerFailed, parse_answer

T = TypeVar("T")


class Reloading(Generic[T]):
    """What `parse` makes of a file, made again whenever the file changes, so a vendor can edit it without
    a restart (also the reference licence server's token table)."""

    def __init__(self, path: Path, parse: Callable[[Path], T]) -> None:
        self.path = path
        self.parse = parse
        self._lock = threading.Lock()
        self._mtime_ns = -1
        self._value: T | None = None

    def get(self) -> T:
        with self._lock:
            mtime = self.path.stat().st_mtime_ns
            if self._value is None or mtime != self._mtime_ns:
                self._value = self.parse(self.path)
                self._mtime_ns = mtime
            return self._value


class TokensFile:
    def __init__(self, path: Path) -> None:
        self.tokens = Reloading(path, load_tokens)

    def check(self, token: str) -> LicenceAnswer:
        return self.tokens.get().get(token) or LicenceAnswer(
            valid=False, quota_mb=0, subscription_type=None, expires_at=None
        )


def token_table(path: Path) -> dict[str, Any]:
    """The [tokens] table of the file (or the whole document when it has none)."""
    document = tomllib.loads(path.read_text())
    table: dict[str, Any] = document.get("tokens", document)
    return table


def load_tokens(path: Path) -> dict[str, LicenceAnswer]:
    table = token_table(path)
    tokens: dict[str, LicenceAnswer] = {}
    for token, entry in table.items():
        if not isinstance(entry, dict):
            raise ValueError(f"{path}: entry for a token must be a table")
        try:
            tokens[token] = parse_answer({"valid": entry.get("valid", True), **entry})
        except LicenceServerFailed as exc:
            raise ValueError(f"{path}: bad entry ({exc})") from exc
    return tokens
