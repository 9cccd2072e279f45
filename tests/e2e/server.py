"""Run `pixpress serve` (or the licence server) as a real subprocess on a free loopback port."""

from __future__ import annotations

import contextlib
import os
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

import httpx

STARTUP_TIMEOUT_S = 60.0


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


class ServerProcess:
    """A pixpress command running in the background, its output kept in a log file."""

    def __init__(self, args: list[str], *, env: dict[str, str], log_path: Path, port: int) -> None:
        self.args = args
        self.env = env
        self.log_path = log_path
        self.port = port
        self.url = f"http://127.0.0.1:{port}"
        self.process: subprocess.Popen[bytes] | None = None

    def start(self, ready_path: str = "/ready") -> ServerProcess:
        with self.log_path.open("ab") as log:  # the child keeps its own handle
            self.process = subprocess.Popen(
                [sys.executable, "-m", "pixpress", *self.args],
                env={**os.environ, **self.env},
                stdout=log,
                stderr=subprocess.STDOUT,
                start_new_session=True,
            )
        deadline = time.monotonic() + STARTUP_TIMEOUT_S
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise RuntimeError(f"server exited early:\n{self.log()}")
            try:
                if httpx.get(self.url + ready_path, timeout=1).status_code < 500:
                    return self
            except httpx.TransportError:
                pass
            time.sleep(0.1)
        self.stop()
        raise RuntimeError(f"server not ready in {STARTUP_TIMEOUT_S}s:\n{self.log()}")

    def stop(self, sig: int = signal.SIGTERM, timeout_s: float = 40.0) -> int | None:
        if self.process is None or self.process.poll() is not None:
            return self.process.returncode if self.process else None
        self.process.send_signal(sig)
        try:
            code = self.process.wait(timeout_s)
        except subprocess.TimeoutExpired:
            code = None
        with contextlib.suppress(ProcessLookupError):  # nothing of ours outlives a test
            os.killpg(self.process.pid, signal.SIGKILL)
        return code if code is not None else self.process.wait()

    def log(self) -> str:
        return self.log_path.read_text(errors="replace")[-8000:]

    def descendants(self) -> list[int]:
        """Every process started below this one (API -> consumer -> worker processes)."""
        assert self.process is not None
        found: list[int] = []
        frontier = [self.process.pid]
        while frontier:
            parent = frontier.pop()
            children = Path(f"/proc/{parent}/task/{parent}/children")
            if children.exists():
                kids = [int(p) for p in children.read_text().split()]
                found.extend(kids)
                frontier.extend(kids)
        return found


def serve(tmp_path: Path, *, env: dict[str, str] | None = None, workers: int = 1) -> ServerProcess:
    port = free_port()
    data_dir = tmp_path / "data"
    base_env = {
        "PIXPRESS_ENVIRONMENT": "test",
        "PIXPRESS_DATA_DIR": str(data_dir),
        "PIXPRESS_WORKERS": str(workers),
        "PIXPRESS_ADMIN_TOKENS": "admin-secret-token-0123",
        "PIXPRESS_LOG_LEVEL": "INFO",
    }
    server = ServerProcess(
        ["serve", "--host", "127.0.0.1", "--port", str(port)],
        env={**base_env, **(env or {})},
        log_path=tmp_path / f"serve-{port}.log",
        port=port,
    )
    return server.start()


def moto_server(tmp_path: Path) -> ServerProcess:
    """moto's stand-alone S3 server on loopback, for the S3 storage backend."""
    port = free_port()
    process = ServerProcess([], env={}, log_path=tmp_path / "moto.log", port=port)
    process.args = ["-m", "moto.server", "-H", "127.0.0.1", "-p", str(port)]
    with process.log_path.open("ab") as log:
        process.process = subprocess.Popen(
            [sys.executable, *process.args], stdout=log, stderr=subprocess.STDOUT, start_new_session=True
        )
    deadline = time.monotonic() + STARTUP_TIMEOUT_S
    while time.monotonic() < deadline:
        try:
            httpx.get(process.url, timeout=1)
            return process
        except httpx.TransportError:
            time.sleep(0.1)
    process.stop()
    raise RuntimeError(f"moto server did not start:\n{process.log()}")
