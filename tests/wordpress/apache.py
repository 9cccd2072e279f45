"""A real Apache (Debian's apache2-bin) on a loopback port serving one folder as /wp-content/uploads
through an Alias (as Debian's WordPress maps wp-content), with AllowOverride All so the folder's
.htaccess applies: the web server the plugin's delivery rules are written for."""

from __future__ import annotations

import os
import shutil
import socket
import subprocess
import time
from dataclasses import dataclass
from pathlib import Path

APACHE = Path("/usr/sbin/apache2")
MODULES = Path("/usr/lib/apache2/modules")
URL_PATH = "/wp-content/uploads"


def missing() -> str | None:
    """Why Apache cannot run here, or None."""
    if not APACHE.exists():
        return "apache2 is not installed (Debian's apache2-bin)"
    for module in ("mod_mpm_event", "mod_rewrite", "mod_headers", "mod_mime", "mod_alias", "mod_authz_core"):
        if not (MODULES / f"{module}.so").exists():
            return f"{MODULES}/{module}.so is missing"
    if os.geteuid() != 0:
        return "Apache is started as root here (it then serves as www-data)"
    return None


@dataclass
class Apache:
    root: Path  # holds httpd.conf, the logs and the served folder
    port: int
    process: subprocess.Popen[bytes]

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}{URL_PATH}"

    @property
    def error_log(self) -> Path:
        return self.root / "error.log"

    def stop(self) -> None:
        self.process.terminate()  # the parent stops its children
        try:
            self.process.wait(timeout=15)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait(timeout=5)


def _free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def start(root: Path, served: Path) -> Apache:
    """Apache serving `served` at /wp-content/uploads. Both must be readable by www-data (Apache drops
    to it), so they are made 0755."""
    root.chmod(0o755)
    served.chmod(0o755)
    port = _free_port()
    modules = "\n".join(
        f"LoadModule {name}_module {MODULES}/mod_{name}.so"
        for name in ("mpm_event", "authz_core", "mime", "rewrite", "headers", "alias")
    )
    types = "TypesConfig /etc/mime.types" if Path("/etc/mime.types").exists() else ""
    (root / "docroot").mkdir(exist_ok=True)
    (root / "httpd.conf").write_text(
        f"""ServerRoot {root}
ServerName 127.0.0.1
Listen 127.0.0.1:{port}
PidFile {root}/httpd.pid
ErrorLog {root}/error.log
LogLevel warn
Mutex file:{root}
User www-data
Group www-data
{modules}
{types}
DocumentRoot {root}/docroot
Alias {URL_PATH} {served}
<Directory {served}>
  Options FollowSymLinks
  AllowOverride All
  Require all granted
</Directory>
"""
    )
    check = subprocess.run(
        [str(APACHE), "-f", str(root / "httpd.conf"), "-t"], capture_output=True, text=True, check=False
    )
    if check.returncode != 0:
        raise RuntimeError(f"apache2 -t: {check.stderr}")
    with (root / "stderr.log").open("wb") as stderr:  # the child keeps its own descriptor
        process = subprocess.Popen(
            [str(APACHE), "-f", str(root / "httpd.conf"), "-DFOREGROUND"],
            stdout=subprocess.DEVNULL,
            stderr=stderr,
        )
    deadline = time.monotonic() + 20
    while time.monotonic() < deadline:
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=0.5):
                return Apache(root=root, port=port, process=process)
        except OSError:
            if process.poll() is not None:
                break
            time.sleep(0.1)
    process.kill()
    raise RuntimeError(f"apache2 did not come up: {(root / 'stderr.log').read_text(errors='replace')}")


def remove(root: Path) -> None:
    shutil.rmtree(root, ignore_errors=True)
