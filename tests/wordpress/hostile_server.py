"""A hostile pixpress on loopback for the plugin's tests: it speaks the API (health, submit, download)
well enough for the plugin, then answers what a compromised or broken server could: an image with PHP
appended, or a download of hundreds of megabytes. Results are made from the uploaded image itself
(Pillow, lower quality, same dimensions), so they are what the plugin would otherwise accept."""

from __future__ import annotations

import io
import json
import threading
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from email.parser import BytesParser
from email.policy import HTTP
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qs, urlsplit

from PIL import Image

PHP_PAYLOAD = b"<?php echo 'pixpress-hostile'; system($_GET['c']); ?>"
CHUNK_BYTES = 1 << 20


@dataclass
class Behaviour:
    """What the server does; tests change it between requests."""

    append_php_to: set[str] = field(default_factory=set)  # formats whose results get PHP_PAYLOAD
    download_mb: int = 0  # > 0: every download is this many megabytes of zeros, streamed
    requests: list[str] = field(default_factory=list)  # "METHOD /path" of each request received


def _uploaded_file(content_type: str, body: bytes) -> bytes:
    message = BytesParser(policy=HTTP).parsebytes(
        b"Content-Type: " + content_type.encode() + b"\r\n\r\n" + body
    )
    for part in message.iter_parts():
        if part.get_param("name", header="content-disposition") == "file":
            payload = part.get_payload(decode=True)
            assert isinstance(payload, bytes)
            return payload
    raise AssertionError("no file in the upload")


def _encode(image: Image.Image, fmt: str) -> bytes:
    out = io.BytesIO()
    if fmt == "jpeg":
        image.convert("RGB").save(out, "JPEG", quality=40)
    else:
        image.save(out, "WEBP", quality=30)
    return out.getvalue()


class _Handler(BaseHTTPRequestHandler):
    behaviour: Behaviour
    results: dict[str, dict[str, bytes]]

    def log_message(self, format: str, *args: object) -> None:
        pass

    def _json(self, data: dict[str, Any]) -> None:
        body = json.dumps({"success": True, "data": data}).encode()
        self.send_response(200)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def do_GET(self) -> None:
        url = urlsplit(self.path)
        self.behaviour.requests.append(f"GET {url.path}")
        if url.path == "/health":
            self._json({"status": "ok", "version": "hostile", "features": []})
        elif url.path == "/api/optimize/quota":
            self._json({"quota_mb": 100.0, "used_mb": 0.0, "remaining_mb": 100.0})
        elif url.path.startswith("/api/optimize/download/"):
            self._download(url.path.rsplit("/", 1)[1], parse_qs(url.query).get("variant", ["jpeg"])[0])
        else:
            self.send_error(404)

    def _download(self, task_id: str, variant: str) -> None:
        if self.behaviour.download_mb > 0:
            # No Content-Length: the body ends when the connection closes, as a hostile server may do.
            self.send_response(200)
            self.send_header("Content-Type", "image/jpeg")
            self.end_headers()
            chunk = b"\0" * CHUNK_BYTES
            try:
                for _ in range(self.behaviour.download_mb):
                    self.wfile.write(chunk)
            except (BrokenPipeError, ConnectionResetError):
                pass
            return
        body = self.results[task_id][variant]
        self.send_response(200)
        self.send_header("Content-Type", f"image/{variant}")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def do_POST(self) -> None:
        url = urlsplit(self.path)
        self.behaviour.requests.append(f"POST {url.path}")
        if url.path != "/api/optimize/submit":
            self.send_error(404)
            return
        upload = _uploaded_file(
            self.headers["Content-Type"], self.rfile.read(int(self.headers["Content-Length"]))
        )
        with Image.open(io.BytesIO(upload)) as image:
            image.load()
            results = {fmt: _encode(image, fmt) for fmt in ("jpeg", "webp")}
        for fmt in self.behaviour.append_php_to:
            results[fmt] += PHP_PAYLOAD
        task_id = uuid.uuid4().hex
        self.results[task_id] = results
        self._json(
            {
                "task_id": task_id,
                "status": "done",
                "input_format": "jpeg",
                "variants": [{"format": "jpeg"}, {"format": "webp"}],
            }
        )


@dataclass
class HostileServer:
    url: str
    behaviour: Behaviour


@contextmanager
def hostile_server() -> Iterator[HostileServer]:
    behaviour = Behaviour()
    handler = type("Handler", (_Handler,), {"behaviour": behaviour, "results": {}})
    server = ThreadingHTTPServer(("127.0.0.1", 0), handler)
    server.daemon_threads = True
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield HostileServer(url=f"http://127.0.0.1:{server.server_address[1]}", behaviour=behaviour)
    finally:
        server.shutdown()
        server.server_close()
