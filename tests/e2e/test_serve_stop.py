"""However and whenever `pixpress serve` is stopped, it leaves no process behind: not when a shell
started it in the background (SIGINT then arrives ignored, and is inherited by its worker), not when the
stop comes while its embedded worker is still starting, not when its worker processes are busy."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import httpx
import pytest

from tests.e2e.server import free_port

pytestmark = pytest.mark.slow

LEFTOVER_WAIT_S = 60.0


def processes_of(data_dir: Path) -> list[int]:
    """Every process whose environment names this data dir (serve passes it to its worker)."""
    marker = f"PIXPRESS_DATA_DIR={data_dir}".encode()
    found = []
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit() or int(entry.name) == os.getpid():
            continue
        try:
            if marker in (entry / "environ").read_bytes().split(b"\0"):
                state = (entry / "stat").read_text().rsplit(")", 1)[1].split()[0]
                if state != "Z":  # a zombie holds nothing; this machine's init may not reap it at once
                    found.append(int(entry.name))
        except OSError:
            continue
    return found


def start_in_background(tmp_path: Path) -> tuple[subprocess.Popen[bytes], int, str, Path]:
    """`pixpress serve &` from a non-interactive shell, as a deploy script would run it."""
    data_dir = (tmp_path / "data").resolve()
    port = free_port()
    pid_file = tmp_path / "serve.pid"
    serve = f"{sys.executable} -m pixpress serve --port {port} > {tmp_path}/serve.log 2>&1"
    command = f"{serve} & echo $! > {pid_file}; wait"
    shell = subprocess.Popen(
        ["bash", "-c", command],
        env={
            **os.environ,
            "PIXPRESS_DATA_DIR": str(data_dir),
            "PIXPRESS_ENVIRONMENT": "test",
            "PIXPRESS_WORKERS": "2",
        },
        start_new_session=True,
    )
    deadline = time.monotonic() + 10
    while not pid_file.exists() or not pid_file.read_text().strip():
        assert time.monotonic() < deadline, "the shell never started serve"
        time.sleep(0.01)
    return shell, int(pid_file.read_text()), f"http://127.0.0.1:{port}", data_dir


def wait_for_health(url: str) -> None:
    deadline = time.monotonic() + 60
    while True:
        try:
            if httpx.get(f"{url}/health", timeout=1).status_code == 200:
                return
        except httpx.TransportError:
            pass
        assert time.monotonic() < deadline, "serve never answered /health"
        time.sleep(0.01)


def assert_nothing_left(shell: subprocess.Popen[bytes], data_dir: Path) -> None:
    shell.wait(LEFTOVER_WAIT_S)
    deadline = time.monotonic() + LEFTOVER_WAIT_S
    while processes_of(data_dir):
        if time.monotonic() > deadline:
            left = processes_of(data_dir)
            for pid in left:
                os.kill(pid, signal.SIGKILL)
            raise AssertionError(f"processes left behind: {left}")
        time.sleep(0.2)


@pytest.mark.parametrize("delay_s", [0.0, 0.3, 1.5])
def test_sigterm_soon_after_the_first_health_answer_leaves_nothing(tmp_path: Path, delay_s: float) -> None:
    shell, serve_pid, url, data_dir = start_in_background(tmp_path)
    wait_for_health(url)
    time.sleep(delay_s)  # the embedded worker is still importing, starting its processes, or ready
    os.kill(serve_pid, signal.SIGTERM)
    assert_nothing_left(shell, data_dir)


def test_sigterm_before_serve_answers_leaves_nothing(tmp_path: Path) -> None:
    shell, serve_pid, _url, data_dir = start_in_background(tmp_path)
    time.sleep(0.5)  # still importing or migrating
    os.kill(serve_pid, signal.SIGTERM)
    assert_nothing_left(shell, data_dir)


def test_sigkill_of_serve_takes_its_worker_down_too(tmp_path: Path, corpus: Path) -> None:
    shell, serve_pid, url, data_dir = start_in_background(tmp_path)
    wait_for_health(url)
    httpx.post(
        f"{url}/api/optimize/submit",
        headers={"X-Token": "site"},
        files={"file": ("p.png", (corpus / "photo" / "kodim03.png").read_bytes())},
        timeout=30,
    )
    time.sleep(1.0)
    os.kill(serve_pid, signal.SIGKILL)  # no chance to stop anything: the worker must notice by itself
    assert_nothing_left(shell, data_dir)
