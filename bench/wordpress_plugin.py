"""The WordPress plugin against a real WordPress and a real `pixpress serve`, measured at the server.

python -m bench.wordpress_plugin [--uploads 2] [--library 20]

Brings up Debian's WordPress (clients/wordpress/dev/wp-up.sh: MariaDB, `php -S` with 4 workers), the
plugin pointed at a `pixpress serve` started here (INFO logs: its access log counts every call the
plugin makes), WebP and AVIF on, glossy. Then:

- uploads: photos uploaded one at a time through the REST media endpoint, no page view and no
  WP-Cron (a must-use plugin leaves WP-Cron nothing due, so only the plugin's loopback runner can
  start the work): seconds from the upload's answer to the attachment optimized, and the calls the
  server received meanwhile. A ~1-MP photo (the corpus's 1000x872 Hubble JPEG) and a ~12-MP one (a
  corpus photo upscaled with pyvips to 4242x2828, so WordPress keeps it beside its -scaled copy)
  among them. Each is compared with the service's own time for the same job: the bytes and options
  the plugin sent (its source file, format=auto, accept, accept_for, the sizes), submitted directly with
  ?wait=30 and polled every 0.1 s from another token.
- library: `--library` images (the corpus's photos, then its graphics) uploaded with automatic
  optimization off, then bulk-optimized (Pixpress_Bulk::start, then Pixpress_Processor::run with 4
  in flight, as the loopback runner runs it, until the queue is empty; the bulk page's ticks and
  WP-Cron keep one in flight, which changes the time, not what is sent), lossy
  with WebP to keep the run short: bytes and uploads charged by the server against the bytes of the
  files the plugin uploaded (each attachment's source, once).

The server's task time limit is raised to 600 s (the default 120 s ends a 12-MP glossy job with 8
outputs in 3 formats on a busy 2-core machine, the plugin's upload and the direct one alike).

Prints a Markdown summary and writes bench/out/wordpress_plugin.json. Needs root and the packages of
`make wordpress-deps`, like the plugin's tests. Every process that runs NumPy has one BLAS thread
(OPENBLAS_NUM_THREADS=1).
"""

from __future__ import annotations

import argparse
import json
import os
import re
import statistics
import subprocess
import tempfile
import time
from collections import Counter
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

import httpx

from bench.common import DEFAULT_CORPUS, REPO_ROOT, site_token
from bench.service import free_port, serving

DEV_DIR = REPO_ROOT / "clients" / "wordpress" / "dev"
OUT = REPO_ROOT / "bench" / "out"
ADMIN_TOKEN = "bench-admin-token-0001"
SITE_TOKEN = "bench-wordpress-site-0001"
ACCESS = re.compile(r"pixpress\.access \[\w+\] (GET|POST|DELETE) (/api/optimize/\w+)(\S*) (\d{3}) ")
TASK_ID = re.compile(r"^/([0-9a-f-]{36})")
NO_CRON = "<?php add_filter('pre_get_ready_cron_jobs', function () { return array(); });\n"
TWELVE_MP = (4242, 2828)
SETTINGS = {"mode": "glossy", "webp": True, "avif": True, "picture": True, "keep_metadata": "icc"}
# The library's figure is charged bytes against uploaded bytes, which settings do not change: lossy
# with WebP keeps its run short.
LIBRARY_SETTINGS = {"mode": "lossy", "webp": True, "avif": False, "picture": True, "keep_metadata": "icc"}
TASK_TIME_LIMIT_S = 600


# --- the two servers ------------------------------------------------------------------------------


@dataclass
class Pixpress:
    url: str
    log_path: Path

    def mark(self) -> int:
        return self.log_path.stat().st_size

    def _access_since(self, mark: int) -> list[re.Match[str]]:
        with self.log_path.open("rb") as log:
            log.seek(mark)
            text = log.read().decode(errors="replace")
        return list(ACCESS.finditer(text))

    def calls_since(self, mark: int) -> list[str]:
        """The /api/optimize calls logged since `mark`: submit, status, download..."""
        return [m.group(2).split("/")[3] for m in self._access_since(mark)]

    def task_calls_since(self, mark: int) -> dict[str, int]:
        """Status and download calls per task id since `mark` (a submit names no task)."""
        tasks = (TASK_ID.match(m.group(3)) for m in self._access_since(mark))
        return dict(Counter(task.group(1) for task in tasks if task))

    def charged(self, token: str) -> tuple[int, int]:
        usage = httpx.get(
            f"{self.url}/api/admin/usage",
            params={"token": token},
            headers={"X-Token": ADMIN_TOKEN},
            timeout=30,
        ).json()["data"]
        periods = [usage["current_period"], *usage["past_periods"]]
        return sum(int(p["used_bytes"]) for p in periods), sum(int(p["uploads"]) for p in periods)


@contextmanager
def pixpress_serve(tmp: Path) -> Iterator[Pixpress]:
    tokens = tmp / "tokens.toml"
    tokens.write_text(f'[tokens."{SITE_TOKEN}"]\nquota_mb = 100000.0\n')
    env = {
        "OPENBLAS_NUM_THREADS": "1",
        "PIXPRESS_LOG_LEVEL": "INFO",  # the access log: one line per call
        "PIXPRESS_TOKENS_FILE": str(tokens),
        "PIXPRESS_ADMIN_TOKENS": ADMIN_TOKEN,
        # The default 120 s ends a 12-MP glossy job with 8 outputs in 3 formats on a busy 2-core box:
        # the figures are about the plugin's overhead, so the job is let finish.
        "PIXPRESS_TASK_TIME_LIMIT_S": str(TASK_TIME_LIMIT_S),
    }
    with serving(None, env, data_dir=tmp) as server:
        yield Pixpress(server.url, tmp / "serve.log")


@dataclass
class WordPress:
    env: dict[str, Any]
    run_dir: Path

    @property
    def url(self) -> str:
        return str(self.env["url"])

    @property
    def uploads(self) -> Path:
        return Path(self.env["content_dir"]) / "uploads"

    def php_json(self, body: str) -> Any:
        code = f"echo json_encode((function () {{\n{body}\n}})());"
        done = subprocess.run(
            [str(DEV_DIR / "wp-php.sh"), str(self.run_dir)],
            input=code,
            capture_output=True,
            text=True,
            check=False,
        )
        if done.returncode != 0:
            raise RuntimeError(f"PHP failed:\n{code}\n{done.stderr}")
        return json.loads(done.stdout)

    def upload(self, path: Path) -> int:
        mime = "image/png" if path.suffix == ".png" else "image/jpeg"
        response = httpx.post(
            self.url,
            params={"rest_route": "/wp/v2/media"},
            content=path.read_bytes(),
            headers={"Content-Type": mime, "Content-Disposition": f'attachment; filename="{path.name}"'},
            auth=(self.env["admin_user"], self.env["app_password"]),
            timeout=300,
        )
        if response.status_code != 201:
            raise RuntimeError(f"upload answered {response.status_code}: {response.text[:500]}")
        return int(response.json()["id"])

    def configure(self, **settings: Any) -> None:
        payload = json.dumps(settings).replace("\\", "\\\\").replace("'", "\\'")
        self.php_json(
            "update_option('pixpress_settings', array_merge(get_option('pixpress_settings'),"
            f" json_decode('{payload}', true))); delete_transient('pixpress_features'); return true;"
        )

    def record(self, attachment_id: int) -> dict[str, Any]:
        value = self.php_json(f"return get_post_meta({attachment_id}, '_pixpress', true) ?: new stdClass;")
        return value if isinstance(value, dict) else {}


@contextmanager
def wordpress(tmp: Path) -> Iterator[WordPress]:
    run_dir = tmp / "wordpress"
    port = free_port()
    env = {**os.environ, "WP_PORT": str(port), "WP_NAME": f"bench-{os.getpid()}", "WP_SKIP_DEPS": "1"}
    try:
        up = subprocess.run(
            [str(DEV_DIR / "wp-up.sh"), str(run_dir)], env=env, capture_output=True, text=True, check=False
        )
        if up.returncode != 0:
            raise RuntimeError(f"wp-up.sh failed:\n{up.stderr[-3000:]}")
        site = WordPress(json.loads(up.stdout), run_dir)
        activated = subprocess.run(
            [str(DEV_DIR / "wp-activate-plugin.sh"), str(run_dir), "pixpress"], capture_output=True, text=True
        )
        if activated.returncode != 0:
            raise RuntimeError(f"activation failed:\n{activated.stderr}")
        yield site
    finally:
        subprocess.run([str(DEV_DIR / "wp-down.sh"), str(run_dir)], capture_output=True, check=False)


# --- the images -----------------------------------------------------------------------------------


def twelve_mp(corpus: Path, out: Path) -> Path:
    """A ~12-MP JPEG: a corpus photo upscaled with pyvips (Q90, as a camera saves)."""
    import pyvips

    path = out / "photo-12mp.jpg"
    if not path.is_file():
        image = pyvips.Image.new_from_file(str(corpus / "photo" / "kodim08.png"))
        image = image.resize(TWELVE_MP[0] / image.width, kernel="lanczos3")
        image.jpegsave(str(path), Q=90)
    return path


def upload_set(corpus: Path, out: Path, count: int) -> list[Path]:
    """The ~1-MP and ~12-MP photos first, then other corpus photos."""
    chosen = [corpus / "photo" / "hubble_deep_field.jpg", twelve_mp(corpus, out)]
    others = [corpus / "photo" / n for n in ("retina.jpg", "rocket.jpg", "kodim03.png", "kodim07.png")]
    return (chosen + others)[:count]


def library_set(corpus: Path, count: int) -> list[Path]:
    images = sorted((corpus / "photo").iterdir()) + sorted((corpus / "graphic").iterdir())
    return [p for p in images if p.suffix.lower() in (".png", ".jpg", ".jpeg")][:count]


# --- measurements ---------------------------------------------------------------------------------


@dataclass
class UploadRow:
    image: str
    pixels_mp: float
    calls: dict[str, int]
    upload_request_s: float
    upload_to_optimized_s: float
    service_s: float
    sent_bytes: int
    files: int

    @property
    def total_calls(self) -> int:
        return sum(self.calls.values())

    @property
    def ratio(self) -> float:
        return self.upload_to_optimized_s / self.service_s


@dataclass
class Figures:
    uploads: list[UploadRow] = field(default_factory=list)
    library: dict[str, Any] = field(default_factory=dict)


def _wait_optimized(site: WordPress, attachment_id: int, timeout_s: float = 900) -> dict[str, Any]:
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        rec = site.record(attachment_id)
        if rec.get("status") in ("optimized", "failed", "skipped"):
            return rec
        time.sleep(0.25)
    raise RuntimeError(f"attachment {attachment_id} not optimized after {timeout_s} s: {rec}")


def service_time(server: Pixpress, site: WordPress, attachment_id: int, rec: dict[str, Any]) -> float:
    """The same job submitted directly: the source file's bytes and the plugin's options."""
    job = site.php_json(
        f"$files = Pixpress_Attachment::files({attachment_id});"
        "$source = isset($files[Pixpress_Attachment::ORIGINAL]) ? Pixpress_Attachment::ORIGINAL : 'full';"
        "$specs = Pixpress_Optimizer::size_specs($files, $source);"
        "$backup = Pixpress_Backup::path($files[$source]['rel']);"
        "return array('path' => is_file($backup) ? $backup : $files[$source]['path'],"
        " 'sizes' => implode(',', $specs), 'accept' => implode(',', Pixpress_Settings::sibling_formats()),"
        " 'accept_for' => Pixpress_Attachment::ORIGINAL === $source ? 'sizes' : 'all');"
    )
    token = site_token()
    tokens = server.log_path.parent / "tokens.toml"
    tokens.write_text(tokens.read_text() + f'\n[tokens."{token}"]\nquota_mb = 100000.0\n')
    time.sleep(1.5)  # the server re-reads its tokens file
    fields = {"mode": SETTINGS["mode"], "keep_metadata": "icc", "format": "auto", "accept": job["accept"]}
    fields["accept_for"] = job[
        "accept_for"
    ]  # the real original's WebP/AVIF are not asked (the plugin's rule)
    if job["sizes"] and any(e.get("via") == "sizes" for e in rec["files"].values()):
        fields["sizes"] = job["sizes"]
    data = Path(job["path"]).read_bytes()
    with httpx.Client(timeout=600, headers={"X-Token": token}) as http:
        started = time.perf_counter()
        status = http.post(
            f"{server.url}/api/optimize/submit",
            params={"wait": 30},
            data=fields,
            files={"file": ("upload.jpg", data, "application/octet-stream")},
        ).json()["data"]
        while status["status"] in ("queued", "processing"):
            time.sleep(0.1)
            status = http.get(f"{server.url}/api/optimize/status/{status['task_id']}").json()["data"]
        took = time.perf_counter() - started
    if status["status"] != "done":
        raise RuntimeError(f"the service's own job failed: {status.get('error')}")
    return took


def measure_uploads(server: Pixpress, site: WordPress, images: list[Path], log: Any) -> list[UploadRow]:
    import pyvips

    site.configure(token=SITE_TOKEN, auto_optimize=True, **SETTINGS)
    mu = Path(site.env["content_dir"]) / "mu-plugins" / "bench-no-cron.php"
    mu.write_text(NO_CRON)
    rows = []
    try:
        for image in images:
            mark = server.mark()
            started = time.perf_counter()
            attachment_id = site.upload(image)
            answered = time.perf_counter()
            rec = _wait_optimized(site, attachment_id)
            took = time.perf_counter() - answered
            time.sleep(1.0)  # the last download's log line
            calls = server.calls_since(mark)
            own = service_time(server, site, attachment_id, rec)
            picture = pyvips.Image.new_from_file(str(image))
            row = UploadRow(
                image=image.name,
                pixels_mp=round(picture.width * picture.height / 1e6, 2),
                calls={kind: calls.count(kind) for kind in sorted(set(calls))},
                upload_request_s=round(answered - started, 2),
                upload_to_optimized_s=round(took, 2),
                service_s=round(own, 2),
                sent_bytes=sum(int(e.get("sent_bytes", 0)) for e in rec["files"].values()),
                files=len(rec["files"]),
            )
            log(
                f"{row.image}: {row.pixels_mp} MP, {row.total_calls} calls {row.calls}, "
                f"{row.upload_to_optimized_s} s (service {row.service_s} s), status {rec['status']}"
            )
            rows.append(row)
    finally:
        mu.unlink(missing_ok=True)
    return rows


def measure_library(server: Pixpress, site: WordPress, images: list[Path], log: Any) -> dict[str, Any]:
    token = "bench-wordpress-library-0001"
    tokens = server.log_path.parent / "tokens.toml"
    tokens.write_text(tokens.read_text() + f'\n[tokens."{token}"]\nquota_mb = 100000.0\n')
    time.sleep(1.5)
    site.configure(token=token, auto_optimize=False, **LIBRARY_SETTINGS)
    ids = [site.upload(image) for image in images]
    sources = site.php_json(
        "$sizes = array();"
        f"foreach (array({','.join(map(str, ids))}) as $id) {{"
        " $files = Pixpress_Attachment::files($id);"
        " $source = isset($files[Pixpress_Attachment::ORIGINAL]) ? Pixpress_Attachment::ORIGINAL : 'full';"
        " $sizes[$id] = array_map(function ($f) { return filesize($f['path']); }, $files);"
        " $sizes[$id]['source'] = $source; }"
        "return $sizes;"
    )
    mark = server.mark()
    started = time.perf_counter()
    site.php_json("Pixpress_Bulk::start(); return true;")
    ticks = 0
    while site.php_json("return Pixpress_Queue::count();") > 0:
        # 4 in flight, as the loopback runner runs (a tick of the bulk page keeps one).
        site.php_json("return Pixpress_Processor::run(40.0, false, Pixpress_Processor::IN_FLIGHT);")
        ticks += 1
    took = time.perf_counter() - started
    time.sleep(1.0)
    calls = server.calls_since(mark)
    per_task = server.task_calls_since(mark)
    records = {i: site.record(i) for i in ids}
    # Calls per attachment: a submit per task of its files, then that task's polls and downloads.
    per_upload = []
    for rec in records.values():
        tasks = {e["task_id"] for e in rec.get("files", {}).values() if e.get("task_id")}
        per_upload.append(sum(1 + per_task.get(t, 0) for t in tasks))
    problems = {
        images[ids.index(i)].name: sorted(
            {str(e.get("error")) for e in rec.get("files", {}).values() if e.get("error")}
        )
        for i, rec in records.items()
        if rec.get("status") != "optimized"
    }
    charged_bytes, charged_uploads = server.charged(token)
    sent = sum(int(e.get("sent_bytes", 0)) for rec in records.values() for e in rec.get("files", {}).values())
    uploaded = sum(int(s[s["source"]]) for s in sources.values())
    every_file = sum(int(v) for s in sources.values() for k, v in s.items() if k != "source")
    result = {
        "images": len(ids),
        "seconds": round(took, 1),
        "ticks": ticks,
        "calls": {kind: calls.count(kind) for kind in sorted(set(calls))},
        "calls_per_upload": {"median": statistics.median(per_upload), "max": max(per_upload)},
        "not_optimized": problems,
        "charged_bytes": charged_bytes,
        "charged_uploads": charged_uploads,
        "source_bytes": uploaded,
        "plugin_sent_bytes": sent,
        "all_files_bytes": every_file,
        "statuses": dict(
            sorted(
                {
                    s: [r.get("status") for r in records.values()].count(s)
                    for s in {r.get("status") for r in records.values()}
                }.items()
            )
        ),
    }
    log(f"library: {result}")
    return result


def report(figures: Figures) -> str:
    lines = [
        "| upload | MP | calls (submit/status/download) | upload → optimized | service alone | ratio |",
        "|---|---:|---|---:|---:|---:|",
    ]
    for row in figures.uploads:
        lines.append(
            f"| {row.image} | {row.pixels_mp} | {row.total_calls} ({row.calls.get('submit', 0)}/"
            f"{row.calls.get('status', 0)}/{row.calls.get('download', 0)}) | {row.upload_to_optimized_s} s "
            f"| {row.service_s} s | {row.ratio:.2f} |"
        )
    totals = [row.total_calls for row in figures.uploads]
    if totals:
        lines.append("")
        lines.append(f"Calls per upload: median {statistics.median(totals)}, max {max(totals)}.")
    lib = figures.library
    if lib:
        lines.append(
            f"Library of {lib['images']}: charged {lib['charged_bytes']:,} bytes in "
            f"{lib['charged_uploads']} uploads for {lib['source_bytes']:,} bytes of source files uploaded "
            f"(every file of the library: {lib['all_files_bytes']:,} bytes); {lib['seconds']} s, "
            f"calls {lib['calls']} (per upload: median {lib['calls_per_upload']['median']}, max "
            f"{lib['calls_per_upload']['max']}), statuses {lib['statuses']}, not optimized "
            f"{lib['not_optimized'] or 'none'}."
        )
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(
        prog="python -m bench.wordpress_plugin", description=__doc__.split("\n")[0]
    )
    parser.add_argument("--corpus", type=Path, default=DEFAULT_CORPUS)
    parser.add_argument(
        "--uploads",
        type=int,
        default=2,
        help="photos uploaded one by one (the ~1-MP, the ~12-MP, then others; 0: none)",
    )
    parser.add_argument("--library", type=int, default=20, help="images bulk-optimized (0: none)")
    args = parser.parse_args(argv)
    os.environ["OPENBLAS_NUM_THREADS"] = "1"
    OUT.mkdir(parents=True, exist_ok=True)
    figures = Figures()
    with tempfile.TemporaryDirectory(prefix="pixpress-bench-wp-") as tmp_name:
        tmp = Path(tmp_name)
        with pixpress_serve(tmp) as server, wordpress(tmp) as site:
            site.configure(server_url=server.url, allow_private=True, token=SITE_TOKEN)
            figures.uploads = measure_uploads(server, site, upload_set(args.corpus, OUT, args.uploads), print)
            if args.library:
                figures.library = measure_library(server, site, library_set(args.corpus, args.library), print)
    (OUT / "wordpress_plugin.json").write_text(
        json.dumps({"uploads": [asdict(r) for r in figures.uploads], "library": figures.library}, indent=2)
    )
    print(report(figures))


if __name__ == "__main__":
    main()
