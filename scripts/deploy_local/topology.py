"""`make deploy-local`: the production topology of docs/deploy.md on one machine, from Debian and PyPI
packages. Every piece listens on loopback on a port picked free at start and keeps its data in a folder
of its own under the run folder; topology.json there says where everything is.

    nginx (TLS, :https)  ->  pixpress-api@P1, pixpress-api@P2      (deploy/systemd units)
                             pixpress-worker@1, pixpress-worker@2  (deploy/systemd units)
    PostgreSQL, Redis, S3 (moto's server behind nginx's switch to refuse writes), the licence server

The units of deploy/systemd run under scripts/deploy_local/supervisor.py (systemd is not the service
manager where this is built); the shared services run under the same manager from units written into
the run folder.
"""

from __future__ import annotations

import contextlib
import json
import os
import pwd
import re
import secrets
import shutil
import signal
import socket
import ssl
import subprocess
import sys
import time
from collections.abc import Callable, Mapping
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

import httpx

from scripts.deploy_local import supervisor

REPO = Path(__file__).resolve().parents[2]
UNITS_DIR = REPO / "deploy" / "systemd"
NGINX_TEMPLATE = REPO / "deploy" / "nginx" / "pixpress.conf"
BUCKET = "pixpress"
S3_REFUSAL = "<Error><Code>ServiceUnavailable</Code><Message>writes refused</Message></Error>"
API_COUNT = 2
WORKER_COUNT = 2
READY_TIMEOUT_S = 90.0
PORT_NAMES = (
    "https",
    "s3",
    "moto",
    "postgres",
    "redis",
    "licence",
    *(f"api{i + 1}" for i in range(API_COUNT)),
)
# Test tokens of the reference licence server (tokens.toml; it re-reads the file when it changes).
TOKENS = {
    **{f"site-{i}-drill-token": 100_000 for i in range(1, 5)},
    "site-load-token-0001": 100_000,
    "site-small-token-001": 5,
    "site-reset-token-001": 1_000,
}
# Short enough for the drills to see a killed worker's task again in seconds (production keeps the
# defaults of the settings table: 180 s leases, a 600 s orphan grace).
DRILL_SETTINGS = {
    "PIXPRESS_TASK_LEASE_S": "15",
    "PIXPRESS_LEASE_CHECK_INTERVAL_S": "2",
    "PIXPRESS_CLEANUP_INTERVAL_S": "15",
    "PIXPRESS_ORPHAN_BLOB_GRACE_S": "30",
}


@dataclass
class Topology:
    run_dir: str
    ports: dict[str, int]
    admin_token: str
    licence_key: str
    postgres_password: str
    s3_key: str = "pixpress"
    s3_secret: str = "pixpress-local-secret"
    bucket: str = BUCKET
    service_manager: str = "scripts/deploy_local/supervisor.py"
    settings: dict[str, str] = field(default_factory=dict)

    @property
    def run(self) -> Path:
        return Path(self.run_dir)

    @property
    def url(self) -> str:
        return f"https://127.0.0.1:{self.ports['https']}"

    @property
    def cert(self) -> Path:
        return self.run / "tls" / "cert.pem"

    def tls(self) -> ssl.SSLContext:
        """What a client of nginx trusts: the topology's self-signed certificate."""
        return ssl.create_default_context(cafile=str(self.cert))

    @property
    def s3_url(self) -> str:
        return f"http://127.0.0.1:{self.ports['s3']}"

    @property
    def database_url(self) -> str:
        return f"postgresql+psycopg://pixpress:{self.postgres_password}@127.0.0.1:{self.ports['postgres']}/pixpress"

    @property
    def redis_url(self) -> str:
        return f"redis://127.0.0.1:{self.ports['redis']}/0"

    @property
    def api_units(self) -> list[str]:
        return [f"pixpress-api@{self.ports[f'api{i + 1}']}.service" for i in range(API_COUNT)]

    @property
    def worker_units(self) -> list[str]:
        return [f"pixpress-worker@{i + 1}.service" for i in range(WORKER_COUNT)]

    @property
    def env_file(self) -> Path:
        return self.run / "etc" / "pixpress" / "pixpress.env"

    def path_map(self) -> dict[str, str]:
        return {
            "/opt/pixpress/.venv": str(Path(sys.executable).parent.parent),
            "/etc/pixpress": str(self.run / "etc" / "pixpress"),
            "/var/lib/pixpress": str(self.run / "var" / "lib" / "pixpress"),
        }

    def save(self) -> None:
        (self.run / "topology.json").write_text(json.dumps(asdict(self), indent=2))

    @classmethod
    def load(cls, run_dir: Path) -> Topology:
        return cls(**json.loads((run_dir / "topology.json").read_text()))

    def ctl(self, command: str, unit: str = "", timeout_s: float = 300.0, **fields: str) -> dict[str, Any]:
        """The topology's `systemctl`: start, stop, restart, kill (with signal=...), status."""
        return supervisor.request(self.run, command, timeout_s, **({"unit": unit} if unit else {}), **fields)


# -- bringing it up ------------------------------------------------------------------------------------
def pick_ports(names: tuple[str, ...]) -> dict[str, int]:
    """Free loopback ports, all held at once while choosing so no two are the same."""
    held = []
    try:
        for _ in names:
            sock = socket.socket()
            sock.bind(("127.0.0.1", 0))
            held.append(sock)
        return {name: int(sock.getsockname()[1]) for name, sock in zip(names, held, strict=True)}
    finally:
        for sock in held:
            sock.close()


def postgres_bin() -> Path:
    versions = sorted(
        Path("/usr/lib/postgresql").glob("*/bin/postgres"), key=lambda p: int(p.parent.parent.name)
    )
    if not versions:
        raise SystemExit("PostgreSQL is not installed (apt-get install postgresql)")
    return versions[-1].parent


def _postgres_user() -> str | None:
    """PostgreSQL refuses to run as root: as root it runs as the postgres system user."""
    if os.geteuid() != 0:
        return None
    pwd.getpwnam("postgres")
    return "postgres"


def _run(argv: list[str], **kwargs: Any) -> subprocess.CompletedProcess[str]:
    result = subprocess.run(argv, capture_output=True, text=True, **kwargs)
    if result.returncode != 0:
        raise RuntimeError(f"{' '.join(argv)} failed ({result.returncode}):\n{result.stdout}{result.stderr}")
    return result


def write_tls(top: Topology) -> None:
    folder = top.run / "tls"
    folder.mkdir(parents=True, exist_ok=True)
    _run(
        [
            "openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "30",
            "-subj", "/CN=localhost", "-addext", "subjectAltName=IP:127.0.0.1,DNS:localhost",
            "-keyout", str(folder / "key.pem"), "-out", str(top.cert),
        ]
    )  # fmt: skip
    (folder / "key.pem").chmod(0o600)


def init_postgres(top: Topology) -> None:
    folder = top.run / "postgres"
    if _postgres_user():
        for parent in top.run.parents:
            if not parent.stat().st_mode & 0o001:
                raise SystemExit(
                    f"PostgreSQL runs as postgres and cannot reach {top.run}: {parent} is not o+x"
                )
    (folder / "socket").mkdir(parents=True, exist_ok=True)
    password_file = folder / "superuser-password"
    password_file.write_text(top.postgres_password + "\n")
    user = _postgres_user()
    if user:
        shutil.chown(folder, user)
        shutil.chown(folder / "socket", user)
        shutil.chown(password_file, user)
    _run(
        [
            str(postgres_bin() / "initdb"), "-D", str(folder / "data"), "--username=postgres",
            f"--pwfile={password_file}", "--auth-host=scram-sha-256", "--auth-local=peer",
            "--encoding=UTF8", "--locale=C.UTF-8",
        ],
        user=user,
    )  # fmt: skip
    password_file.unlink()
    with (folder / "data" / "postgresql.conf").open("a") as conf:
        conf.write(
            f"\n# make deploy-local\nlisten_addresses = '127.0.0.1'\nport = {top.ports['postgres']}\n"
            f"unix_socket_directories = '{folder / 'socket'}'\nmax_connections = 200\n"
            "shared_buffers = 64MB\nfsync = on\nlog_min_messages = warning\n"
        )


def write_unit(top: Topology, name: str, service: dict[str, str | list[str]]) -> None:
    folder = top.run / "units"
    folder.mkdir(parents=True, exist_ok=True)
    lines = [f"# written by make deploy-local for {top.run_dir}", "[Service]"]
    for key, value in service.items():
        for item in [value] if isinstance(value, str) else value:
            lines.append(f"{key}={item}")
    (folder / name).write_text("\n".join(lines) + "\n")


def write_service_units(top: Topology) -> None:
    venv_bin = Path(sys.executable).parent
    pg_user = _postgres_user()
    write_unit(
        top,
        "postgresql.service",
        {
            **({"User": pg_user} if pg_user else {}),
            "ExecStart": f"{postgres_bin() / 'postgres'} -D {top.run / 'postgres' / 'data'}",
            "KillSignal": "SIGINT",  # fast shutdown: open transactions rolled back, clean stop
            "TimeoutStopSec": "60",
        },
    )
    redis_dir = top.run / "redis"
    redis_dir.mkdir(parents=True, exist_ok=True)
    (redis_dir / "redis.conf").write_text(
        f"bind 127.0.0.1\nport {top.ports['redis']}\ndir {redis_dir}\nappendonly yes\nappendfsync everysec\n"
        'save ""\nmaxmemory-policy noeviction\ndaemonize no\nlogfile ""\nprotected-mode yes\n'
    )
    write_unit(top, "redis.service", {"ExecStart": f"/usr/bin/redis-server {redis_dir / 'redis.conf'}"})
    (top.run / "s3").mkdir(parents=True, exist_ok=True)
    write_unit(
        top,
        "s3.service",
        {
            "ExecStart": f"{venv_bin / 'python'} -m moto.server -H 127.0.0.1 -p {top.ports['moto']}",
            "WorkingDirectory": str(top.run / "s3"),
        },
    )
    licence = top.run / "licence"
    licence.mkdir(parents=True, exist_ok=True)
    write_tokens(top, TOKENS)
    (licence / "licence.env").write_text(f"PIXPRESS_LICENSE_API_KEY={top.licence_key}\n")
    write_unit(
        top,
        "pixpress-license.service",
        {
            "EnvironmentFile": str(licence / "licence.env"),
            "ExecStart": f"{venv_bin / 'pixpress'} license-server --tokens {licence / 'tokens.toml'} "
            f"--port {top.ports['licence']}",
            "WorkingDirectory": str(licence),
        },
    )
    write_unit(
        top,
        "nginx.service",
        {
            "ExecStart": f"/usr/sbin/nginx -p {top.run / 'nginx'}/ -c {top.run / 'nginx' / 'nginx.conf'} "
            '-g "daemon off;"',
            "KillSignal": "SIGQUIT",  # graceful: in-flight requests finish
            "TimeoutStopSec": "30",
        },
    )


def write_tokens(top: Topology, quotas: Mapping[str, float]) -> None:
    text = "".join(
        f'[tokens."{token}"]\nquota_mb = {quota}\nsubscription_type = "premium"\n\n'
        for token, quota in quotas.items()
    )
    path = top.run / "licence" / "tokens.toml"
    path.with_suffix(".tmp").write_text(text)
    path.with_suffix(".tmp").replace(path)


def write_env_file(top: Topology) -> None:
    data_dir = top.run / "var" / "lib" / "pixpress"
    data_dir.mkdir(parents=True, exist_ok=True)
    values = {
        "PIXPRESS_ENVIRONMENT": "production",
        "PIXPRESS_DATA_DIR": str(data_dir),
        "PIXPRESS_DATABASE_URL": top.database_url,
        "PIXPRESS_REDIS_URL": top.redis_url,
        "PIXPRESS_STORAGE_URL": f"s3://{top.bucket}/results",
        "PIXPRESS_S3_ENDPOINT_URL": top.s3_url,
        "PIXPRESS_S3_ACCESS_KEY_ID": top.s3_key,
        "PIXPRESS_S3_SECRET_ACCESS_KEY": top.s3_secret,
        "PIXPRESS_PUBLIC_BASE_URL": top.url,
        "PIXPRESS_LICENSE_API_URL": f"http://127.0.0.1:{top.ports['licence']}",
        "PIXPRESS_LICENSE_API_KEY": top.licence_key,
        "PIXPRESS_ADMIN_TOKENS": top.admin_token,
        "PIXPRESS_LOG_JSON": "true",
        "PIXPRESS_WORKERS": "1",
        **DRILL_SETTINGS,
        **top.settings,
    }
    top.env_file.parent.mkdir(parents=True, exist_ok=True)
    top.env_file.write_text("".join(f"{key}={value}\n" for key, value in values.items()))
    top.env_file.chmod(0o640)


def write_nginx(top: Topology, drained: set[int] | None = None) -> None:
    """nginx's configuration: the front (deploy/nginx/pixpress.conf filled in) and the S3 switch.
    A drained API port is marked `down`: nginx sends it nothing new (a rolling restart's first step)."""
    folder = top.run / "nginx"
    (folder / "tmp").mkdir(parents=True, exist_ok=True)
    servers = " ".join(
        f"server 127.0.0.1:{top.ports[f'api{i + 1}']} max_fails=3 fail_timeout=10s"
        + (" down" if top.ports[f"api{i + 1}"] in (drained or set()) else "")
        + ";"
        for i in range(API_COUNT)
    )
    values = {
        "API_SERVERS": servers,
        "LISTEN": f"127.0.0.1:{top.ports['https']}",
        "SERVER_NAME": "localhost",
        "TLS_CERT": str(top.cert),
        "TLS_KEY": str(top.run / "tls" / "key.pem"),
    }
    front = NGINX_TEMPLATE.read_text()
    for name, value in values.items():
        front = front.replace("${" + name + "}", value)
    if re.search(r"^[^#]*\$\{[A-Z_]+\}", front, re.MULTILINE):
        raise ValueError(f"{NGINX_TEMPLATE}: a placeholder was not filled in")
    (folder / "pixpress.conf").write_text(front)
    refuse_flag = top.run / "s3" / "refuse-writes"
    temp = folder / "tmp"
    (folder / "nginx.conf").write_text(
        f"""# written by make deploy-local
{"user www-data;" if os.geteuid() == 0 else ""}
worker_processes 2;
pid {folder / "nginx.pid"};
error_log {folder / "error.log"} warn;
events {{ worker_connections 1024; }}
http {{
    default_type application/octet-stream;
    log_format timed '$remote_addr [$time_iso8601] "$request" $status $body_bytes_sent '
                     'upstream=$upstream_addr/$upstream_status {"$"}request_time';
    access_log {folder / "access.log"} timed;
    client_body_temp_path {temp}/body;
    proxy_temp_path {temp}/proxy;
    fastcgi_temp_path {temp}/fastcgi;
    uwsgi_temp_path {temp}/uwsgi;
    scgi_temp_path {temp}/scgi;

    include {folder / "pixpress.conf"};

    # The S3 endpoint pixpress uses: moto's server, behind a switch that refuses writes (PUT, POST,
    # DELETE) with S3's 503 while {refuse_flag} exists (the drill's storage outage).
    server {{
        listen 127.0.0.1:{top.ports["s3"]};
        client_max_body_size 0;
        proxy_request_buffering off;
        location / {{
            set $refuse "";
            if (-f {refuse_flag}) {{ set $refuse "F"; }}
            if ($request_method ~ ^(PUT|POST|DELETE)$) {{ set $refuse "${{refuse}}W"; }}
            if ($refuse = "FW") {{
                return 503 '{S3_REFUSAL}';
            }}
            proxy_pass http://127.0.0.1:{top.ports["moto"]};
            proxy_http_version 1.1;
            proxy_set_header Connection "";
            proxy_set_header Host $http_host;
        }}
    }}
}}
"""
    )


def reload_nginx(top: Topology) -> None:
    folder = top.run / "nginx"
    _run(["/usr/sbin/nginx", "-p", f"{folder}/", "-c", str(folder / "nginx.conf"), "-s", "reload"])


def drain(top: Topology, drained: set[int]) -> None:
    """Take API ports out of nginx's rotation (or put them all back with an empty set)."""
    write_nginx(top, drained)
    reload_nginx(top)


def refuse_s3_writes(top: Topology, refuse: bool) -> None:
    flag = top.run / "s3" / "refuse-writes"
    if refuse:
        flag.write_text("refusing writes\n")
    else:
        flag.unlink(missing_ok=True)


def wait_for(what: str, check: Any, timeout_s: float = READY_TIMEOUT_S) -> None:
    deadline = time.monotonic() + timeout_s
    last: object = None
    while time.monotonic() < deadline:
        try:
            if check():
                return
        except Exception as exc:  # not up yet, whatever the reason
            last = exc
        time.sleep(0.2)
    raise RuntimeError(f"{what} not ready in {timeout_s:.0f} s (last error: {last})")


def postgres_ready(top: Topology, database: str = "postgres") -> bool:
    return (
        subprocess.run(
            [
                str(postgres_bin() / "pg_isready"),
                "-h",
                "127.0.0.1",
                "-p",
                str(top.ports["postgres"]),
                "-d",
                database,
            ],
            capture_output=True,
        ).returncode
        == 0
    )


def psql(top: Topology, sql: str, database: str = "postgres") -> str:
    return _run(
        [str(postgres_bin() / "psql"), "-h", "127.0.0.1", "-p", str(top.ports["postgres"]), "-U", "postgres",
         "-d", database, "-v", "ON_ERROR_STOP=1", "-At", "-c", sql],
        env={**os.environ, "PGPASSWORD": top.postgres_password},
    ).stdout  # fmt: skip


def redis_ready(top: Topology) -> bool:
    import redis

    return bool(redis.Redis.from_url(top.redis_url, socket_timeout=1).ping())


def api_ready(port: int) -> bool:
    return httpx.get(f"http://127.0.0.1:{port}/ready", timeout=3).status_code == 200


def ready_through_nginx(top: Topology) -> bool:
    return httpx.get(f"{top.url}/ready", verify=top.tls(), timeout=3).status_code == 200


def s3_client(top: Topology, endpoint: str | None = None) -> Any:
    import boto3

    return boto3.client(
        "s3",
        endpoint_url=endpoint or top.s3_url,
        region_name="us-east-1",
        aws_access_key_id=top.s3_key,
        aws_secret_access_key=top.s3_secret,
    )


def pixpress_env(top: Topology) -> dict[str, str]:
    """The environment the units give pixpress (for one-off commands such as `pixpress migrate`)."""
    from scripts.deploy_local.units import load_unit

    unit = load_unit(top.api_units[0], search=[UNITS_DIR], path_map=top.path_map())
    return unit.environment


def pixpress_command(top: Topology, *args: str, check: bool = True) -> subprocess.CompletedProcess[str]:
    """`pixpress ARGS` with the units' settings, as `systemd-run -p EnvironmentFile=...` would run it."""
    result = subprocess.run(
        [str(Path(sys.executable).parent / "pixpress"), *args],
        env=pixpress_env(top),
        capture_output=True,
        text=True,
    )
    if check and result.returncode != 0:
        raise RuntimeError(f"pixpress {' '.join(args)} failed:\n{result.stdout}{result.stderr}")
    return result


def start_supervisor(top: Topology) -> None:
    """The supervisor as a daemon of its own (setsid --fork: not a child of this command); it writes
    supervisor.pid itself."""
    logs = top.run / "logs"
    logs.mkdir(parents=True, exist_ok=True)
    with (logs / "supervisor.log").open("ab") as out:
        subprocess.run(
            ["setsid", "--fork", sys.executable, "-m", "scripts.deploy_local", "supervise", top.run_dir],
            cwd=REPO,
            stdin=subprocess.DEVNULL,
            stdout=out,
            stderr=subprocess.STDOUT,
            check=True,
        )
    wait_for("the supervisor", lambda: top.ctl("status", timeout_s=2) is not None, 20)


def up(
    run_dir: Path,
    settings: dict[str, str] | None = None,
    before_pixpress: Callable[[Topology], object] | None = None,
) -> Topology:
    """Everything started, pixpress last; `before_pixpress` runs once the shared services are up and
    before `pixpress migrate` (a restore goes there)."""
    if (run_dir / supervisor.SOCKET_NAME).exists():
        raise SystemExit(f"{run_dir} already runs a topology: make deploy-local-down first")
    if run_dir.exists():
        shutil.rmtree(run_dir)
    run_dir.mkdir(parents=True)
    run_dir.chmod(0o755)
    top = Topology(
        run_dir=str(run_dir),
        ports=pick_ports(PORT_NAMES),
        admin_token=secrets.token_hex(16),
        licence_key=secrets.token_hex(16),
        postgres_password=secrets.token_hex(12),
        settings=settings or {},
    )
    top.save()
    try:
        write_tls(top)
        init_postgres(top)
        write_service_units(top)
        write_env_file(top)
        write_nginx(top)
        start_supervisor(top)
        bring_up(top, before_pixpress)
    except BaseException:
        down(run_dir, purge=False)
        raise
    return top


def bring_up(top: Topology, before_pixpress: Callable[[Topology], object] | None = None) -> None:
    top.ctl("start", "postgresql.service")
    wait_for("PostgreSQL", lambda: postgres_ready(top))
    if not psql(top, "SELECT 1 FROM pg_roles WHERE rolname = 'pixpress'").strip():
        psql(top, f"CREATE ROLE pixpress LOGIN PASSWORD '{top.postgres_password}'")
        psql(top, "CREATE DATABASE pixpress OWNER pixpress")
    top.ctl("start", "redis.service")
    top.ctl("start", "s3.service")
    top.ctl("start", "pixpress-license.service")
    wait_for("Redis", lambda: redis_ready(top))
    moto = s3_client(top, f"http://127.0.0.1:{top.ports['moto']}")
    wait_for("the S3 server", lambda: moto.list_buckets() is not None)
    if top.bucket not in [b["Name"] for b in moto.list_buckets()["Buckets"]]:
        moto.create_bucket(Bucket=top.bucket)  # pixpress never creates buckets
    wait_for(
        "the licence server", lambda: httpx.get(f"http://127.0.0.1:{top.ports['licence']}/_stats").is_success
    )
    top.ctl("start", "nginx.service")  # also the S3 endpoint pixpress's settings name
    if before_pixpress is not None:
        before_pixpress(top)
    pixpress_command(top, "migrate")  # once per release, before any pixpress process starts
    for unit in [*top.api_units, *top.worker_units]:
        top.ctl("start", unit)
    for index in range(API_COUNT):  # like a balancer's health check
        port = top.ports[f"api{index + 1}"]
        wait_for(f"API process :{port}", lambda port=port: api_ready(port))
    reload_nginx(top)  # fresh workers: no memory of the API ports refusing while they started
    wait_for("pixpress through nginx", lambda: ready_through_nginx(top))


def down(run_dir: Path, *, purge: bool) -> None:
    """Stop every unit (reverse order, each with its own stop signal and timeout), then the supervisor.
    Whatever a dead supervisor left behind is killed by the process groups recorded in pids/."""
    with contextlib.suppress(OSError, RuntimeError, ValueError):
        supervisor.request(run_dir, "shutdown", timeout_s=400)
    pid_file = run_dir / "supervisor.pid"
    if pid_file.exists():
        pid = int(pid_file.read_text())
        deadline = time.monotonic() + 10
        while _alive(pid) and time.monotonic() < deadline:
            time.sleep(0.1)
        with contextlib.suppress(ProcessLookupError):
            os.killpg(pid, signal.SIGKILL)
    for recorded in (run_dir / "pids").glob("*") if (run_dir / "pids").exists() else []:
        with contextlib.suppress(ProcessLookupError, ValueError, PermissionError):
            os.killpg(int(recorded.read_text()), signal.SIGKILL)
    (run_dir / supervisor.SOCKET_NAME).unlink(missing_ok=True)
    if purge and run_dir.exists():
        shutil.rmtree(run_dir)


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    with contextlib.suppress(OSError):
        return Path(f"/proc/{pid}/stat").read_text().split()[2] != "Z"
    return False
