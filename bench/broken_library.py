"""A site's old library with broken files through `pixpress optimize` and a real `pixpress serve`.

    OPENBLAS_NUM_THREADS=1 python -m bench.broken_library [--files 500] [--runs 3]

500 tiny images (32-64 px), 1 in 10 broken: alternately refused at submit (a header cut short) and
undecodable in the worker (IDAT garbage throughout), the files of tests/hostile.py. Prints, per run and as
medians: files done and failed, bytes uploaded, charged and used (from the admin usage call), the wall time
of the run, and CPU time (utime+stime) of the client command and of the whole `serve` process tree.
"""

from __future__ import annotations

import argparse
import os
import resource
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import httpx
from tests import hostile
from tests.e2e.server import ServerProcess, serve

TOKEN = "library-site"
ADMIN = "admin-secret-token-0123"  # what tests.e2e.server.serve configures
TICKS_S = os.sysconf("SC_CLK_TCK")
JPEG_START = b"\xff\xd8"


def build(folder: Path, files: int) -> tuple[int, int]:
    """The library; (good files, their bytes)."""
    folder.mkdir()
    good = good_bytes = 0
    for n in range(files):
        if n % 10 == 9:
            data = hostile.png_refused_at_submit(n) if (n // 10) % 2 else hostile.undecodable_png(n)
            name = f"{n:04d}-broken.png"
        else:
            data = hostile.tiny_image(n)
            extension = "jpg" if data.startswith(JPEG_START) else "png"
            name = f"{n:04d}-image.{extension}"
            good, good_bytes = good + 1, good_bytes + len(data)
        (folder / name).write_bytes(data)
    return good, good_bytes


def tree_cpu_s(pid: int) -> float:
    """utime+stime of a process and its live descendants, plus what their reaped children used."""
    total, frontier = 0.0, [pid]
    while frontier:
        current = frontier.pop()
        try:
            fields = Path(f"/proc/{current}/stat").read_text().rsplit(")", 1)[1].split()
            children = Path(f"/proc/{current}/task/{current}/children").read_text().split()
        except OSError:
            continue
        total += sum(int(v) for v in fields[11:15]) / TICKS_S  # utime stime cutime cstime
        frontier.extend(int(c) for c in children)
    return total


def one_run(root: Path, files: int) -> dict[str, float]:
    good, good_bytes = build(root / "library", files)
    server: ServerProcess = serve(root, env={"PIXPRESS_TOKENS_FILE": str(tokens_file(root))})
    try:
        assert server.process is not None
        server_before = tree_cpu_s(server.process.pid)
        client_before = resource.getrusage(resource.RUSAGE_CHILDREN)
        started = time.monotonic()
        run = subprocess.run(
            [sys.executable, "-m", "pixpress", "optimize", str(root / "library"), "--output-dir", "out"],
            cwd=root,
            env={**os.environ, "PIXPRESS_TOKEN": TOKEN, "PIXPRESS_SERVER": server.url},
            capture_output=True,
            text=True,
            check=False,
        )
        wall_s = time.monotonic() - started
        client_after = resource.getrusage(resource.RUSAGE_CHILDREN)
        server_cpu_s = tree_cpu_s(server.process.pid) - server_before
        usage = httpx.post(
            f"{server.url}/api/admin/usage", json={"token": TOKEN}, headers={"X-Token": ADMIN}, timeout=10
        ).json()["data"]["current_period"]
    finally:
        server.stop()
    done = len(list((root / "out").iterdir()))
    uploaded = sum(p.stat().st_size for p in (root / "library").iterdir())
    return {
        "files": files,
        "good": good,
        "done": done,
        "exit": run.returncode,
        "uploaded_bytes": uploaded,
        "good_bytes": good_bytes,
        "charged_bytes": usage["charged_bytes"],
        "used_bytes": usage["used_bytes"],
        "wall_s": wall_s,
        "client_cpu_s": (client_after.ru_utime + client_after.ru_stime)
        - (client_before.ru_utime + client_before.ru_stime),
        "server_cpu_s": server_cpu_s,
    }


def tokens_file(root: Path) -> Path:
    path = root / "tokens.toml"
    path.write_text(f'[tokens."{TOKEN}"]\nquota_mb = 1000\n')
    return path


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--files", type=int, default=500)
    parser.add_argument("--runs", type=int, default=3)
    args = parser.parse_args()
    runs = []
    for number in range(args.runs):
        with tempfile.TemporaryDirectory(prefix="pixpress-library-") as tmp:
            runs.append(one_run(Path(tmp), args.files))
        print(
            f"run {number + 1}: "
            + ", ".join(f"{k} {v:.2f}" if isinstance(v, float) else f"{k} {v}" for k, v in runs[-1].items())
        )
    medians = {key: statistics.median(run[key] for run in runs) for key in runs[0]}
    print(
        "median: "
        + ", ".join(f"{k} {v:.2f}" if isinstance(v, float) else f"{k} {v}" for k, v in medians.items())
    )


if __name__ == "__main__":
    main()
