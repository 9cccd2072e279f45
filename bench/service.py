"""Images per second and submit->done latency through the real HTTP API of `pixpress serve`,
next to the raw in-process encode throughput of the same images."""

from __future__ import annotations

import multiprocessing
import os
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, replace
from pathlib import Path

import httpx

from bench.common import BenchConfig, median, percentile, site_token


@dataclass(frozen=True)
class ServiceRow:
    workers: int
    clients: int
    requests: int
    images_per_s: float
    p50_ms: float
    p95_ms: float
    p99_ms: float
    failed: int = 0


@dataclass(frozen=True)
class RawRow:
    processes: int
    images_per_s: float


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@dataclass(frozen=True)
class Server:
    url: str
    pid: int  # of `pixpress serve`, the root of its process tree


@contextmanager
def running_server(workers: int | None, env: dict[str, str] | None = None) -> Iterator[str]:
    """`pixpress serve` on the embedded default in a temporary data dir (workers None: its default)."""
    with serving(workers, env) as server:
        yield server.url


@contextmanager
def serving(
    workers: int | None, env: dict[str, str] | None = None, *, data_dir: Path | None = None
) -> Iterator[Server]:
    """`pixpress serve` on a free port, its output in serve.log of its data dir (a temporary one unless
    given), until /ready answers; stopped by SIGTERM at the end."""
    if data_dir is None:
        with (
            tempfile.TemporaryDirectory() as temporary,
            serving(workers, env, data_dir=Path(temporary)) as server,
        ):
            yield server
        return
    port = free_port()
    command = [sys.executable, "-m", "pixpress", "serve", "--port", str(port)]
    if workers is not None:
        command += ["--workers", str(workers)]
    log_path = data_dir / "serve.log"
    with log_path.open("wb") as log:
        process = subprocess.Popen(
            command,
            env={
                **os.environ,
                "PIXPRESS_DATA_DIR": str(data_dir),
                "PIXPRESS_ENVIRONMENT": "test",
                "PIXPRESS_LOG_LEVEL": "WARNING",
                **(env or {}),
            },
            stdout=log,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
        url = f"http://127.0.0.1:{port}"
        try:
            deadline = time.monotonic() + 90
            while True:
                try:
                    if httpx.get(f"{url}/ready", timeout=1).status_code == 200:
                        break
                except httpx.TransportError:
                    pass
                if time.monotonic() > deadline or process.poll() is not None:
                    raise RuntimeError("pixpress serve did not start:\n" + log_path.read_text()[-3000:])
                time.sleep(0.1)
            yield Server(url, process.pid)
        finally:
            process.send_signal(signal.SIGTERM)
            try:
                process.wait(60)
            except subprocess.TimeoutExpired:
                os.killpg(process.pid, signal.SIGKILL)
                process.wait()


def drive(url: str, images: list[bytes], *, clients: int, requests: int) -> ServiceRow:
    """`clients` threads submit with ?wait=30 until `requests` uploads have finished."""
    latencies: list[float] = []
    failed: list[str] = []
    lock = threading.Lock()
    counter = iter(range(requests))

    def client() -> None:
        with httpx.Client(timeout=120) as http:
            for index in counter:
                http.headers["X-Token"] = site_token()
                data = images[index % len(images)]
                started = time.perf_counter()
                response = http.post(
                    f"{url}/api/optimize/submit", params={"wait": 30}, files={"file": ("image", data)}
                )
                response.raise_for_status()
                status = response.json()["data"]
                while status["status"] not in ("done", "failed"):
                    time.sleep(0.05)
                    polled = http.get(f"{url}/api/optimize/status/{status['task_id']}")
                    polled.raise_for_status()
                    status = polled.json()["data"]
                with lock:
                    latencies.append(time.perf_counter() - started)
                    if status["status"] == "failed":
                        failed.append(str(status.get("error")))

    threads = [threading.Thread(target=client) for _ in range(clients)]
    started = time.perf_counter()
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    elapsed = time.perf_counter() - started
    ms = [t * 1000 for t in latencies]
    if len(latencies) != requests:
        raise RuntimeError(f"{requests - len(latencies)} of {requests} requests did not finish")
    return ServiceRow(
        0,
        clients,
        requests,
        requests / elapsed,
        median(ms),
        percentile(ms, 95),
        percentile(ms, 99),
        len(failed),
    )


@dataclass(frozen=True)
class SearchRow:
    """In-process throughput of a mode's quality search against a fixed setting (JPEG output)."""

    mode: str
    fixed_quality: int
    search_images_per_s: float
    fixed_images_per_s: float

    @property
    def ratio(self) -> float:
        return self.search_images_per_s / self.fixed_images_per_s


# (mode, quality, format): None keeps OptimizeOptions' default
Job = tuple[str | None, int | None, str | None]
DEFAULT_JOB: Job = (None, None, None)


def _raw_worker(work: tuple[list[str], Job]) -> int:
    from pixpress import imaging
    from pixpress.imaging.types import Limits, Mode, OptimizeOptions, OutputFormat

    paths, (mode, quality, fmt) = work
    options = OptimizeOptions()
    if mode is not None:
        options = replace(options, mode=Mode(mode))
    if quality is not None:
        options = replace(options, quality=quality)
    if fmt is not None:
        options = replace(options, format=OutputFormat(fmt))
    for path in paths:
        imaging.optimize(Path(path).read_bytes(), options=options, limits=Limits())
    return len(paths)


@contextmanager
def one_blas_thread() -> Iterator[None]:
    """Processes started inside inherit OPENBLAS_NUM_THREADS=1, as `pixpress worker` sets it for its
    worker processes (several processes each running a BLAS thread per core only contend)."""
    before = os.environ.get("OPENBLAS_NUM_THREADS")
    os.environ["OPENBLAS_NUM_THREADS"] = "1"
    try:
        yield
    finally:
        if before is None:
            del os.environ["OPENBLAS_NUM_THREADS"]
        else:
            os.environ["OPENBLAS_NUM_THREADS"] = before


def raw_throughput(paths: list[Path], *, processes: int, rounds: int, job: Job = DEFAULT_JOB) -> float:
    """imaging.optimize in a loop in `processes` fresh processes: images per second."""
    work = [str(p) for p in paths] * rounds
    chunks = [(work[i::processes], job) for i in range(processes)]
    context = multiprocessing.get_context("spawn")
    with one_blas_thread(), context.Pool(processes) as pool:
        pool.map(_raw_worker, [([str(paths[0])], job)] * processes)  # warm-up: imports, first encode
        started = time.perf_counter()
        done = sum(pool.map(_raw_worker, chunks))
        elapsed = time.perf_counter() - started
    return done / elapsed


def search_cost(paths: list[Path], log: Callable[[str], None]) -> list[SearchRow]:
    """Issue 6's throughput goal: each lossy mode's search against its fixed JPEG setting."""
    rows = []
    for mode, fixed in (("glossy", 86), ("lossy", 80)):
        searched = raw_throughput(paths, processes=1, rounds=1, job=(mode, None, "jpeg"))
        baseline = raw_throughput(paths, processes=1, rounds=1, job=(mode, fixed, "jpeg"))
        rows.append(SearchRow(mode, fixed, searched, baseline))
        log(f"search: {mode} {searched:.2f} images/s vs fixed q{fixed} {baseline:.2f} images/s")
    return rows


def run(
    config: BenchConfig, log: Callable[[str], None]
) -> tuple[list[ServiceRow], list[RawRow], list[SearchRow]]:
    paths = config.images("photo")
    images = [p.read_bytes() for p in paths]
    worker_counts = (1,) if config.smoke else (1, 2)
    client_counts = (1,) if config.smoke else (1, 4, 16)
    requests = 2 if config.smoke else 2 * len(images)
    rows: list[ServiceRow] = []
    for workers in worker_counts:
        with running_server(workers) as url:
            drive(url, images[:1], clients=1, requests=1)  # warm-up
            for clients in client_counts:
                row = drive(url, images, clients=clients, requests=max(requests, clients))
                rows.append(replace(row, workers=workers))
                log(
                    f"service: {workers} workers, {clients} clients: {row.images_per_s:.2f} images/s, "
                    f"p50 {row.p50_ms:.0f} ms, {row.failed} failed"
                )
    raw = [
        RawRow(n, raw_throughput(paths, processes=n, rounds=1 if config.smoke else 2)) for n in worker_counts
    ]
    for raw_row in raw:
        log(f"raw encode: {raw_row.processes} processes: {raw_row.images_per_s:.2f} images/s")
    search = [] if config.smoke else search_cost(paths, log)
    return rows, raw, search
