"""A real stack for the client's end-to-end tests: the reference licence server and `pixpress serve`
talking to it, on free loopback ports, plus helpers to run the `pixpress` command as a subprocess."""

from __future__ import annotations

import os
import subprocess
import sys
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import httpx
import pytest

from tests.e2e.server import ServerProcess, free_port, serve

API_KEY = "client-e2e-licence-key"
ADMIN_TOKEN = "admin-secret-token-0123"  # what tests.e2e.server.serve configures
TOKENS_TOML = """
[tokens."bulk-site"]
quota_mb = 1000
subscription_type = "premium"
expires_at = "2099-12-31T23:59:59Z"

[tokens."resume-site"]
quota_mb = 1000
subscription_type = "premium"
expires_at = "2099-12-31T23:59:59Z"

[tokens."terminal-site"]
quota_mb = 1000
subscription_type = "premium"
expires_at = "2099-12-31T23:59:59Z"

[tokens."double-site"]
quota_mb = 1000
subscription_type = "premium"
expires_at = "2099-12-31T23:59:59Z"

[tokens."library-site"]
quota_mb = 1000
subscription_type = "premium"
expires_at = "2099-12-31T23:59:59Z"

[tokens."reuse-site"]
quota_mb = 1000
subscription_type = "premium"
expires_at = "2099-12-31T23:59:59Z"

[tokens."revoked-site"]
valid = false
quota_mb = 0

[tokens."tiny-site"]
quota_mb = 1
subscription_type = "basic"
expires_at = "2099-12-31T23:59:59Z"
"""


@dataclass
class Stack:
    api: ServerProcess
    licence: ServerProcess

    @property
    def url(self) -> str:
        return self.api.url

    def usage(self, token: str) -> dict[str, object]:
        """The admin view of a token's ledger: exact charged bytes and uploads per period."""
        answer = httpx.post(
            f"{self.url}/api/admin/usage",
            json={"token": token},
            headers={"X-Token": ADMIN_TOKEN},
            timeout=10,
        )
        answer.raise_for_status()
        data: dict[str, object] = answer.json()["data"]
        return data


def serve_unavailable_reason() -> str | None:
    """Why `pixpress serve` cannot run here, or None. A serve command that exists but fails to start is
    a failure of the test, not a skip."""
    try:
        probe = subprocess.run(
            [sys.executable, "-m", "pixpress", "serve", "--help"], capture_output=True, text=True, timeout=20
        )
    except subprocess.TimeoutExpired:
        return "`pixpress serve --help` did not answer within 20 s"
    if probe.returncode != 0:
        return f"`pixpress serve` is not available yet: {(probe.stderr or probe.stdout).strip()[-300:]}"
    return None


@pytest.fixture(scope="session")
def serve_available() -> None:
    reason = serve_unavailable_reason()
    if reason is not None:
        pytest.fail(reason)


@pytest.fixture(scope="module")
def stack(serve_available: None, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Stack]:
    yield from start_stack(tmp_path_factory.mktemp("client-stack"))


def start_stack(tmp: Path, env: dict[str, str] | None = None) -> Iterator[Stack]:
    """The licence server and `pixpress serve` using it (with `env` added), stopped afterwards."""
    tokens = tmp / "tokens.toml"
    tokens.write_text(TOKENS_TOML)
    port = free_port()
    licence = ServerProcess(
        ["license-server", "--tokens", str(tokens), "--api-key", API_KEY, "--port", str(port)],
        env={},
        log_path=tmp / "licence.log",
        port=port,
    ).start(ready_path="/_stats")
    try:
        api = serve(
            tmp,
            env={"PIXPRESS_LICENSE_API_URL": licence.url, "PIXPRESS_LICENSE_API_KEY": API_KEY, **(env or {})},
        )
    except BaseException:
        licence.stop()
        raise
    try:
        yield Stack(api=api, licence=licence)
    finally:
        api.stop()
        licence.stop()


def pixpress_command(*args: str) -> list[str]:
    return [sys.executable, "-m", "pixpress", *args]


def client_env(**extra: str) -> dict[str, str]:
    """The environment of a `pixpress` client subprocess: no token or server inherited by accident."""
    env = {k: v for k, v in os.environ.items() if k not in ("PIXPRESS_TOKEN", "PIXPRESS_SERVER")}
    return {**env, "COLUMNS": "200", **extra}


def run_pixpress(
    *args: str, cwd: Path, timeout_s: float = 300, **env: str
) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        pixpress_command(*args),
        cwd=cwd,
        capture_output=True,
        text=True,
        timeout=timeout_s,
        env=client_env(**env),
    )
