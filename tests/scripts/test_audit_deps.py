"""scripts/audit_deps.py: its three outcomes (clean, vulnerable, not audited) against a fake OSV service
on loopback, a closed port, and, where the network allows, the real default source."""

from __future__ import annotations

import json
import socket
import subprocess
import sys
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest

from tests.conftest import REPO_ROOT

SCRIPT = REPO_ROOT / "scripts" / "audit_deps.py"
PIP_AUDIT = Path(sys.executable).parent / "pip-audit"


# jinja2 2.10's sandbox escape (CVE-2019-10906), fixed in 2.10.1, as OSV serves it.
JINJA2_ADVISORY = {
    "id": "GHSA-462w-v97r-4m45",
    "aliases": ["CVE-2019-10906", "PYSEC-2019-217"],
    "summary": "Jinja2 sandbox escape via string formatting",
    "affected": [
        {
            "package": {"name": "jinja2", "ecosystem": "PyPI"},
            "ranges": [{"type": "ECOSYSTEM", "events": [{"introduced": "0"}, {"fixed": "2.10.1"}]}],
        }
    ],
}


class FakeOsv(BaseHTTPRequestHandler):
    status = 200  # the answer to every query; 200 knows jinja2 2.10's advisory and nothing else

    def do_POST(self) -> None:
        query = json.loads(self.rfile.read(int(self.headers["Content-Length"])))
        known = query["package"]["name"] == "jinja2" and query["version"] == "2.10"
        body = json.dumps({"vulns": [JINJA2_ADVISORY]} if known else {}).encode()
        self.send_response(self.status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, format: str, *args: object) -> None:
        pass


@pytest.fixture
def osv() -> Iterator[tuple[str, type[FakeOsv]]]:
    handler = type("Handler", (FakeOsv,), {})
    server = ThreadingHTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}/v1/query", handler
    finally:
        server.shutdown()
        server.server_close()


def lock(tmp_path: Path, *pins: str) -> str:
    path = tmp_path / "requirements.lock"
    path.write_text("# pinned\n" + "".join(f"{pin}\n    # via something\n" for pin in pins))
    return str(path)


def audit(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, str(SCRIPT), *args], capture_output=True, text=True, timeout=180, cwd=REPO_ROOT
    )


def test_clean(tmp_path: Path, osv: tuple[str, type[FakeOsv]]) -> None:
    done = audit(lock(tmp_path, "jinja2==3.1.6", "six==1.17.0"), "--osv-url", osv[0])
    assert done.returncode == 0, done.stdout
    assert "CLEAN: 2 packages checked" in done.stdout


def test_vulnerable_fails_and_lists_them(tmp_path: Path, osv: tuple[str, type[FakeOsv]]) -> None:
    done = audit(lock(tmp_path, "jinja2==2.10", "six==1.17.0"), "--osv-url", osv[0])
    assert done.returncode == 1, done.stdout
    assert "VULNERABLE: 1 known vulnerabilities in 1 packages" in done.stdout
    listed = done.stdout.splitlines()[1]
    assert listed.strip().startswith("jinja2==2.10: "), done.stdout
    assert all(name in listed for name in ("GHSA-462w-v97r-4m45", "CVE-2019-10906", "PYSEC-2019-217"))
    assert "fixed in: 2.10.1" in done.stdout


def test_unreachable_says_so_and_passes(tmp_path: Path) -> None:
    with socket.socket() as probe:  # a port nothing listens on
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    url = f"http://127.0.0.1:{port}/v1/query"
    done = audit(lock(tmp_path, "jinja2==2.10"), "--osv-url", url)
    assert done.returncode == 0, done.stdout
    assert "NOT AUDITED" in done.stdout and "Connection refused" in done.stdout
    assert "were NOT checked" in done.stdout
    assert audit(lock(tmp_path, "jinja2==2.10"), "--osv-url", url, "--strict").returncode == 3


def test_a_source_that_answers_with_errors_is_unreachable(
    tmp_path: Path, osv: tuple[str, type[FakeOsv]]
) -> None:
    url, handler = osv
    handler.status = 404  # a proxy that lets the host through but not the API
    done = audit(lock(tmp_path, "jinja2==2.10"), "--osv-url", url)
    assert done.returncode == 0, done.stdout
    assert "NOT AUDITED" in done.stdout


def test_a_bad_lock_file_fails(tmp_path: Path) -> None:
    done = audit(str(tmp_path / "missing.lock"))
    assert done.returncode == 2
    assert "FAILED" in done.stdout
