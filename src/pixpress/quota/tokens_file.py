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
from pathlib import Path

from pixpress.quota.licence_client import LicenceAnswer, LicenceServerFailed, parse_answer


class TokensFile:
    """Re-read when the file changes, so a vendor can edit it without a restart."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self._lock = threading.Lock()
        self._mtime_ns = -1
        self._tokens: dict[str, LicenceAnswer] = {}

    def check(self, token: str) -> LicenceAnswer:
        tokens = self._load()
        return tokens.get(token) or LicenceAnswer(
            valid=False, quota_mb=0, subscription_type=None, expires_at=None
        )

    def _load(self) -> dict[str, LicenceAnswer]:
        with self._lock:
            mtime = self.path.stat().st_mtime_ns
            if mtime != self._mtime_ns:
                self._tokens = load_tokens(self.path)
                self._mtime_ns = mtime
            return self._tokens


def load_tokens(path: Path) -> dict[str, LicenceAnswer]:
    document = tomllib.loads(path.read_text())
    table = document.get("tokens", document)
    tokens: dict[str, LicenceAnswer] = {}
    for token, entry in table.items():
        if not isinstance(entry, dict):
            raise ValueError(f"{path}: entry for a token must be a table")
        try:
            tokens[token] = parse_answer({"valid": entry.get("valid", True), **entry})
        except LicenceServerFailed as exc:
            raise ValueError(f"{path}: bad entry ({exc})") from exc
    return tokens
