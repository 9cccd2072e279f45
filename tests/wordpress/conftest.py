"""A real WordPress for the WordPress plugin's tests: Debian's package on a MariaDB database, served by
`php -S` on a free port, brought up once per session by clients/wordpress/dev/wp-up.sh and torn down
(server stopped, database dropped) by wp-down.sh.

The fixture skips when php, /usr/share/wordpress or MariaDB is missing (`make wordpress-deps` installs
them), and fails instead when PIXPRESS_REQUIRE_WORDPRESS=1.
"""

from __future__ import annotations

import json
import mimetypes
import os
import shutil
import socket
import subprocess
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx
import pytest

from tests import needs

REPO_ROOT = Path(__file__).resolve().parent.parent.parent
DEV_DIR = REPO_ROOT / "clients" / "wordpress" / "dev"
WP_ROOT = Path("/usr/share/wordpress")


class WordPressPhpError(RuntimeError):
    """PHP code run inside WordPress exited non-zero."""


def _skip_or_fail(reason: str) -> None:
    needs.missing(needs.WORDPRESS, reason)


def _missing_prerequisite() -> str | None:
    php = shutil.which("php")
    if php is None:
        return "php is not installed"
    if not (WP_ROOT / "wp-load.php").is_file():
        return f"WordPress is not installed ({WP_ROOT}/wp-load.php missing)"
    if not (Path("/usr/sbin/mariadbd").exists() or shutil.which("mariadbd")) or not shutil.which("mariadb"):
        return "MariaDB (mariadb-server, mariadb-client) is not installed"
    mysqli = subprocess.run(
        [php, "-r", "exit(extension_loaded('mysqli') && extension_loaded('gd') ? 0 : 1);"], check=False
    )
    if mysqli.returncode != 0:
        return "php-mysql or php-gd is not installed"
    if os.geteuid() != 0:
        return "wp-up.sh needs root (writes /etc/wordpress, MariaDB root over the socket)"
    return None


def _free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@dataclass
class WordPress:
    """One running test WordPress and ways to drive it."""

    env: dict[str, Any]
    run_dir: Path
    rest: httpx.Client = field(init=False, repr=False)
    http: httpx.Client = field(init=False, repr=False)

    def __post_init__(self) -> None:
        # REST calls as the admin through the application password (HTTP basic auth).
        self.rest = httpx.Client(base_url=self.url, auth=(self.admin_user, self.app_password), timeout=120.0)
        # Anonymous requests, as a visitor's browser makes them.
        self.http = httpx.Client(base_url=self.url, timeout=120.0)

    @property
    def url(self) -> str:
        return str(self.env["url"])

    @property
    def admin_user(self) -> str:
        return str(self.env["admin_user"])

    @property
    def admin_password(self) -> str:
        return str(self.env["admin_password"])

    @property
    def app_password(self) -> str:
        return str(self.env["app_password"])

    @property
    def content_dir(self) -> Path:
        return Path(self.env["content_dir"])

    @property
    def uploads_dir(self) -> Path:
        return self.content_dir / "uploads"

    @property
    def debug_log(self) -> Path:
        return self.run_dir / "debug.log"

    def rest_request(self, method: str, route: str, **kwargs: Any) -> httpx.Response:
        """A REST API call; `route` is like /wp/v2/media (no pretty permalinks: ?rest_route=)."""
        params = {"rest_route": route, **kwargs.pop("params", {})}
        return self.rest.request(method, "/", params=params, **kwargs)

    def upload_media(self, path: Path, *, mime_type: str | None = None) -> dict[str, Any]:
        """POST the file to /wp/v2/media; returns the attachment as the REST API describes it."""
        mime = mime_type or mimetypes.guess_type(path.name)[0] or "application/octet-stream"
        response = self.rest_request(
            "POST",
            "/wp/v2/media",
            content=path.read_bytes(),
            headers={"Content-Type": mime, "Content-Disposition": f'attachment; filename="{path.name}"'},
        )
        if response.status_code != 201:
            raise AssertionError(f"media upload answered {response.status_code}: {response.text[:2000]}")
        result: dict[str, Any] = response.json()
        return result

    def php(self, code: str) -> str:
        """Run PHP `code` (no <?php) inside WordPress, after wp-load.php, at global scope; returns what
        it printed. Raises WordPressPhpError with PHP's stderr when it fails."""
        done = subprocess.run(
            [str(DEV_DIR / "wp-php.sh"), str(self.run_dir)],
            input=code,
            capture_output=True,
            text=True,
            timeout=120,
            check=False,
        )
        if done.returncode != 0:
            raise WordPressPhpError(
                f"PHP exited {done.returncode}\n--- code\n{code}\n--- stderr\n{done.stderr}"
                f"\n--- stdout\n{done.stdout}"
            )
        return done.stdout

    def php_json(self, body: str) -> Any:
        """Run `body` as the body of a PHP function and return what it returns, through JSON.
        Being a function body, it sees globals only through `global $wpdb;`."""
        return json.loads(self.php(f"echo json_encode((function () {{\n{body}\n}})());"))

    def activate_plugin(self, slug: str) -> str:
        """Activate the plugin in wp-content/plugins/<slug>; returns its file (slug/main.php)."""
        done = subprocess.run(
            [str(DEV_DIR / "wp-activate-plugin.sh"), str(self.run_dir), slug],
            capture_output=True,
            text=True,
            timeout=120,
            check=False,
        )
        if done.returncode != 0:
            raise WordPressPhpError(f"activating {slug} failed:\n{done.stderr}{done.stdout}")
        return done.stdout.strip()

    def run_cron(self) -> httpx.Response:
        """Run the due WP-Cron events now, as a system cron job would: GET wp-cron.php. The events
        have run when this returns (php -S sends the response when the script ends)."""
        self.php("delete_transient('doing_cron');")  # a lock left by a spawn would make it skip
        return self.http.get("/wp-cron.php")

    def close(self) -> None:
        self.rest.close()
        self.http.close()


@pytest.fixture(scope="session")
def wordpress(tmp_path_factory: pytest.TempPathFactory) -> Iterator[WordPress]:
    reason = _missing_prerequisite()
    if reason is not None:
        _skip_or_fail(reason)

    port = _free_port()
    run_dir = tmp_path_factory.mktemp("wordpress")
    env = {
        **os.environ,
        "WP_PORT": str(port),
        "WP_NAME": f"pytest-{os.getpid()}-{port}",  # database and config unique to this run
        "WP_SKIP_DEPS": "1",  # never apt-get from a test
    }
    started = time.monotonic()
    try:
        up = subprocess.run(
            [str(DEV_DIR / "wp-up.sh"), str(run_dir)],
            env=env,
            capture_output=True,
            text=True,
            timeout=240,
            check=False,
        )
        if up.returncode != 0:
            log = (
                (run_dir / "server.log").read_text(errors="replace")[-4000:]
                if (run_dir / "server.log").exists()
                else ""
            )
            pytest.fail(f"wp-up.sh exited {up.returncode}:\n{up.stderr}\n--- server.log\n{log}")
        site = WordPress(env=json.loads(up.stdout), run_dir=run_dir)
        site.env["startup_seconds"] = round(time.monotonic() - started, 1)
        try:
            yield site
        finally:
            site.close()
    finally:
        subprocess.run(
            [str(DEV_DIR / "wp-down.sh"), str(run_dir)], capture_output=True, timeout=60, check=False
        )


@pytest.fixture(scope="session")
def pixpress_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Any]:
    """A real `pixpress serve` on loopback whose tokens come from a tokens file (PIXPRESS_TOKENS_FILE),
    with the admin token of tests.e2e.server."""
    from tests.e2e.server import serve
    from tests.wordpress.plugin import Pixpress

    tmp = tmp_path_factory.mktemp("pixpress")
    tokens_file = tmp / "tokens.toml"
    tokens_file.write_text('[tokens."placeholder-token-0000"]\nquota_mb = 1.0\n')
    process = serve(tmp, env={"PIXPRESS_TOKENS_FILE": str(tokens_file)}, workers=2)
    try:
        yield Pixpress(process=process, tokens_file=tokens_file)
    finally:
        process.stop()


@pytest.fixture(scope="session")
def plugin(wordpress: WordPress, pixpress_server: Any) -> WordPress:
    """The pixpress plugin active in the test WordPress, pointed at the test server (no token yet). The
    server is on loopback, so private addresses are allowed (the box under the URL in the settings)."""
    from tests.wordpress.plugin import configure

    wordpress.activate_plugin("pixpress")
    configure(wordpress, server_url=pixpress_server.url, allow_private=True)
    return wordpress


@pytest.fixture
def screenshots(tmp_path: Path) -> Path:
    """Where the browser tests' screenshots go: PIXPRESS_SCREENSHOTS_DIR (docs/wordpress for the docs),
    else the test's tmp dir."""
    folder = Path(os.environ.get("PIXPRESS_SCREENSHOTS_DIR") or tmp_path)
    folder.mkdir(parents=True, exist_ok=True)
    return folder
