"""thumbor, the Python image server people would pick instead, run beside pixpress in the same bench.

Installed from PyPI into its own virtual environment (bench/out/thumbor-venv, made once), configured
the way a plain deployment runs it: Pillow engine, file loader, no storage, no result storage,
JPEG quality 80, one process per core.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import httpx

THUMBOR_VERSION = "7.8.0"

CONFIG = """\
LOADER = 'thumbor.loaders.file_loader'
FILE_LOADER_ROOT_PATH = {root!r}
STORAGE = 'thumbor.storages.no_storage'
RESULT_STORAGE = None
ENGINE = 'thumbor.engines.pil'
QUALITY = 80
ALLOW_UNSAFE_URL = True
MAX_AGE = 0
"""


def install(out_dir: Path) -> Path:
    """The thumbor command of a venv made with this Python, installing it the first time."""
    venv = out_dir / "thumbor-venv"
    command = venv / "bin" / "thumbor"
    if command.is_file():
        return command
    subprocess.run([sys.executable, "-m", "venv", "--clear", str(venv)], check=True)
    subprocess.run(
        [str(venv / "bin" / "python"), "-m", "pip", "install", "--quiet", f"thumbor=={THUMBOR_VERSION}"],
        check=True,
    )
    return command


@contextmanager
def running_thumbor(command: Path, *, root: Path, port: int, processes: int) -> Iterator[tuple[str, int]]:
    """(base URL, pid) of a thumbor serving the files under `root`."""
    conf = root / "thumbor.conf"
    conf.write_text(CONFIG.format(root=str(root)))
    with open(root / "thumbor.log", "wb") as log:
        process = subprocess.Popen(
            [str(command), "--port", str(port), "--conf", str(conf), "--processes", str(processes)],
            stdout=log,
            stderr=subprocess.STDOUT,
            start_new_session=True,
            env={**os.environ, "PYTHONWARNINGS": "ignore"},
        )
        url = f"http://127.0.0.1:{port}"
        try:
            deadline = time.monotonic() + 60
            while True:
                try:
                    if httpx.get(f"{url}/healthcheck", timeout=1).status_code == 200:
                        break
                except httpx.TransportError:
                    pass
                if time.monotonic() > deadline or process.poll() is not None:
                    raise RuntimeError(f"thumbor did not start (see {root / 'thumbor.log'})")
                time.sleep(0.2)
            yield url, process.pid
        finally:
            try:
                os.killpg(process.pid, signal.SIGTERM)
                process.wait(30)
            except (ProcessLookupError, subprocess.TimeoutExpired):
                os.killpg(process.pid, signal.SIGKILL)
                process.wait()
