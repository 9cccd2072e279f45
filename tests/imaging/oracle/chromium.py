"""Headless Chromium as the oracle for "a browser shows it": the pixels Chromium draws for a file, or
"not displayable".

Each file is served from a loopback HTTP server (as a site serves it: the whole response, then the
connection closes) and loaded by an <img> that is never put in the document, so an animation stays on
its first frame. The file counts as displayable when the element loads (no `error` event: Chromium
shows its broken-image icon on error) and Chromium draws at least one pixel that is not transparent:
drawn at natural size into a 2D canvas (sRGB, Chromium's colour management applied: ICC profile, EXIF
orientation) and read back with getImageData, straight RGBA. A file whose header parses and whose
data stops before its first row loads as a blank box of the right size: "not displayable" too, as
the page shows nothing of it.

Debian's /usr/bin/chromium driven by playwright (never `playwright install`). `ChromiumOracle.start()`
skips through tests/needs.py when it is missing.
"""

from __future__ import annotations

import base64
import os
import threading
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import numpy as np

from tests import needs

CHROMIUM = Path(os.environ.get("PIXPRESS_CHROMIUM", "/usr/bin/chromium"))
LAUNCH_ARGS = [
    "--no-sandbox",
    "--headless",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]
LOAD_TIMEOUT_MS = 10_000

# Loads the image, then draws it into a canvas and returns its pixels as base64 RGBA.
_RENDER = """
async (url) => {
  const img = new Image();
  const loaded = await new Promise((resolve) => {
    img.onload = () => resolve(true);
    img.onerror = () => resolve(false);
    img.src = url;
  });
  if (!loaded) return {shown: false, reason: "error event"};
  let decoded = "ok";
  try { await img.decode(); } catch (e) { decoded = String(e); }
  const width = img.naturalWidth, height = img.naturalHeight;
  if (!width || !height) return {shown: false, reason: "no size"};
  const canvas = document.createElement("canvas");
  canvas.width = width;
  canvas.height = height;
  const context = canvas.getContext("2d", {colorSpace: "srgb", willReadFrequently: true});
  context.drawImage(img, 0, 0);
  const bytes = context.getImageData(0, 0, width, height).data;
  const blob = new Blob([bytes]);
  const text = await new Promise((resolve) => {
    const reader = new FileReader();
    reader.onload = () => resolve(reader.result);
    reader.readAsDataURL(blob);
  });
  return {shown: true, width, height, decoded, pixels: text.slice(text.indexOf(",") + 1)};
}
"""


@dataclass(frozen=True)
class Rendering:
    """What Chromium shows for one file: `pixels` (height x width x 4 RGBA, uint8) or None."""

    pixels: np.ndarray | None
    reason: str = ""  # why not shown, or how decode() answered when shown

    @property
    def shown(self) -> bool:
        return self.pixels is not None


class _Files:
    """The bytes the loopback server hands out, by path."""

    def __init__(self) -> None:
        self.by_path: dict[str, bytes] = {}
        self.lock = threading.Lock()


def _handler(files: _Files) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        def do_GET(self) -> None:
            if self.path == "/":
                body, kind = b"<!doctype html><title>oracle</title>", "text/html"
            else:
                with files.lock:
                    found = files.by_path.get(self.path)
                if found is None:
                    self.send_error(404)
                    return
                # No image type given: Chromium sniffs the bytes, as it does for a mislabelled upload.
                body, kind = found, "application/octet-stream"
            self.send_response(200)
            self.send_header("Content-Type", kind)
            self.send_header("Content-Length", str(len(body)))
            self.send_header("Cache-Control", "no-store")
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, format: str, *args: Any) -> None:
            pass

    return Handler


class ChromiumOracle:
    """One browser and one page, reused for every file (start() once, close() at the end)."""

    def __init__(self) -> None:
        self._files = _Files()
        self._count = 0
        self._server: ThreadingHTTPServer | None = None
        self._playwright: Any = None
        self._browser: Any = None
        self._page: Any = None

    def start(self) -> ChromiumOracle:
        if not CHROMIUM.exists():
            needs.missing(needs.CHROMIUM, f"{CHROMIUM} is missing")
        from playwright.sync_api import sync_playwright

        self._server = ThreadingHTTPServer(("127.0.0.1", 0), _handler(self._files))
        threading.Thread(target=self._server.serve_forever, daemon=True).start()
        self._playwright = sync_playwright().start()
        self._browser = self._playwright.chromium.launch(
            executable_path=str(CHROMIUM), args=LAUNCH_ARGS, headless=True
        )
        self._page = self._browser.new_page()
        self._page.set_default_timeout(LOAD_TIMEOUT_MS)
        self._page.goto(f"{self.url}/")
        return self

    @property
    def url(self) -> str:
        assert self._server is not None
        host, port = self._server.server_address[:2]
        return f"http://{host!s}:{port}"

    def render(self, data: bytes) -> Rendering:
        self._count += 1
        path = f"/file/{self._count}"
        with self._files.lock:
            self._files.by_path[path] = data
        try:
            answer = self._page.evaluate(_RENDER, f"{self.url}{path}")
        finally:
            with self._files.lock:
                del self._files.by_path[path]
        if not answer["shown"]:
            return Rendering(None, answer["reason"])
        raw = base64.b64decode(answer["pixels"])
        pixels = np.frombuffer(raw, dtype=np.uint8).reshape(answer["height"], answer["width"], 4)
        if not pixels[:, :, 3].any():
            return Rendering(None, f"nothing drawn (decode: {answer['decoded']})")
        return Rendering(pixels, answer["decoded"])

    def close(self) -> None:
        if self._browser is not None:
            self._browser.close()
        if self._playwright is not None:
            self._playwright.stop()
        if self._server is not None:
            self._server.shutdown()
            self._server.server_close()

    def __enter__(self) -> ChromiumOracle:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.close()
