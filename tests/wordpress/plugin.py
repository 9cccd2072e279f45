"""Helpers of the plugin's tests: a real `pixpress serve` with a tokens file, the plugin's settings,
its queue, and browser-like sessions (cookies from wp-login.php) for admin pages and AJAX."""

from __future__ import annotations

import json
import re
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx

from tests.e2e.server import ServerProcess
from tests.wordpress.conftest import WordPress

ADMIN_TOKEN = "admin-secret-token-0123"  # what tests.e2e.server.serve configures


@dataclass
class Pixpress:
    """The running server and its tokens file (re-read by the server when it changes)."""

    process: ServerProcess
    tokens_file: Path
    tokens: dict[str, float] = field(default_factory=dict)

    @property
    def url(self) -> str:
        return self.process.url

    def add_token(self, token: str, quota_mb: float) -> str:
        self.tokens[token] = quota_mb
        lines = [f'[tokens."{name}"]\nquota_mb = {mb!r}\n' for name, mb in self.tokens.items()]
        self.tokens_file.write_text("\n".join(lines))
        return token

    def admin(self, method: str, path: str, **kwargs: Any) -> dict[str, Any]:
        response = httpx.request(
            method, self.url + path, headers={"X-Token": ADMIN_TOKEN}, timeout=30.0, **kwargs
        )
        assert response.status_code == 200, response.text
        data: dict[str, Any] = response.json()["data"]
        return data

    def usage(self, token: str) -> dict[str, Any]:
        """GET /api/admin/usage: the current period and the past ones (charged_bytes, uploads)."""
        return self.admin("GET", "/api/admin/usage", params={"token": token})

    def charged(self, token: str) -> tuple[int, int]:
        """(bytes charged, uploads charged) over every period, refunds taken off."""
        usage = self.usage(token)
        periods = [usage["current_period"], *usage["past_periods"]]
        return (
            sum(int(p["used_bytes"]) for p in periods),
            sum(int(p["uploads"]) for p in periods),
        )

    def reset_usage(self, token: str) -> dict[str, Any]:
        return self.admin("POST", "/api/optimize/reset-usage", json={"token": token})


def configure(wordpress: WordPress, **settings: Any) -> dict[str, Any]:
    """update_option('pixpress_settings', ...) through the plugin's sanitizer; returns what is saved."""
    payload = json.dumps(settings)
    saved: dict[str, Any] = wordpress.php_json(
        f"update_option('pixpress_settings', json_decode({_php_string(payload)}, true));"
        "delete_transient('pixpress_features'); delete_transient('pixpress_quota');"
        "return get_option('pixpress_settings');"
    )
    return saved


def _php_string(text: str) -> str:
    return "'" + text.replace("\\", "\\\\").replace("'", "\\'") + "'"


def record(wordpress: WordPress, attachment_id: int) -> dict[str, Any]:
    """The attachment's `_pixpress` meta ({} when none)."""
    value = wordpress.php_json(f"return get_post_meta({attachment_id}, '_pixpress', true) ?: new stdClass;")
    return value if isinstance(value, dict) else {}


def metadata(wordpress: WordPress, attachment_id: int) -> dict[str, Any]:
    meta: dict[str, Any] = wordpress.php_json(f"return wp_get_attachment_metadata({attachment_id});")
    return meta


def files_on_disk(wordpress: WordPress, attachment_id: int) -> dict[str, Path]:
    """size name -> path, 'full' first, as the attachment metadata lists them."""
    meta = metadata(wordpress, attachment_id)
    main = wordpress.uploads_dir / meta["file"]
    files = {"full": main}
    for name, size in meta.get("sizes", {}).items():
        path = main.parent / size["file"]
        if path not in files.values():
            files[name] = path
    return files


def queued(wordpress: WordPress) -> list[int]:
    ids: list[int] = wordpress.php_json(
        "global $wpdb; return array_map('intval', $wpdb->get_col("
        '"SELECT attachment_id FROM {$wpdb->prefix}pixpress_queue ORDER BY attachment_id"));'
    )
    return ids


def in_flight(wordpress: WordPress) -> int:
    """Queued attachments a run holds right now (a tick or WP-Cron working on them)."""
    count: int = wordpress.php_json(
        "global $wpdb; return (int) $wpdb->get_var($wpdb->prepare("
        '"SELECT COUNT(*) FROM {$wpdb->prefix}pixpress_queue WHERE locked_until > %d", time()));'
    )
    return count


def run_queue_until_empty(wordpress: WordPress, *, attempts: int = 30) -> bool:
    """WP-Cron as a system cron job runs it: GET wp-cron.php until the queue is empty (True) or the
    plugin paused itself, e.g. on quota_exceeded (False). Rows a loopback runner holds are waited for."""
    for _ in range(attempts):
        if not queued(wordpress):
            return True
        if wordpress.php_json("return (bool) get_option('pixpress_paused');"):
            return False
        # The loopback runner an upload started holds its rows: let it finish them.
        wait_for(lambda: in_flight(wordpress) == 0, timeout_s=300.0)
        if not queued(wordpress):
            return True
        # Due now, whatever delay the plugin chose after its last run.
        wordpress.php(
            "wp_clear_scheduled_hook('pixpress_process_queue');"
            "wp_schedule_single_event(time() - 1, 'pixpress_process_queue');"
        )
        response = wordpress.run_cron()
        assert response.status_code == 200, response.text
    raise AssertionError(f"queue not empty after {attempts} cron runs: {queued(wordpress)}")


def login(wordpress: WordPress, user: str, password: str) -> httpx.Client:
    """A browser-like session: the cookies of wp-login.php."""
    client = httpx.Client(base_url=wordpress.url, timeout=180.0)
    client.cookies.set("wordpress_test_cookie", "WP Cookie check")
    response = client.post(
        "/wp-login.php",
        data={"log": user, "pwd": password, "testcookie": "1", "redirect_to": "/wp-admin/"},
    )
    assert response.status_code == 302, response.text[:2000]
    assert any(name.startswith("wordpress_logged_in_") for name in client.cookies), dict(client.cookies)
    return client


def bulk_nonce(page_html: str) -> str:
    """The nonce the bulk page hands its script (wp_localize_script)."""
    match = re.search(r"var pixpressBulk = (\{.*?\});\s*$", page_html, re.MULTILINE | re.DOTALL)
    assert match, "pixpressBulk config not found in the bulk page"
    return str(json.loads(match.group(1))["nonce"])


def wait_for(predicate: Any, *, timeout_s: float = 60.0, interval_s: float = 0.5) -> Any:
    deadline = time.monotonic() + timeout_s
    while True:
        value = predicate()
        if value or time.monotonic() > deadline:
            return value
        time.sleep(interval_s)


ACCESS = re.compile(r"pixpress\.access \[\w+\] (GET|POST|DELETE) (/api/optimize/\w+)\S* (\d{3}) ")


class AccessLog:
    """The server's access log from a mark on: the calls the plugin made, counted where they arrive."""

    def __init__(self, server: Pixpress) -> None:
        self.path = server.process.log_path
        self.offset = self.path.stat().st_size

    def calls(self) -> list[tuple[str, str, int]]:
        with self.path.open("rb") as log:
            log.seek(self.offset)
            text = log.read().decode(errors="replace")
        return [(m.group(1), m.group(2), int(m.group(3))) for m in ACCESS.finditer(text)]

    def submits(self) -> int:
        return sum(1 for _, path, _ in self.calls() if path == "/api/optimize/submit")
