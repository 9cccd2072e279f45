"""Cost per image: pixpress against the image servers people would pick instead, and against plain
fixed-setting encodes of the same outputs, all measured side by side in one run.

1. imgproxy's published workload through the HTTP API: a 36-MP JPEG fitted into 500x500 by 4 concurrent
   clients. pixpress in its default mode (upload, storage, queue, perceptual search, download) against
   thumbor (Pillow engine, one process per core) and against the decode floor: Pillow's 1/8-scale JPEG
   decode alone, one process per core (Huffman decoding of every coefficient: no server can pass it).
   Peak resident memory of each server's whole process tree.
2. The default mode over corpus/photo through the service (4 clients) against plain encodes of the same
   files to the same format in one process per core: JPEG -> mozjpeg q80 (cjpeg's defaults: progressive,
   trellis quantisation, optimised scans, quantisation table 3), PNG -> libvips PNG at compression 6.
3. A 12-MP phone photo from submit to done (one client, idle service) against one plain decode + encode
   of it in one process.
4. `pixpress serve` at rest: resident memory of its process tree.
"""

from __future__ import annotations

import multiprocessing
import os
import shutil
import statistics
import tempfile
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import httpx

from bench import thumbor, workload
from bench.common import BenchConfig, site_token
from bench.procmem import PeakSampler, TreeMemory, tree_memory
from bench.service import drive, free_port, one_blas_thread, serving

BOX = 500
CLIENTS = 4
PHONE_PHOTO = "dog_exif_extended_xmp_icc.jpg"


@dataclass(frozen=True)
class ServerRow:
    """One server on imgproxy's workload."""

    server: str
    requests: int
    images_per_s: float
    peak_rss_mb: float
    peak_pss_mb: float
    processes: int
    failed: int = 0


@dataclass
class CostFigures:
    workload: str
    floor_images_per_s: float
    servers: list[ServerRow]
    default_images_per_s: float  # the default mode through the service over corpus/photo
    plain_images_per_s: float  # plain encodes of the same files, in process
    photo_latency_s: float  # 12-MP phone photo, submit -> done
    photo_plain_s: float  # one plain decode + encode of it
    idle_rss_mb: float
    idle_pss_mb: float
    idle_processes: int

    def server(self, name: str) -> ServerRow | None:
        return next((row for row in self.servers if row.server == name), None)


# --- the decode floor and plain encodes, in fresh processes ----------------------------------------


def _pillow_decodes(work: tuple[str, int]) -> int:
    import io

    from PIL import Image

    path, count = work
    data = Path(path).read_bytes()
    for _ in range(count):
        with Image.open(io.BytesIO(data)) as image:
            image.draft("RGB", (BOX, BOX))
            image.load()
    return count


def _plain_encodes(work: tuple[list[str], int]) -> int:
    import pyvips

    from pixpress.imaging.presets import MOZJPEG

    paths, rounds = work
    pyvips.cache_set_max(0)
    done = 0
    for _ in range(rounds):
        for path in paths:
            image = pyvips.Image.new_from_buffer(Path(path).read_bytes(), "").autorot()
            if path.lower().endswith(".png"):
                image.pngsave_buffer(compression=6, keep="none")
            else:
                image.jpegsave_buffer(Q=80, keep="none", **{**MOZJPEG, "quant_table": 3})
            done += 1
    return done


def _in_processes(function: Callable[..., int], chunks: list[object], warmup: object) -> float:
    """Items per second of `function` over `chunks`, one fresh process per chunk (after a warm-up)."""
    context = multiprocessing.get_context("spawn")
    with one_blas_thread(), context.Pool(len(chunks)) as pool:
        pool.map(function, [warmup] * len(chunks))
        started = time.perf_counter()
        done = sum(pool.map(function, chunks))
        return done / (time.perf_counter() - started)


def decode_floor(path: Path, *, decodes: int) -> float:
    processes = os.cpu_count() or 1
    per_process = max(1, decodes // processes)
    return _in_processes(_pillow_decodes, [(str(path), per_process)] * processes, (str(path), 1))


def plain_throughput(paths: list[Path], *, rounds: int) -> float:
    processes = os.cpu_count() or 1
    names = [str(p) for p in paths]
    chunks: list[object] = [(names[i::processes], rounds) for i in range(processes)]
    return _in_processes(_plain_encodes, chunks, ([names[0]], 1))


def _one_plain(path: str) -> float:
    started = time.perf_counter()
    _plain_encodes(([path], 1))
    return time.perf_counter() - started


def plain_seconds(path: Path, *, runs: int) -> float:
    """Wall time of one plain decode + encode in a fresh process, median of `runs`."""
    context = multiprocessing.get_context("spawn")
    with one_blas_thread(), context.Pool(1) as pool:
        pool.map(_one_plain, [str(path)])  # warm-up
        return statistics.median(pool.map(_one_plain, [str(path)] * runs))


# --- the HTTP side ------------------------------------------------------------------------------


def _hammer(request: Callable[[httpx.Client], bool], *, clients: int, requests: int) -> tuple[float, int]:
    """(requests per second, failures): `clients` threads send `requests` requests in all."""
    counter = iter(range(requests))
    failures: list[int] = []
    lock = threading.Lock()

    def client() -> None:
        with httpx.Client(timeout=120) as http:
            for _ in counter:
                if not request(http):
                    with lock:
                        failures.append(1)

    threads = [threading.Thread(target=client) for _ in range(clients)]
    started = time.perf_counter()
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return requests / (time.perf_counter() - started), len(failures)


def pixpress_fit(url: str, data: bytes) -> Callable[[httpx.Client], bool]:
    """Upload, wait for the result, download it: what a site does to get the fitted image."""

    def request(http: httpx.Client) -> bool:
        token = {"X-Token": site_token()}
        submitted = http.post(
            f"{url}/api/optimize/submit",
            params={"wait": 30},
            data={"max_width": str(BOX), "max_height": str(BOX)},
            files={"file": ("photo36.jpg", data)},
            headers=token,
        )
        status = submitted.json()["data"]
        while status["status"] in ("queued", "processing"):
            time.sleep(0.02)
            status = http.get(f"{url}/api/optimize/status/{status['task_id']}", headers=token).json()["data"]
        if status["status"] != "done":
            return False
        got = http.get(status["download_url"], headers=token)
        return got.status_code == 200 and len(got.content) > 0

    return request


def thumbor_fit(url: str, name: str) -> Callable[[httpx.Client], bool]:
    def request(http: httpx.Client) -> bool:
        got = http.get(f"{url}/unsafe/fit-in/{BOX}x{BOX}/{name}")
        return got.status_code == 200 and len(got.content) > 0

    return request


def run_server(
    name: str, root_pid: int, request: Callable[[httpx.Client], bool], *, requests: int
) -> ServerRow:
    with httpx.Client(timeout=120) as http:
        for _ in range(2):  # warm-up: imports, first connections
            request(http)
    with PeakSampler(root_pid) as sampler:
        rate, failed = _hammer(request, clients=CLIENTS, requests=requests)
    peak = sampler.peak
    return ServerRow(name, requests, rate, peak.rss_mb, peak.pss_mb, peak.processes, failed)


def idle_memory(*, settle_s: float) -> TreeMemory:
    with serving(None) as server:
        time.sleep(settle_s)
        return tree_memory(server.pid)


def photo_latency(path: Path, *, runs: int) -> float:
    data = path.read_bytes()
    times = []
    with serving(None) as server, httpx.Client(timeout=120) as http:
        for _ in range(runs + 1):  # the first is a warm-up
            http.headers["X-Token"] = site_token()
            started = time.perf_counter()
            status = http.post(
                f"{server.url}/api/optimize/submit", params={"wait": 30}, files={"file": (path.name, data)}
            ).json()["data"]
            while status["status"] in ("queued", "processing"):
                time.sleep(0.02)
                status = http.get(f"{server.url}/api/optimize/status/{status['task_id']}").json()["data"]
            times.append(time.perf_counter() - started)
    return statistics.median(times[1:])


def run(config: BenchConfig, log: Callable[[str], None]) -> CostFigures:
    cache = Path(__file__).resolve().parent / "out"
    big = workload.camera_jpeg(config.corpus, cache)
    requests = 8 if config.smoke else 48
    floor = decode_floor(big, decodes=8 if config.smoke else 48)
    log(f"cost: decode floor (Pillow 1/8-scale decode, one process per core) {floor:.2f} images/s")
    servers = []
    command = thumbor.install(cache)
    with tempfile.TemporaryDirectory() as root:
        shutil.copyfile(big, Path(root) / big.name)
        with thumbor.running_thumbor(
            command, root=Path(root), port=free_port(), processes=os.cpu_count() or 1
        ) as (url, pid):
            servers.append(run_server("thumbor", pid, thumbor_fit(url, big.name), requests=requests))
    with serving(None) as server:
        fit = pixpress_fit(server.url, big.read_bytes())
        servers.append(run_server("pixpress", server.pid, fit, requests=requests))
    for row in servers:
        log(
            f"cost: {row.server} {row.images_per_s:.2f} images/s, peak RSS {row.peak_rss_mb:.0f} MB, "
            f"PSS {row.peak_pss_mb:.0f} MB ({row.processes} processes), {row.failed} failed"
        )
    photos = config.images("photo")
    images = [p.read_bytes() for p in photos]
    with serving(None) as server:
        drive(server.url, images[:1], clients=1, requests=1)
        requests = max(CLIENTS, 2 * len(images))
        default = drive(server.url, images, clients=CLIENTS, requests=requests).images_per_s
    plain = plain_throughput(photos, rounds=1 if config.smoke else 3)
    log(f"cost: default mode {default:.2f} images/s through the service, plain encodes {plain:.2f} images/s")
    phone = config.corpus / "photo" / PHONE_PHOTO
    runs = 1 if config.smoke else 3
    latency = photo_latency(phone, runs=runs)
    plain_s = plain_seconds(phone, runs=runs)
    log(f"cost: 12-MP photo submit->done {latency:.2f} s, plain decode+encode {plain_s:.2f} s")
    idle = idle_memory(settle_s=3 if config.smoke else 10)
    log(f"cost: idle serve RSS {idle.rss_mb:.0f} MB, PSS {idle.pss_mb:.0f} MB ({idle.processes} processes)")
    return CostFigures(
        workload=f"{workload.WIDTH}x{workload.HEIGHT} JPEG of {big.stat().st_size} bytes into {BOX}x{BOX}",
        floor_images_per_s=floor,
        servers=servers,
        default_images_per_s=default,
        plain_images_per_s=plain,
        photo_latency_s=latency,
        photo_plain_s=plain_s,
        idle_rss_mb=idle.rss_mb,
        idle_pss_mb=idle.pss_mb,
        idle_processes=idle.processes,
    )
