"""The quota path: GET /api/optimize/quota under load, and what the licence check and the charge
cost a submit, with the token cached and uncached (against the reference licence server)."""

from __future__ import annotations

import itertools
import signal
import struct
import subprocess
import sys
import tempfile
import threading
import time
import zlib
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import httpx

from bench.common import BenchConfig, median, percentile
from bench.service import free_port, running_server

TOKENS = '[tokens."bench-token"]\nquota_mb = 100000\nsubscription_type = "premium"\n'


@dataclass(frozen=True)
class QuotaFigures:
    clients: int
    quota_rps: float
    quota_p50_ms: float
    quota_p99_ms: float
    health_rps: float  # baseline: GET /health on the same server, same clients
    health_p99_ms: float
    health_ms: float  # baseline: median of one GET /health at a time
    submit_cached_ms: float
    submit_uncached_ms: float
    licence_calls_cached: int  # requests the licence server saw during the cached submits
    licence_calls_uncached: int
    submits: int
    check_and_charge_cached_ms: float  # in process: authenticate + charge, SQLite


def tiny_png(variant: int = 0) -> bytes:
    """An 8x8 PNG; each `variant` other bytes (the same bytes again from one token would be a free
    re-upload of the first task, not the submit being measured)."""

    def chunk(kind: bytes, payload: bytes) -> bytes:
        return (
            struct.pack(">I", len(payload)) + kind + payload + struct.pack(">I", zlib.crc32(kind + payload))
        )

    raw = b"".join(b"\x00" + bytes(range(24)) for _ in range(8))
    return (
        b"\x89PNG\r\n\x1a\n"
        + chunk(b"IHDR", struct.pack(">IIBBBBB", 8, 8, 8, 2, 0, 0, 0))
        + chunk(b"tEXt", b"Comment\x00" + str(variant).encode())
        + chunk(b"IDAT", zlib.compress(raw))
        + chunk(b"IEND", b"")
    )


def load(url: str, path: str, *, clients: int, seconds: float) -> tuple[float, list[float]]:
    """`clients` threads GET `path` for `seconds`: (requests per second, latencies in ms)."""
    latencies: list[float] = []
    lock = threading.Lock()
    started = time.monotonic()
    stop = started + seconds

    def client() -> None:
        mine: list[float] = []
        with httpx.Client(headers={"X-Token": "bench-token"}) as http:
            while time.monotonic() < stop:
                sent = time.perf_counter()
                http.get(f"{url}{path}").raise_for_status()
                mine.append((time.perf_counter() - sent) * 1000)
        with lock:
            latencies.extend(mine)

    threads = [threading.Thread(target=client) for _ in range(clients)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return len(latencies) / (time.monotonic() - started), latencies


def sequential_latency(url: str, path: str, *, count: int) -> float:
    times = []
    with httpx.Client(headers={"X-Token": "bench-token"}) as http:
        for _ in range(count):
            started = time.perf_counter()
            http.get(f"{url}{path}").raise_for_status()
            times.append((time.perf_counter() - started) * 1000)
    return median(times)


def licence_calls(licence_url: str) -> int:
    return int(httpx.get(f"{licence_url}/_stats").json()["requests"])


_VARIANTS = itertools.count()


def submit_latency(url: str, *, count: int) -> float:
    times = []
    with httpx.Client(headers={"X-Token": "bench-token"}, timeout=30) as http:
        for _ in range(count):
            data = tiny_png(next(_VARIANTS))
            started = time.perf_counter()
            response = http.post(f"{url}/api/optimize/submit", files={"file": ("t.png", data)})
            if response.status_code >= 400:
                raise RuntimeError(f"submit answered {response.status_code}: {response.text[:500]}")
            times.append((time.perf_counter() - started) * 1000)
    return median(times)


def in_process_cost(count: int) -> float:
    from pixpress.config import Settings
    from pixpress.db.migrate import upgrade
    from pixpress.db.session import Database
    from pixpress.quota import QuotaService

    with tempfile.TemporaryDirectory() as tmp:
        url = f"sqlite:///{tmp}/bench.db"
        upgrade(url)
        database = Database(url)
        service = QuotaService(settings=Settings(environment="test", data_dir=Path(tmp)), database=database)
        info = service.authenticate("bench-token", client_address="127.0.0.1")
        times = []
        for i in range(count):
            started = time.perf_counter()
            service.authenticate("bench-token", client_address="127.0.0.1")
            service.charge(token_hash=info.token_hash, size_bytes=1, task_id=f"t{i}")
            times.append((time.perf_counter() - started) * 1000)
        service.close()
        database.dispose()
    return median(times)


def run(config: BenchConfig, log: Callable[[str], None]) -> QuotaFigures:
    seconds = 0.5 if config.smoke else 5.0
    count = 3 if config.smoke else 100
    clients = 4 if config.smoke else 16
    with tempfile.TemporaryDirectory() as tmp:
        tokens = Path(tmp) / "tokens.toml"
        tokens.write_text(TOKENS)
        port = free_port()
        licence_url = f"http://127.0.0.1:{port}"
        licence = subprocess.Popen(
            [
                sys.executable,
                "-m",
                "pixpress",
                "license-server",
                "--tokens",
                str(tokens),
                "--api-key",
                "k",
                "--port",
                str(port),
            ],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        try:
            _wait_for(f"{licence_url}/_stats")
            licence_env = {
                "PIXPRESS_LICENSE_API_URL": licence_url,
                "PIXPRESS_LICENSE_API_KEY": "k",
                "PIXPRESS_MAX_PENDING_PER_TOKEN": "100000",  # submits outpace the worker here
            }
            with running_server(1, licence_env) as url:
                health_ms = sequential_latency(url, "/health", count=count)
                health_rps, health_latencies = load(url, "/health", clients=clients, seconds=seconds)
                rps, latencies = load(url, "/api/optimize/quota", clients=clients, seconds=seconds)
                submit_latency(url, count=1)  # the token is in the cache from here on
                before = licence_calls(licence_url)
                cached = submit_latency(url, count=count)
                cached_calls = licence_calls(licence_url) - before
            log(
                f"quota: {rps:.0f} GET /quota per second ({health_rps:.0f} GET /health), "
                f"submit (cached token) {cached:.1f} ms, {cached_calls} licence calls"
            )
            uncached_env = {
                **licence_env,
                "PIXPRESS_QUOTA_CACHE_TTL_S": "0",
                "PIXPRESS_QUOTA_REFRESH_INTERVAL_S": "0",
            }
            with running_server(1, uncached_env) as url:
                submit_latency(url, count=1)  # warm-up: first connection, first task
                before = licence_calls(licence_url)
                uncached = submit_latency(url, count=count)
                uncached_calls = licence_calls(licence_url) - before
            log(f"quota: submit with the cache off {uncached:.1f} ms, {uncached_calls} licence calls")
        finally:
            licence.send_signal(signal.SIGTERM)
            licence.wait(10)
    in_process = in_process_cost(20 if config.smoke else 1000)
    return QuotaFigures(
        clients=clients,
        quota_rps=rps,
        quota_p50_ms=median(latencies),
        quota_p99_ms=percentile(latencies, 99),
        health_rps=health_rps,
        health_p99_ms=percentile(health_latencies, 99),
        health_ms=health_ms,
        submit_cached_ms=cached,
        submit_uncached_ms=uncached,
        licence_calls_cached=cached_calls,
        licence_calls_uncached=uncached_calls,
        submits=count,
        check_and_charge_cached_ms=in_process,
    )


def _wait_for(url: str) -> None:
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        try:
            httpx.get(url, timeout=1)
            return
        except httpx.TransportError:
            time.sleep(0.1)
    raise RuntimeError(f"{url} did not answer")
