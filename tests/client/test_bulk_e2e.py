"""`pixpress optimize`, `quota` and `admin reset-usage` against a real `pixpress serve` subprocess that
takes its quotas from the reference licence server (fixtures in conftest.py)."""

from __future__ import annotations

import json
import os
import pty
import select
import shutil
import signal
import subprocess
import time
from pathlib import Path

import pytest

from pixpress.client.files import image_kind
from tests.client.conftest import (
    ADMIN_TOKEN,
    Stack,
    client_env,
    pixpress_command,
    run_pixpress,
)
from tests.e2e.server import serve

pytestmark = pytest.mark.slow
GRAPHIC = ("logo.png", "hopper.png", "transparent.png", "text.png")
PHOTO = ("rocket.jpg", "kodim03.png", "chelsea.png", "coffee.png")


@pytest.fixture
def media(tmp_path: Path, corpus: Path) -> Path:
    """8 distinct corpus images (1.6 MB) in two folders, and a text file the run must leave alone."""
    folder = tmp_path / "media"
    (folder / "2024").mkdir(parents=True)
    for name in GRAPHIC:
        shutil.copy(corpus / "graphic" / name, folder / name)
    for name in PHOTO:
        shutil.copy(corpus / "photo" / name, folder / "2024" / name)
    (folder / "readme.txt").write_text("not an image")
    return folder


def image_sizes(folder: Path) -> dict[str, int]:
    return {
        p.relative_to(folder).as_posix(): p.stat().st_size
        for p in folder.rglob("*")
        if p.suffix in (".png", ".jpg")
    }


def optimize(stack: Stack, *args: str, cwd: Path, token: str) -> subprocess.CompletedProcess[str]:
    return run_pixpress("optimize", *args, "--server", stack.url, cwd=cwd, PIXPRESS_TOKEN=token)


def charged(stack: Stack, token: str) -> tuple[int, int]:
    """(bytes, uploads) charged to the token over every period."""
    usage = stack.usage(token)
    past = usage["past_periods"]
    assert isinstance(past, list)
    periods = [usage["current_period"], *past]
    return sum(int(p.get("charged_bytes", 0)) for p in periods), sum(int(p["uploads"]) for p in periods)


def test_a_folder_end_to_end(stack: Stack, media: Path, tmp_path: Path) -> None:
    sizes = image_sizes(media)
    done = optimize(stack, str(media), "--output-dir", "out", cwd=tmp_path, token="bulk-site")
    assert done.returncode == 0, done.stdout + done.stderr
    out = tmp_path / "out"
    outputs = image_sizes(out)
    assert sorted(outputs) == sorted(sizes)
    for name, size in outputs.items():  # real images of the same kind, never bigger
        assert image_kind((out / name).read_bytes()[:64]) == image_kind((media / name).read_bytes()[:64])
        assert size <= sizes[name]
    assert sum(outputs.values()) < sum(sizes.values())
    assert "quota before: 0.00 MB used of 1000.00 MB" in done.stdout and "quota after:" in done.stdout
    assert "[8/8] ok" in done.stdout and "readme.txt" not in done.stdout
    assert "Traceback" not in done.stdout + done.stderr
    assert charged(stack, "bulk-site") == (sum(sizes.values()), 8)
    again = optimize(stack, str(media), "--output-dir", "out", cwd=tmp_path, token="bulk-site")
    assert again.returncode == 0 and "0 files to send" in again.stdout and "8 already done" in again.stdout
    assert charged(stack, "bulk-site") == (sum(sizes.values()), 8)
    shown = run_pixpress("quota", "--server", stack.url, cwd=tmp_path, PIXPRESS_TOKEN="bulk-site")
    assert shown.returncode == 0 and "of 1000.00 MB" in shown.stdout and "source: " in shown.stdout
    assert "bulk-site" not in shown.stdout  # the token is not echoed


def test_quota_running_out_stops_cleanly_resets_and_resumes(
    stack: Stack, media: Path, tmp_path: Path
) -> None:
    sizes = image_sizes(media)
    args = (str(media), "--in-place", "--concurrency", "1")
    first = optimize(stack, *args, cwd=tmp_path, token="tiny-site")
    assert first.returncode == 3, first.stdout + first.stderr
    assert "Stopped: the token's quota is used up." in first.stdout and "files not sent yet" in first.stdout
    assert "Traceback" not in first.stdout + first.stderr
    state = json.loads((tmp_path / ".pixpress-state.json").read_text())
    finished = len(state["done"])
    assert 0 < finished < 8 and len(list(media.rglob("*.orig.*"))) == finished
    sent_bytes, uploads = charged(stack, "tiny-site")
    assert uploads == finished and sent_bytes <= 1048576

    dry = optimize(stack, *args, "--dry-run", cwd=tmp_path, token="tiny-site")
    assert dry.returncode == 0 and f"{finished} already done" in dry.stdout
    assert dry.stdout.count("would send ") == 8 - finished and "does NOT fit" in dry.stdout

    reset = run_pixpress(
        "admin",
        "reset-usage",
        "tiny-site",
        "--server",
        stack.url,
        cwd=tmp_path,
        PIXPRESS_ADMIN_TOKEN=ADMIN_TOKEN,
    )
    assert reset.returncode == 0, reset.stdout + reset.stderr
    assert f"usage reset: {sent_bytes / 1048576:.2f} MB -> 0.00 MB" in reset.stdout
    refused = run_pixpress(
        "admin", "reset-usage", "tiny-site", "--server", stack.url, "--admin-token", "tiny-site", cwd=tmp_path
    )
    assert refused.returncode == 1 and "admin_required" in refused.stdout

    rest = [name for name in sizes if str((media / name).resolve()) not in state["done"]]
    if sum(sizes[name] for name in rest) > 1048576:  # the rest needs more than one month's quota
        pytest.fail(f"corpus choice: the rest ({rest}) does not fit in 1 MB")
    second = optimize(stack, *args, cwd=tmp_path, token="tiny-site")
    assert second.returncode == 0, second.stdout + second.stderr
    assert f"{finished} already done" in second.stdout
    assert charged(stack, "tiny-site") == (sum(sizes.values()), 8)  # every file charged exactly once
    assert len(list(media.rglob("*.orig.*"))) == 8


def test_ctrl_c_then_rerun_sends_no_file_twice(stack: Stack, media: Path, tmp_path: Path) -> None:
    sizes = image_sizes(media)
    cmd = pixpress_command(
        "optimize", str(media), "--server", stack.url, "--output-dir", "out", "--concurrency", "1"
    )
    env = client_env(PIXPRESS_TOKEN="resume-site")
    process = subprocess.Popen(
        cmd, cwd=tmp_path, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True, env=env
    )
    assert process.stdout is not None
    seen = []
    for line in process.stdout:  # wait until two files are done
        seen.append(line)
        if line.startswith("[2/"):
            break
    assert process.poll() is None, "".join(seen)
    process.send_signal(signal.SIGINT)
    output = "".join(seen) + process.communicate(timeout=120)[0]
    assert process.returncode == 130, output
    assert "Interrupted." in output and "rerun to resume" in output and "Traceback" not in output
    _, uploads = charged(stack, "resume-site")
    assert 2 <= uploads < 8
    rerun = subprocess.run(cmd, cwd=tmp_path, capture_output=True, text=True, timeout=300, env=env)
    assert rerun.returncode == 0, rerun.stdout + rerun.stderr
    assert f"{uploads} already done" in rerun.stdout
    assert charged(stack, "resume-site") == (sum(sizes.values()), 8)  # no file sent twice
    assert sorted(image_sizes(tmp_path / "out")) == sorted(sizes)


def test_siblings_are_real_webp_and_avif(stack: Stack, tmp_path: Path, corpus: Path) -> None:
    folder = tmp_path / "site"
    folder.mkdir()
    shutil.copy(corpus / "graphic" / "hopper.png", folder / "hopper.png")
    shutil.copy(corpus / "photo" / "paris_exif_xmp_icc.jpg", folder / "paris.jpg")
    done = optimize(
        stack, str(folder), "--siblings", "webp,avif", "--concurrency", "2", cwd=tmp_path, token="bulk-site"
    )
    assert done.returncode == 0, done.stdout + done.stderr
    assert image_kind((folder / "hopper.webp").read_bytes()[:64]) == "webp"
    for stem in ("hopper", "paris"):
        assert image_kind((folder / f"{stem}.avif").read_bytes()[:64]) == "avif"
    # paris.jpg's WebP would be larger than the JPEG itself: the server drops it (never bigger) and no
    # sibling is written; a browser offered no WebP takes the smaller JPEG.
    assert not (folder / "paris.webp").exists()
    again = optimize(stack, str(folder), "--siblings", "webp,avif", cwd=tmp_path, token="bulk-site")
    assert again.returncode == 0 and "0 files to send" in again.stdout  # siblings are not inputs


@pytest.mark.usefixtures("serve_available")
def test_a_vanishing_server_gives_a_clear_error(media: Path, tmp_path: Path) -> None:
    (tmp_path / "lone").mkdir()
    lone = serve(tmp_path / "lone")  # no licence server: the development default quota
    try:
        cmd = pixpress_command(
            "optimize", str(media), "--server", lone.url, "--output-dir", "out", "--concurrency", "1"
        )
        process = subprocess.Popen(
            cmd,
            cwd=tmp_path,
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            text=True,
            env=client_env(PIXPRESS_TOKEN="t"),
        )
        assert process.stdout is not None
        seen = []
        for line in process.stdout:
            seen.append(line)
            if line.startswith("[1/"):
                break
        assert process.poll() is None, "".join(seen)
        assert lone.process is not None
        os.killpg(lone.process.pid, signal.SIGKILL)
        lone.process.wait()
        output = "".join(seen) + process.communicate(timeout=180)[0]
    finally:
        lone.stop()
    assert process.returncode == 4, output
    assert f"Stopped: the server at {lone.url} cannot be reached." in output
    assert "Traceback" not in output and "files not sent yet" in output
    state = json.loads((tmp_path / ".pixpress-state.json").read_text())
    assert len(state["done"]) >= 1  # what finished before is kept for the rerun


def test_progress_bar_on_a_terminal(stack: Stack, media: Path, tmp_path: Path) -> None:
    master, slave = pty.openpty()
    process = subprocess.Popen(
        pixpress_command(
            "optimize", str(media / "2024"), "--server", stack.url, "--output-dir", str(tmp_path / "tty-out")
        ),
        cwd=tmp_path,
        stdin=slave,
        stdout=slave,
        stderr=slave,
        env=client_env(PIXPRESS_TOKEN="terminal-site", TERM="xterm", COLUMNS="160"),
    )
    os.close(slave)
    screen = b""
    deadline = time.monotonic() + 180
    while time.monotonic() < deadline:
        ready, _, _ = select.select([master], [], [], 0.5)
        if ready:
            try:
                chunk = os.read(master, 65536)
            except OSError:  # the child closed the terminal
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
    assert "optimizing" in text and "4/4 files" in text and "ETA" in text
    assert " -> " in text and "%" in text  # bytes in -> out and the savings
    assert "[1/4] ok" not in text  # the plain log lines are for pipes only


def test_a_second_ctrl_c_stops_at_once_and_the_rerun_is_charged_once(
    stack: Stack, tmp_path: Path, corpus: Path
) -> None:
    folder = tmp_path / "photos"
    folder.mkdir()
    for name in ("hopper.png", "logo.png"):
        shutil.copy(corpus / "graphic" / name, folder / name)
    for name in ("dog_exif_extended_xmp_icc.jpg", "astronaut.png", "kodim08.png", "motorcycle_left.png"):
        shutil.copy(corpus / "photo" / name, folder / name)
    sizes = image_sizes(folder)
    cmd = pixpress_command("optimize", str(folder), "--server", stack.url, "--in-place", "--concurrency", "2")
    env = client_env(PIXPRESS_TOKEN="double-site")
    process = subprocess.Popen(
        cmd, cwd=tmp_path, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True, env=env
    )
    assert process.stdout is not None
    seen = []
    for line in process.stdout:
        seen.append(line)
        if line.startswith("[1/"):
            break
    assert process.poll() is None, "".join(seen)
    process.send_signal(signal.SIGINT)
    time.sleep(0.3)
    process.send_signal(signal.SIGINT)
    output = "".join(seen) + process.communicate(timeout=60)[0]
    assert process.returncode == 130, output
    assert "Interrupted." in output and "Traceback" not in output
    rerun = subprocess.run(cmd, cwd=tmp_path, capture_output=True, text=True, timeout=300, env=env)
    assert rerun.returncode == 0, rerun.stdout + rerun.stderr
    # uploads abandoned by the second Ctrl-C were sent again with the same Idempotency-Key: charged once
    assert charged(stack, "double-site") == (sum(sizes.values()), 6)
    assert len(list(folder.glob("*.orig.*"))) == 6 and not list(folder.glob(".pixpress-*"))
