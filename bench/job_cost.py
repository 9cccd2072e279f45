"""CPU per job, where customers pay it: the whole `pixpress serve` process tree against one plain encode of
each output, measured in the same run.

python -m bench.job_cost wordpress [--runs 3]   # a WordPress upload with its sizes in JPEG, WebP and AVIF
python -m bench.job_cost imgproxy [--runs 3]    # imgproxy's workload: a 36-MP JPEG fitted into 500x500

CPU is utime + stime of every process of the serve tree, reaped children included (cutime + cstime), so
it counts what a job costs whatever else the machine runs; each figure is the median of `--runs` jobs
after one warm-up job. Every process that runs NumPy has one BLAS thread (OPENBLAS_NUM_THREADS=1).

The WordPress job is what the plugin sends for an upload: mode=glossy, format=auto, accept=avif,webp,
keep_metadata=icc and the sizes WordPress makes (thumbnail 150x150 crop, medium 300x300, medium_large
768x0, large 1024x1024, 1536x1536; those at least as large as the upload are not sent, as WordPress
makes none). The plain peer encodes each output once with sharp's defaults and no search: libvips'
thumbnail of the upload per box, JPEG Q82 (WordPress's own quality), WebP Q80 effort 4, AVIF Q50
effort 4. The two uploads, made from the corpus's 12-MP phone photo: a 1411x1411 centre crop (a
typical product photo) and WordPress's 2560-px `-scaled` copy of the whole photo, both JPEG Q82 with
the photo's ICC profile.

imgproxy's workload: the service (upload, queue, search, storage, download) against the floor, pyvips'
`thumbnail_buffer` + `jpegsave_buffer(Q=80)` in one process; and what lies outside `optimize()`, the
service's CPU per image minus optimize()'s own on the same bytes in one process.
"""

from __future__ import annotations

import argparse
import multiprocessing
import os
import resource
import statistics
import sys
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path

import httpx

from bench import workload
from bench.common import DEFAULT_CORPUS, REPO_ROOT, site_token
from bench.procmem import descendants
from bench.service import Server, one_blas_thread, serving

CLOCK_TICKS = os.sysconf("SC_CLK_TCK")
OUT = REPO_ROOT / "bench" / "out"
PHONE_PHOTO = "photo/dog_exif_extended_xmp_icc.jpg"
WORDPRESS_QUALITY = 82
WORDPRESS_SIZES = (
    ("thumbnail", 150, 150, True),
    ("medium", 300, 300, False),
    ("medium_large", 768, 0, False),
    ("large", 1024, 1024, False),
    ("1536x1536", 1536, 1536, False),
)
WORDPRESS_OPTIONS = {"mode": "glossy", "format": "auto", "accept": "avif,webp", "keep_metadata": "icc"}
# sharp's defaults for each format, and WordPress's JPEG quality.
PLAIN_SAVERS: dict[str, tuple[str, dict[str, object]]] = {
    "jpeg": ("jpegsave_buffer", {"Q": WORDPRESS_QUALITY, "keep": "icc"}),
    "webp": ("webpsave_buffer", {"Q": 80, "effort": 4, "keep": "icc"}),
    "avif": ("heifsave_buffer", {"Q": 50, "effort": 4, "compression": "av1", "keep": "icc"}),
}
BOX = 500

# The bench measures CPU: on a shared machine under load a job's wall time can pass the task's time limit
# (a failed job measures nothing), so the served jobs get a long one.
BENCH_TIME_LIMIT_S = 900


# --- CPU of a process tree ------------------------------------------------------------------------


def _process_cpu_s(pid: int) -> float:
    """utime + stime + cutime + cstime of one process (its reaped children included)."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return sum(int(value) for value in fields[11:15]) / CLOCK_TICKS


def _command(pid: int) -> str:
    words = Path(f"/proc/{pid}/cmdline").read_bytes().split(b"\0")
    text = " ".join(w.decode(errors="replace") for w in words if w)
    return text.split(" -m ", 1)[-1][:50]


def tree_cpu(root: int) -> dict[int, tuple[str, float]]:
    """pid -> (command, CPU seconds) of `root` and every live descendant. A process that ended and was
    reaped is in its parent's cutime/cstime, so the sum counts every CPU second once."""
    found = {}
    for pid in {root} | descendants(root):
        try:
            found[pid] = (_command(pid), _process_cpu_s(pid))
        except (FileNotFoundError, ProcessLookupError, IndexError):
            continue
    return found


def cpu_between(
    before: dict[int, tuple[str, float]], after: dict[int, tuple[str, float]]
) -> dict[str, float]:
    """CPU seconds per role (the command line) between two readings of one tree."""
    spent: dict[str, float] = {}
    for pid, (command, seconds) in after.items():
        spent[command] = spent.get(command, 0.0) + seconds - before.get(pid, (command, 0.0))[1]
    return spent


# --- the WordPress job ----------------------------------------------------------------------------


@dataclass(frozen=True)
class Upload:
    name: str
    path: Path
    width: int
    height: int

    def sizes(self) -> list[tuple[str, int, int, bool]]:
        """WordPress's sizes this upload gets: those whose box is smaller than the upload on a side."""
        return [
            (name, width, height, crop)
            for name, width, height, crop in WORDPRESS_SIZES
            if (width and self.width > width) or (height and self.height > height)
        ]

    def sizes_field(self) -> str:
        return ",".join(f"{n}:{w}x{h}{':crop' if c else ''}" for n, w, h, c in self.sizes())


def wordpress_uploads(corpus: Path) -> list[Upload]:
    """bench/out/wp-1411.jpg and wp-2560-scaled.jpg, made once from the phone photo."""
    import pyvips

    OUT.mkdir(parents=True, exist_ok=True)
    made = []
    for name, square, long_side in (("wp-1411", True, 1411), ("wp-2560-scaled", False, 2560)):
        path = OUT / f"{name}.jpg"
        if not path.is_file():
            photo = pyvips.Image.new_from_buffer((corpus / PHONE_PHOTO).read_bytes(), "").autorot()
            if square:
                side = min(photo.width, photo.height)
                photo = photo.crop((photo.width - side) // 2, (photo.height - side) // 2, side, side)
            scale = long_side / max(photo.width, photo.height)
            image = photo.resize(scale, kernel="lanczos3")
            tmp = path.with_suffix(".tmp")
            tmp.write_bytes(image.jpegsave_buffer(Q=WORDPRESS_QUALITY, keep="icc", optimize_coding=True))
            tmp.replace(path)
        image = pyvips.Image.new_from_file(str(path))
        made.append(Upload(name, path, image.width, image.height))
    return made


def _plain_wordpress_job(work: tuple[str, list[tuple[str, int, int, bool]], int]) -> list[float]:
    """CPU seconds of each of `runs` plain jobs: every output (the upload and each size) in every format,
    each from the upload's bytes through libvips' thumbnail, in this process."""
    import pyvips

    path, sizes, runs = work
    pyvips.cache_set_max(0)
    data = Path(path).read_bytes()
    spent = []
    for _ in range(runs + 1):  # the first is a warm-up
        started = _self_cpu_s()
        for saver, params in PLAIN_SAVERS.values():
            full = pyvips.Image.new_from_buffer(data, "").autorot()
            getattr(full, saver)(**params)
            for _name, width, height, crop in sizes:
                box_height = height or 100_000
                image = pyvips.Image.thumbnail_buffer(
                    data, width or 100_000, height=box_height, size="down", crop="centre" if crop else "none"
                )
                getattr(image, saver)(**params)
        spent.append(_self_cpu_s() - started)
    return spent[1:]


def _self_cpu_s() -> float:
    usage = resource.getrusage(resource.RUSAGE_SELF)
    return usage.ru_utime + usage.ru_stime


def _in_fresh_process(function: Callable[..., list[float]], work: object) -> list[float]:
    context = multiprocessing.get_context("spawn")
    with one_blas_thread(), context.Pool(1) as pool:
        return pool.apply(function, (work,))


@dataclass
class JobFigures:
    job: str
    outputs: int  # files the job produces (the upload and each size, in each format)
    pixpress_cpu_s: float
    plain_cpu_s: float
    upload_to_done_s: float
    by_process: dict[str, float] = field(default_factory=dict)  # median CPU per job per role

    @property
    def ratio(self) -> float:
        return self.pixpress_cpu_s / self.plain_cpu_s


def submit_and_wait(
    server: Server, data: bytes, fields: dict[str, str], *, token: str, timeout_s: float = BENCH_TIME_LIMIT_S
) -> dict:
    with httpx.Client(timeout=timeout_s, headers={"X-Token": token}) as http:
        status = http.post(
            f"{server.url}/api/optimize/submit",
            params={"wait": 30},
            data=fields,
            files={"file": ("upload.jpg", data, "image/jpeg")},
        ).json()["data"]
        deadline = time.monotonic() + timeout_s
        while status["status"] in ("queued", "processing"):
            if time.monotonic() > deadline:
                raise RuntimeError(f"task {status['task_id']} not done within {timeout_s} s")
            time.sleep(0.1)
            status = http.get(f"{server.url}/api/optimize/status/{status['task_id']}").json()["data"]
    if status["status"] != "done":
        raise RuntimeError(f"the job failed: {status}")
    return status


def measure_jobs(
    server: Server, data: bytes, fields: dict[str, str], *, runs: int
) -> tuple[list[float], list[float], list[dict[str, float]]]:
    """(CPU seconds, upload -> done seconds, CPU per role) of `runs` jobs after a warm-up."""
    submit_and_wait(server, data, fields, token=site_token())
    cpu, wall, roles = [], [], []
    for _ in range(runs):
        time.sleep(1.0)  # let the previous job's bookkeeping settle
        before = tree_cpu(server.pid)
        started = time.perf_counter()
        submit_and_wait(server, data, fields, token=site_token())
        wall.append(time.perf_counter() - started)
        spent = cpu_between(before, tree_cpu(server.pid))
        roles.append(spent)
        cpu.append(sum(spent.values()))
    return cpu, wall, roles


def _median_roles(roles: list[dict[str, float]]) -> dict[str, float]:
    names = {name for spent in roles for name in spent}
    return {name: statistics.median(spent.get(name, 0.0) for spent in roles) for name in sorted(names)}


@contextmanager
def bench_server(env: dict[str, str] | None = None) -> Iterator[Server]:
    env = {"PIXPRESS_TASK_TIME_LIMIT_S": str(BENCH_TIME_LIMIT_S), **(env or {})}
    with one_blas_thread(), serving(None, env) as server:
        yield server


def wordpress_job(
    corpus: Path, *, runs: int, log: Callable[[str], None] = print, first_only: bool = False
) -> list[JobFigures]:
    rows = []
    uploads = wordpress_uploads(corpus)
    for upload in uploads[:1] if first_only else uploads:
        sizes = upload.sizes()
        data = upload.path.read_bytes()
        plain = statistics.median(_in_fresh_process(_plain_wordpress_job, (str(upload.path), sizes, runs)))
        with bench_server() as server:
            fields = {**WORDPRESS_OPTIONS, "sizes": upload.sizes_field()}
            cpu, wall, roles = measure_jobs(server, data, fields, runs=runs)
        row = JobFigures(
            job=f"{upload.width}x{upload.height} JPEG + {len(sizes)} sizes",
            outputs=3 * (1 + len(sizes)),
            pixpress_cpu_s=statistics.median(cpu),
            plain_cpu_s=plain,
            upload_to_done_s=statistics.median(wall),
            by_process=_median_roles(roles),
        )
        log(
            f"wordpress job {row.job}: pixpress {row.pixpress_cpu_s:.2f} s CPU, plain {plain:.2f} s,"
            f" {row.ratio:.2f}x, upload -> done {row.upload_to_done_s:.1f} s (CPU runs {cpu})"
        )
        rows.append(row)
    return rows


# --- imgproxy's workload ---------------------------------------------------------------------------


def _floor_fits(work: tuple[str, int]) -> list[float]:
    import pyvips

    path, runs = work
    pyvips.cache_set_max(0)
    data = Path(path).read_bytes()
    spent = []
    for _ in range(runs + 1):
        started = _self_cpu_s()
        pyvips.Image.thumbnail_buffer(data, BOX, height=BOX).jpegsave_buffer(Q=80)
        spent.append(_self_cpu_s() - started)
    return spent[1:]


def _optimize_fits(work: tuple[str, int]) -> list[float]:
    from dataclasses import replace

    import pyvips

    from pixpress.imaging import optimize
    from pixpress.imaging.types import Limits, OptimizeOptions

    path, runs = work
    pyvips.cache_set_max(0)
    data = Path(path).read_bytes()
    options = replace(OptimizeOptions(), max_width=BOX, max_height=BOX)
    spent = []
    for _ in range(runs + 1):
        started = _self_cpu_s()
        optimize(data, options=options, limits=Limits())
        spent.append(_self_cpu_s() - started)
    return spent[1:]


@dataclass
class FitFigures:
    service_cpu_s: float  # per image, the whole serve tree, download included
    optimize_cpu_s: float  # per image, optimize() alone in one process
    floor_cpu_s: float  # per image, thumbnail_buffer + jpegsave_buffer
    upload_to_done_s: float
    by_process: dict[str, float] = field(default_factory=dict)

    @property
    def ratio(self) -> float:
        return self.service_cpu_s / self.floor_cpu_s

    @property
    def outside_optimize_s(self) -> float:
        return self.service_cpu_s - self.optimize_cpu_s


def imgproxy_fit(corpus: Path, *, runs: int, log: Callable[[str], None] = print) -> FitFigures:
    big = workload.camera_jpeg(corpus, OUT)
    data = big.read_bytes()
    floor = statistics.median(_in_fresh_process(_floor_fits, (str(big), runs)))
    in_process = statistics.median(_in_fresh_process(_optimize_fits, (str(big), runs)))
    fields = {"max_width": str(BOX), "max_height": str(BOX)}
    with bench_server() as server:
        cpu, wall, roles = [], [], []
        submit_and_wait(server, data, fields, token=site_token())
        for _ in range(runs):
            time.sleep(1.0)
            token = site_token()
            before = tree_cpu(server.pid)
            started = time.perf_counter()
            status = submit_and_wait(server, data, fields, token=token)
            with httpx.Client(timeout=60, headers={"X-Token": token}) as http:
                http.get(status["download_url"]).raise_for_status()
            wall.append(time.perf_counter() - started)
            spent = cpu_between(before, tree_cpu(server.pid))
            roles.append(spent)
            cpu.append(sum(spent.values()))
    figures = FitFigures(
        service_cpu_s=statistics.median(cpu),
        optimize_cpu_s=in_process,
        floor_cpu_s=floor,
        upload_to_done_s=statistics.median(wall),
        by_process=_median_roles(roles),
    )
    log(
        f"imgproxy workload: service {figures.service_cpu_s * 1000:.0f} ms CPU per image, optimize()"
        f" {in_process * 1000:.0f} ms, floor {floor * 1000:.0f} ms: {figures.ratio:.2f}x the floor,"
        f" outside optimize() {figures.outside_optimize_s * 1000:.0f} ms (CPU runs {cpu})"
    )
    return figures


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m bench.job_cost", description=(__doc__ or "").split("\n")[0]
    )
    parser.add_argument("job", choices=("wordpress", "imgproxy"))
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--corpus", type=Path, default=DEFAULT_CORPUS)
    args = parser.parse_args(argv)
    os.environ["OPENBLAS_NUM_THREADS"] = "1"
    if args.job == "wordpress":
        for row in wordpress_job(args.corpus, runs=args.runs):
            for role, seconds in row.by_process.items():
                print(f"    {seconds:7.2f} s  {role}")
    else:
        fit = imgproxy_fit(args.corpus, runs=args.runs)
        for role, seconds in fit.by_process.items():
            print(f"    {seconds * 1000:7.0f} ms  {role}")
    return 0


if __name__ == "__main__":
    sys.exit(main())


# --- the report's section ---------------------------------------------------------------------------

WORDPRESS_GOAL = 2.0  # pixpress CPU per WordPress job against one plain encode per output
FIT_GOAL = 1.5  # service CPU per image on imgproxy's workload against the thumbnail floor
OUTSIDE_GOAL_S = 0.015  # CPU per image outside optimize()


def markdown(rows: list[JobFigures], fit: FitFigures | None) -> str:
    lines = [
        "| job | outputs | pixpress CPU | one plain encode each | ratio (goal <= 2x) | upload -> done |",
        "|---|---|---|---|---|---|",
    ]
    for row in rows:
        lines.append(
            f"| {row.job} | {row.outputs} | {row.pixpress_cpu_s:.2f} s | {row.plain_cpu_s:.2f} s |"
            f" **{row.ratio:.2f}x** | {row.upload_to_done_s:.1f} s |"
        )
    for row in rows:
        roles = ", ".join(f"{role}: {seconds:.2f} s" for role, seconds in row.by_process.items())
        lines.append(f"\n{row.job}, CPU per process: {roles}.")
    if fit is not None:
        lines += [
            "",
            "| imgproxy's workload, per image | CPU |",
            "|---|---|",
            f"| the floor: thumbnail_buffer + jpegsave_buffer(Q=80) | {fit.floor_cpu_s * 1000:.0f} ms |",
            f"| `optimize()` in one process | {fit.optimize_cpu_s * 1000:.0f} ms |",
            f"| the service, upload to download (goal <= {FIT_GOAL}x the floor) |"
            f" {fit.service_cpu_s * 1000:.0f} ms (**{fit.ratio:.2f}x**) |",
            f"| outside `optimize()` (goal <= {OUTSIDE_GOAL_S * 1000:.0f} ms) |"
            f" {fit.outside_optimize_s * 1000:.0f} ms |",
        ]
        roles = ", ".join(f"{role}: {seconds * 1000:.0f} ms" for role, seconds in fit.by_process.items())
        lines.append(f"\nCPU per image per process: {roles}.")
    return "\n".join(lines)


def run(corpus: Path, *, runs: int, smoke: bool, log: Callable[[str], None]) -> str:
    rows = wordpress_job(corpus, runs=runs, log=log, first_only=smoke)
    fit = imgproxy_fit(corpus, runs=runs, log=log)
    return markdown(rows, fit)
