"""The optimization service end to end: a real `pixpress serve` on the embedded default, driven over HTTP."""

from __future__ import annotations

import socket
import time
from pathlib import Path

import httpx
import pytest
import pyvips

from tests import hostile
from tests.e2e.server import ServerProcess

pytestmark = pytest.mark.slow
TOKEN = {"X-Token": "site-token-e2e"}


def submit(
    server: ServerProcess, data: bytes, *, filename: str = "photo.png", wait: float = 0, **fields: str
):
    return httpx.post(
        f"{server.url}/api/optimize/submit",
        params={"wait": wait} if wait else None,
        headers=TOKEN,
        files={"file": (filename, data, "application/octet-stream")},
        data=fields,
        timeout=60,
    )


def wait_done(
    server: ServerProcess, task_id: str, *, timeout_s: float = 60, headers: dict | None = None
) -> dict:
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        body = httpx.get(f"{server.url}/api/optimize/status/{task_id}", headers=headers or TOKEN).json()
        if body["data"]["status"] in ("done", "failed"):
            return body["data"]
        time.sleep(0.1)
    raise AssertionError(f"task {task_id} not finished in {timeout_s}s")


def test_submit_status_download_round_trip(server: ServerProcess, corpus: Path) -> None:
    original = (corpus / "photo" / "kodim03.png").read_bytes()
    answer = submit(server, original, filename="Kodak Photo (1).png")
    assert answer.status_code == 200, answer.text
    body = answer.json()
    assert body["success"] is True
    assert body["data"]["status"] == "queued"
    assert set(body["data"]["quota_info"]) >= {"used_mb", "remaining_mb", "limit_mb"}
    status = wait_done(server, body["data"]["task_id"])
    assert status["status"] == "done", status
    assert status["optimized_size"] < status["original_size"] == len(original)
    assert status["savings_percent"] > 0
    assert (status["width"], status["height"]) == (768, 512)
    assert status["format"] == "png" and status["mime_type"] == "image/png"
    download = httpx.get(status["download_url"], headers=TOKEN)
    assert download.status_code == 200
    assert download.headers["content-type"] == "image/png"
    assert int(download.headers["content-length"]) == status["optimized_size"] == len(download.content)
    assert download.headers["etag"]
    assert 'filename="Kodak_Photo__1.png"' in download.headers["content-disposition"]
    image = pyvips.Image.new_from_buffer(download.content, "")
    assert (image.width, image.height) == (768, 512)
    again = httpx.get(status["download_url"], headers={**TOKEN, "If-None-Match": download.headers["etag"]})
    assert again.status_code == 304


def test_wait_answers_with_the_finished_status_inline(server: ServerProcess, corpus: Path) -> None:
    data = (corpus / "photo" / "rocket.jpg").read_bytes()
    started = time.monotonic()
    body = submit(server, data, filename="rocket.jpg", wait=30, format="webp", max_width="200").json()
    assert body["data"]["status"] == "done", body
    assert body["data"]["width"] == 200
    # WebP, unless larger than the same resize saved plainly as JPEG (never bigger: then that JPEG).
    plain = body["data"]["encoder_settings"].get("fallback") == "plain"
    assert body["data"]["format"] == ("jpeg" if plain else "webp")
    assert time.monotonic() - started < 30


def test_large_phone_photo(server: ServerProcess, corpus: Path) -> None:
    data = (corpus / "photo" / "dog_exif_extended_xmp_icc.jpg").read_bytes()
    started = time.monotonic()
    body = submit(server, data, filename="dog.jpg", wait=30).json()
    status = body["data"] if body["data"]["status"] == "done" else wait_done(server, body["data"]["task_id"])
    elapsed = time.monotonic() - started
    assert status["status"] == "done"
    assert status["optimized_size"] <= len(data)
    print(
        f"\n12 MP JPEG submit->done {elapsed * 1000:.0f} ms, {len(data)} -> {status['optimized_size']} bytes"
    )


def test_token_is_required_and_tasks_are_private(server: ServerProcess, corpus: Path) -> None:
    data = (corpus / "graphic" / "logo.png").read_bytes()
    anonymous = httpx.post(f"{server.url}/api/optimize/submit", files={"file": ("a.png", data)})
    assert anonymous.status_code == 401
    assert anonymous.json()["error"]["code"] == "token_missing"
    task_id = submit(server, data, filename="logo.png").json()["data"]["task_id"]
    wait_done(server, task_id)
    other = {"Authorization": "Bearer another-site-token"}
    for method, path in (("GET", "status"), ("GET", "download"), ("DELETE", "task")):
        answer = httpx.request(method, f"{server.url}/api/optimize/{path}/{task_id}", headers=other)
        assert answer.status_code == 404 and answer.json()["error"]["code"] == "task_not_found"
    missing = httpx.get(f"{server.url}/api/optimize/status/not-a-uuid", headers=TOKEN)
    assert missing.status_code == 404


@pytest.mark.parametrize(
    ("payload", "filename", "status", "code"),
    [
        (b"", "empty.png", 415, "unsupported_format"),
        (hostile.HTML_AS_PNG, "page.png", 415, "unsupported_format"),
        (hostile.SVG, "logo.svg", 415, "unsupported_format"),
        (hostile.TIFF_HEADER, "scan.tif", 415, "unsupported_format"),
        (hostile.BMP_HEADER, "paint.bmp", 415, "unsupported_format"),
        (hostile.PDF, "doc.pdf", 415, "unsupported_format"),
        (hostile.png_bomb(), "bomb.png", 413, "image_too_large"),
    ],
)
def test_bad_files_are_refused_at_submit_and_not_charged(
    server: ServerProcess, payload: bytes, filename: str, status: int, code: str
) -> None:
    before = httpx.get(f"{server.url}/api/optimize/quota", headers=TOKEN).json()["data"]["used_mb"]
    answer = submit(server, payload, filename=filename)
    assert answer.status_code == status, answer.text
    assert answer.json() == {"success": False, "error": answer.json()["error"]}
    assert answer.json()["error"]["code"] == code
    after = httpx.get(f"{server.url}/api/optimize/quota", headers=TOKEN).json()["data"]["used_mb"]
    assert after == before


def test_truncated_image_is_refused(server: ServerProcess, corpus: Path) -> None:
    for name in ("photo/kodim05.png", "photo/rocket.jpg"):
        data = hostile.cut_before_rows((corpus / name).read_bytes())
        answer = submit(server, data, filename=Path(name).name)
        assert answer.status_code == 422, (name, answer.text)
        assert answer.json()["error"]["code"] == "invalid_image"


def test_invalid_option_is_422(server: ServerProcess, corpus: Path) -> None:
    data = (corpus / "graphic" / "logo.png").read_bytes()
    for field, value in (
        ("quality", "0"),
        ("quality", "abc"),
        ("format", "bmp"),
        ("mode", "max"),
        ("max_width", "-3"),
    ):
        answer = submit(server, data, **{field: value})
        assert answer.status_code == 422, (field, value, answer.text)
        assert answer.json()["error"]["code"] == "invalid_option"


def test_huge_body_is_cut_off_while_streaming(server: ServerProcess) -> None:
    with socket.create_connection(("127.0.0.1", server.port), timeout=10) as conn:
        conn.sendall(
            b"POST /api/optimize/submit HTTP/1.1\r\nHost: x\r\nX-Token: site-token-e2e\r\n"
            b"Content-Type: multipart/form-data; boundary=x\r\nContent-Length: 1073741824\r\n\r\n"
        )
        head = conn.recv(4096)
    assert head.startswith(b"HTTP/1.1 413"), head  # answered from the headers, before any body

    sent = 0

    def body():  # 1 GB in 1 MB chunks, streamed without a Content-Length
        nonlocal sent
        yield b'--x\r\nContent-Disposition: form-data; name="file"; filename="big.png"\r\n\r\n'
        yield b"\x89PNG\r\n\x1a\n"
        chunk = b"\x00" * (1 << 20)
        for _ in range(1024):
            sent += len(chunk)
            yield chunk

    try:
        answer = httpx.post(
            f"{server.url}/api/optimize/submit",
            headers={**TOKEN, "Content-Type": "multipart/form-data; boundary=x"},
            content=body(),
            timeout=60,
        )
        assert answer.status_code == 413
        assert answer.json()["error"]["code"] == "file_too_large"
    except httpx.TransportError:
        pass  # the server may close the connection while we still send: also a cut-off
    assert sent < 200 * (1 << 20), "the server kept reading far past the limit"


def test_delete_removes_the_task_and_its_files(server: ServerProcess, corpus: Path, tmp_path: Path) -> None:
    body = submit(server, (corpus / "graphic" / "hopper.png").read_bytes(), wait=30).json()
    task_id = body["data"]["task_id"]
    assert body["data"]["status"] == "done"
    deleted = httpx.delete(f"{server.url}/api/optimize/task/{task_id}", headers=TOKEN)
    assert deleted.status_code == 200 and deleted.json()["success"] is True
    assert httpx.get(f"{server.url}/api/optimize/status/{task_id}", headers=TOKEN).status_code == 404
    files_root = Path(server.env["PIXPRESS_DATA_DIR"]) / "files"
    assert not list(files_root.rglob(f"*{task_id}*"))


def test_request_id_is_echoed_and_quota_headers_are_present(server: ServerProcess) -> None:
    answer = httpx.get(f"{server.url}/api/optimize/quota", headers={**TOKEN, "X-Request-ID": "req-42"})
    assert answer.headers["x-request-id"] == "req-42"
    assert float(answer.headers["x-quota-limit-mb"]) > 0
    assert "x-quota-used-mb" in answer.headers and "x-quota-remaining-mb" in answer.headers


def test_health_ready_and_openapi(server: ServerProcess) -> None:
    health = httpx.get(f"{server.url}/health").json()["data"]
    assert health["status"] == "ok"
    assert "sizes" in health["features"]  # clients (the WordPress plugin) adapt to it
    assert httpx.get(f"{server.url}/ready").json() == {"success": True, "data": {"status": "ready"}}
    admin = {"X-Token": "admin-secret-token-0123"}
    ready = httpx.get(f"{server.url}/ready", headers=admin).json()
    assert ready["data"]["checks"] == {"database": "ok", "storage": "ok", "queue": "ok"}
    spec = httpx.get(f"{server.url}/openapi.json").json()
    assert "/api/optimize/submit" in spec["paths"]
    assert httpx.get(f"{server.url}/docs").status_code == 200


def test_no_token_in_the_logs(server: ServerProcess) -> None:
    assert TOKEN["X-Token"] not in server.log()


def test_idempotency_key_returns_the_same_task_charged_once(server: ServerProcess, corpus: Path) -> None:
    data = (corpus / "graphic" / "text.png").read_bytes()
    headers = {"X-Token": "idempotent-site", "Idempotency-Key": "upload-42"}

    def send() -> dict:
        return httpx.post(
            f"{server.url}/api/optimize/submit", headers=headers, files={"file": ("t.png", data)}, timeout=60
        ).json()["data"]

    first, second = send(), send()
    assert first["task_id"] == second["task_id"]
    assert second["idempotent_replay"] is True
    quota = httpx.get(f"{server.url}/api/optimize/quota", headers={"X-Token": "idempotent-site"}).json()[
        "data"
    ]
    assert quota["used_mb"] == round(len(data) / 1048576, 2)


def test_request_values_cannot_forge_log_lines(server: ServerProcess) -> None:
    """A percent-encoded line break in the path, a file name with one: the log keeps one line per event."""
    httpx.get(f"{server.url}/x%0aFORGED-LINE%0d%1b[2J", headers=TOKEN, timeout=10)
    submit(server, b"not an image", filename="a.png\nFORGED-NAME")
    time.sleep(0.3)  # the access line is written as the answer goes out
    lines = server.log_path.read_text(errors="replace").splitlines()
    assert not [line for line in lines if line.startswith("FORGED")], lines[-20:]
    access = [line for line in lines if "/x%0aFORGED-LINE%0d%1b[2J 404" in line]
    assert len(access) == 1, lines[-20:]
