"""`pixpress optimize` against a real `pixpress serve` subprocess."""

from __future__ import annotations

import os
import pty
import select
import shutil
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from tests.e2e.server import ServerProcess, serve

pytestmark = pytest.mark.slow
TOKENS = """
[tokens."bulk-site"]
quota_mb = 1000

[tokens."resume-site"]
quota_mb = 1000

[tokens."tiny-site"]
quota_mb = 1
"""


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[ServerProcess]:
    tmp = tmp_path_factory.mktemp("bulk")
    tokens = tmp / "tokens.toml"
    tokens.write_text(TOKENS)
    process = serve(tmp, env={"PIXPRESS_TOKENS_FILE": str(tokens)})
    yield process
    process.stop()


@pytest.fixture
def media(tmp_path: Path, corpus: Path) -> Path:
    folder = tmp_path / "media"
    (folder / "2024").mkdir(parents=True)
    for name in ("logo.png", "hopper.png", "transparent.png", "text.png"):
        shutil.copy(corpus / "graphic" / name, folder / name)
    for name in ("rocket.jpg", "kodim03.png", "chelsea.png", "coffee.png"):
        shutil.copy(corpus / "photo" / name, folder / "2024" / name)
    (folder / "readme.txt").write_text("not an image")
    return folder


def run_cli(*args: str, cwd: Path, timeout_s: float = 300) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "pixpress", "optimize", *args],
        cwd=cwd,
        capture_output=True,
        text=True,
        timeout=timeout_s,
        env={**os.environ, "COLUMNS": "200"},
    )


def used_bytes(server: ServerProcess, token: str) -> float:
    return httpx.get(f"{server.url}/api/optimize/quota", headers={"X-Token": token}).json()["data"]["used_mb"]


def total_mb(folder: Path) -> float:
    return round(
        sum(p.stat().st_size for p in folder.rglob("*") if p.suffix in (".png", ".jpg")) / 1048576, 2
    )


def test_a_folder_end_to_end(server: ServerProcess, media: Path, tmp_path: Path) -> None:
    env_token = {"PIXPRESS_TOKEN": "bulk-site"}
    os.environ.update(env_token)
    try:
        done = run_cli(
            str(media), "--server", server.url, "--output-dir", str(tmp_path / "out"), cwd=tmp_path
        )
    finally:
        os.environ.pop("PIXPRESS_TOKEN")
    assert done.returncode == 0, done.stdout + done.stderr
    outputs = sorted(p.relative_to(tmp_path / "out").as_posix() for p in (tmp_path / "out").rglob("*.*"))
    assert outputs == sorted(
        [
            "logo.png",
            "hopper.png",
            "transparent.png",
            "text.png",
            "2024/rocket.jpg",
            "2024/kodim03.png",
            "2024/chelsea.png",
            "2024/coffee.png",
        ]
    )
    assert "quota before" in done.stdout and "quota after" in done.stdout
    assert "Traceback" not in done.stdout + done.stderr
    again = run_cli(
        str(media),
        "--server",
        server.url,
        "--token",
        "bulk-site",
        "--output-dir",
        str(tmp_path / "out"),
        cwd=tmp_path,
    )
    assert again.returncode == 0 and "8 already done" in again.stdout


def test_quota_running_out_stops_cleanly_and_resumes(
    server: ServerProcess, media: Path, tmp_path: Path
) -> None:
    args = (str(media), "--server", server.url, "--token", "tiny-site", "--in-place", "--concurrency", "1")
    first = run_cli(*args, cwd=tmp_path)
    assert first.returncode == 3, first.stdout + first.stderr
    assert "quota is used up" in first.stdout and "Traceback" not in first.stdout + first.stderr
    state = (tmp_path / ".pixpress-state.json").read_text()
    assert '"done"' in state and state.count("sha256") >= 2
    dry = run_cli(*args, "--dry-run", cwd=tmp_path)
    assert "does NOT fit" in dry.stdout or "fits" in dry.stdout
    assert "already done" in dry.stdout


def test_ctrl_c_then_rerun_sends_no_file_twice(server: ServerProcess, media: Path, tmp_path: Path) -> None:
    token = "resume-site"
    cmd = [
        sys.executable,
        "-m",
        "pixpress",
        "optimize",
        str(media),
        "--server",
        server.url,
        "--token",
        token,
        "--output-dir",
        str(tmp_path / "out"),
        "--concurrency",
        "1",
    ]
    process = subprocess.Popen(cmd, cwd=tmp_path, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    assert process.stdout is not None
    seen = []
    for line in process.stdout:  # wait until some files are done
        seen.append(line)
        if line.startswith("[2/"):
            break
    assert process.poll() is None, "".join(seen)
    process.send_signal(signal.SIGINT)
    output = process.communicate(timeout=120)[0]
    assert process.returncode == 130, output
    assert "rerun to resume" in output and "Traceback" not in output
    rerun = subprocess.run(cmd, cwd=tmp_path, capture_output=True, text=True, timeout=300)
    assert rerun.returncode == 0, rerun.stdout
    assert used_bytes(server, token) == total_mb(media)  # every file charged exactly once


def test_a_vanishing_server_gives_a_clear_error(media: Path, tmp_path: Path) -> None:
    (tmp_path / "lone").mkdir()
    lone = serve(tmp_path / "lone")
    cmd = [
        sys.executable,
        "-m",
        "pixpress",
        "optimize",
        str(media),
        "--server",
        lone.url,
        "--token",
        "t",
        "--output-dir",
        str(tmp_path / "out"),
        "--concurrency",
        "1",
    ]
    process = subprocess.Popen(cmd, cwd=tmp_path, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    assert process.stdout is not None
    seen = []
    for line in process.stdout:
        seen.append(line)
        if line.startswith("[1/"):
            break
    assert process.poll() is None, "".join(seen)
    os.killpg(lone.process.pid, signal.SIGKILL)  # type: ignore[union-attr]
    lone.process.wait()  # type: ignore[union-attr]
    output = process.communicate(timeout=180)[0]
    assert process.returncode == 4, output
    assert "cannot be reached" in output and "Traceback" not in output


def test_progress_bar_on_a_terminal(server: ServerProcess, media: Path, tmp_path: Path) -> None:
    master, slave = pty.openpty()
    process = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "pixpress",
            "optimize",
            str(media / "2024"),
            "--server",
            server.url,
            "--token",
            "bulk-site",
            "--output-dir",
            str(tmp_path / "tty-out"),
        ],
        cwd=tmp_path,
        stdin=slave,
        stdout=slave,
        stderr=slave,
        env={**os.environ, "TERM": "xterm", "COLUMNS": "160"},
    )
    os.close(slave)
    screen = b""
    deadline = time.monotonic() + 180
    while time.monotonic() < deadline:
        ready, _, _ = select.select([master], [], [], 0.5)
        if ready:
            try:
                chunk = os.read(master, 65536)
            except OSError:
                break
            if not chunk:
                break
            screen += chunk
        elif process.poll() is not None:
            break
    process.wait(30)
    os.close(master)
    text = screen.decode(errors="replace")
    assert process.returncode == 0, text
    assert "\x1b[" in text  # a live display, not plain lines
    assert "4/4" in text and "ETA" in text and "optimizing" in text
