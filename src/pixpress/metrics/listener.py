"""PIXPRESS_METRICS_ADDRESS: a plain HTTP listener answering GET /metrics, without a token.

For a scraper on a private network (or a worker machine, which has no API): whoever reaches the address
reads the metrics, so bind it to loopback or a private interface. Threads of the process that starts it;
nothing else is served.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

from pixpress.metrics import exposition

log = logging.getLogger("pixpress.metrics")


class MetricsListener:
    def __init__(self, host: str, port: int, *, pending: Callable[[], int] | None = None) -> None:
        render = exposition.render

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self) -> None:
                if self.path.split("?", 1)[0] != "/metrics":
                    self.send_error(404)
                    return
                try:
                    body = render(pending=pending)
                except Exception:
                    log.exception("metrics scrape failed")
                    self.send_error(500)
                    return
                self.send_response(200)
                self.send_header("Content-Type", exposition.CONTENT_TYPE)
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

            def log_message(self, format: str, *args: object) -> None:
                log.debug("metrics listener: " + format, *args)

        self.server = ThreadingHTTPServer((host, port), Handler)
        self.server.daemon_threads = True
        self.thread = threading.Thread(target=self.server.serve_forever, name="pixpress-metrics", daemon=True)

    @property
    def port(self) -> int:
        return int(self.server.server_address[1])

    def start(self) -> MetricsListener:
        self.thread.start()
        log.info("metrics served on http://%s:%d/metrics", *self.server.server_address[:2])
        return self

    def stop(self) -> None:
        self.server.shutdown()
        self.server.server_close()
