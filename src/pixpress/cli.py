"""The `pixpress` command: serve, worker, migrate, cleanup, license-server, and the client commands."""

from __future__ import annotations

import contextlib
import logging
import os
import signal
import subprocess
import sys
import threading
import time
from collections.abc import Callable
from pathlib import Path
from types import FrameType
from typing import TYPE_CHECKING, Annotated

import typer

from pixpress.config import Settings

if TYPE_CHECKING:
    from pixpress.metrics.listener import MetricsListener

app = typer.Typer(
    help="pixpress: self-hosted image optimization with licence-token quotas.", no_args_is_help=True
)
log = logging.getLogger("pixpress")

WORKER_STOP_GRACE_S = 30.0
TERM_GRACE_S = 5.0


def _settings(**overrides: object) -> Settings:
    from pixpress.logging_setup import configure_logging
    from pixpress.malloc import return_freed_memory

    return_freed_memory()
    settings = Settings(**{k: v for k, v in overrides.items() if v is not None})  # type: ignore[arg-type]
    configure_logging(settings)
    return settings


@app.command()
def serve(
    host: Annotated[str | None, typer.Option(help="address to listen on [PIXPRESS_HOST]")] = None,
    port: Annotated[int | None, typer.Option(help="port [PIXPRESS_PORT]")] = None,
    workers: Annotated[int | None, typer.Option(help="worker processes of the embedded consumer")] = None,
    no_worker: Annotated[bool, typer.Option("--no-worker", help="run the API alone")] = False,
) -> None:
    """Run the HTTP API, and an embedded queue consumer unless --no-worker."""
    settings = _settings(host=host, port=port, workers=workers)
    metrics_group = _metrics_group(settings)  # before anything imports prometheus_client
    import uvicorn

    from pixpress.app import create_app
    from pixpress.container import Container
    from pixpress.db.migrate import upgrade

    container = Container(settings)
    server = uvicorn.Server(
        uvicorn.Config(
            create_app(settings, container=container, migrate=False),
            host=settings.host,
            port=settings.port,
            log_config=None,
            timeout_graceful_shutdown=10,
            # The app believes X-Forwarded-* only from PIXPRESS_TRUSTED_PROXIES (api/proxies.py); uvicorn's
            # own handling would also obey a FORWARDED_ALLOW_IPS="*" left in an old environment.
            proxy_headers=False,
        )
    )

    def request_stop(_signum: int, _frame: FrameType | None) -> None:
        # From here to the end, a stop signal never ends this process before its worker is stopped:
        # before uvicorn runs it means "do not start", while it runs uvicorn takes the signals over,
        # and after it re-raises them here.
        server.should_exit = True

    for stop_signal in (signal.SIGTERM, signal.SIGINT):
        signal.signal(stop_signal, request_stop)
    if container.database.is_sqlite:
        upgrade(settings.resolved_database_url)  # before the worker starts, so both see the schema
    listener = _start_metrics_listener(settings, container.queue.pending)
    worker = None if no_worker or server.should_exit else _start_worker_process(settings, metrics_group)
    try:
        if not server.should_exit:
            server.run()
    finally:
        if listener is not None:
            listener.stop()
        if worker is not None:
            _stop_worker_process(worker)


def _metrics_group(settings: Settings, *, join: Path | None = None) -> Path | None:
    """The metrics directory this command's processes add up in: a fresh one of its own, or its serve's
    (`join`). prometheus_client picks its mode when first imported: call this before any import of it."""
    if not settings.metrics_enabled:
        return None
    from pixpress.metrics import group

    if join is not None:
        group.join_group(join)
        return join
    return group.start_group(settings.resolved_metrics_dir)


def _start_metrics_listener(settings: Settings, pending: Callable[[], int]) -> MetricsListener | None:
    address = settings.metrics_listen
    if not settings.metrics_enabled or address is None:
        return None
    from pixpress.metrics.listener import MetricsListener

    return MetricsListener(*address, pending=pending).start()


def _start_worker_process(settings: Settings, metrics_group: Path | None) -> subprocess.Popen[bytes]:
    env = {
        **os.environ,
        "PIXPRESS_DATA_DIR": str(settings.data_dir.resolve()),
        "PIXPRESS_WORKERS": str(settings.workers),
    }
    cmd = [
        sys.executable,
        "-m",
        "pixpress",
        "worker",
        "--concurrency",
        str(settings.workers),
        "--no-migrate",
        "--parent-pid",
        str(os.getpid()),
    ]
    if metrics_group is not None:
        cmd += ["--metrics-group", str(metrics_group)]  # one group: /metrics adds the workers' up too
    # A process group of its own: whatever happens, the consumer and its worker processes can be ended
    # together (a terminal's Ctrl-C reaches serve, which stops them in order).
    return subprocess.Popen(cmd, env=env, start_new_session=True)


def _stop_worker_process(worker: subprocess.Popen[bytes]) -> None:
    """Graceful first (huey finishes running tasks on SIGINT), then ever harder, to the whole group."""
    if worker.poll() is not None:
        _signal_group(worker, signal.SIGKILL)  # leftovers of a consumer that died on its own
        return
    worker.send_signal(signal.SIGINT)  # the consumer only: its worker processes must finish their task
    for escalation, wait_s in ((signal.SIGTERM, WORKER_STOP_GRACE_S), (signal.SIGKILL, TERM_GRACE_S)):
        try:
            worker.wait(wait_s)
            break
        except subprocess.TimeoutExpired:
            log.warning("the worker did not stop in %.0f s: sending %s", wait_s, escalation.name)
            _signal_group(worker, escalation)
    worker.wait()
    _signal_group(worker, signal.SIGKILL)  # a worker process its consumer left behind


def _signal_group(worker: subprocess.Popen[bytes], sig: signal.Signals) -> None:
    with contextlib.suppress(ProcessLookupError, PermissionError):
        os.killpg(worker.pid, sig)


@app.command()
def worker(
    concurrency: Annotated[int | None, typer.Option(help="worker processes (default: CPUs)")] = None,
    no_migrate: Annotated[bool, typer.Option("--no-migrate", hidden=True)] = False,
    parent_pid: Annotated[int | None, typer.Option(hidden=True)] = None,
    metrics_group: Annotated[Path | None, typer.Option(hidden=True)] = None,
) -> None:
    """Run a queue consumer alone (worker processes plus the periodic jobs)."""
    # A shell starts background jobs with SIGINT ignored, and that is inherited: the graceful stop
    # (SIGINT) must reach the consumer whoever started it.
    signal.signal(signal.SIGINT, signal.default_int_handler)
    signal.signal(signal.SIGTERM, signal.SIG_DFL)
    # One BLAS thread per worker process: N processes each spawning N threads only contend
    # (measured: two processes scoring at once ran 3x slower with the default).
    os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")
    settings = _settings(workers=concurrency)
    _metrics_group(settings, join=metrics_group)  # before anything imports prometheus_client

    # Imported before the worker processes fork, so they share these pages instead of each loading them.
    import pixpress.imaging.pipeline  # noqa: F401
    from pixpress.container import Container
    from pixpress.db.migrate import upgrade
    from pixpress.tasks.queue import make_consumer

    container = Container(settings)
    if container.database.is_sqlite and not no_migrate:
        upgrade(settings.resolved_database_url)
    container.install_worker_context()
    consumer = make_consumer(container.queue.huey, workers=settings.workers)
    jobs = container.periodic_jobs()
    jobs.start()
    # Its own group's listener only: an embedded worker's metrics are served by its `serve`.
    listener = None if metrics_group else _start_metrics_listener(settings, container.queue.pending)
    if parent_pid is not None:
        _stop_when_orphaned(parent_pid)
    log.info("worker consumer started with %d processes", settings.workers)
    try:
        consumer.run()
    finally:
        if listener is not None:
            listener.stop()
        jobs.stop()
        container.close()


def _stop_when_orphaned(parent_pid: int) -> None:
    """An embedded consumer stops gracefully when its `serve` process is gone (even after kill -9)."""

    def watch() -> None:
        while os.getppid() == parent_pid:
            time.sleep(1)
        log.warning("serve process %d is gone: stopping the embedded worker", parent_pid)
        os.kill(os.getpid(), signal.SIGINT)

    threading.Thread(target=watch, name="pixpress-parent-watch", daemon=True).start()


@app.command()
def migrate() -> None:
    """Apply database migrations (serve does this itself on SQLite)."""
    from pixpress.db.migrate import upgrade

    upgrade(_settings().resolved_database_url)
    typer.echo("migrations applied")


@app.command("migrate-data")
def migrate_data(
    from_data_dir: Annotated[Path, typer.Option(help="the one-machine install's PIXPRESS_DATA_DIR")],
    from_database_url: Annotated[str, typer.Option(help="its PIXPRESS_DATABASE_URL, if it set one")] = "",
    from_storage_url: Annotated[str, typer.Option(help="its PIXPRESS_STORAGE_URL, if it set one")] = "",
) -> None:
    """Copy a one-machine install's rows and files into this configuration's database and storage.

    Every pixpress process stopped; the target database empty (migrated or not)."""
    from pixpress.usecases.migrate_data import migrate_data as run

    target = _settings()
    source = target.model_copy(
        update={"data_dir": from_data_dir, "database_url": from_database_url, "storage_url": from_storage_url}
    )
    report = run(source=source, target=target)
    typer.echo(", ".join(f"{table} {count}" for table, count in report.rows.items()) + " rows copied")
    typer.echo(f"{report.files} files copied to {target.resolved_storage_url}")


@app.command()
def cleanup() -> None:
    """Delete expired tasks and their files, and files without a task, now (workers also do it)."""
    from pixpress.container import Container
    from pixpress.usecases.maintenance import check_ledger, cleanup_expired, requeue_expired_leases

    container = Container(_settings())
    try:
        removed = cleanup_expired(
            records=container.records, storage=container.storage, settings=container.settings
        )
        requeued = requeue_expired_leases(
            records=container.records,
            enqueue=container.queue.enqueue,
            pending_messages=container.queue.pending,
            settle_failure=container.settle_failure,
            settings=container.settings,
        )
        report = check_ledger(database=container.database)
    finally:
        container.close()
    typer.echo(f"removed {removed} expired tasks and orphan files, handled {requeued} expired leases")
    typer.echo(f"ledger {'ok' if report.ok else 'MISMATCH (see pixpress admin check-ledger)'}")


admin_app = typer.Typer(help="Vendor and operator commands.", no_args_is_help=True)
app.add_typer(admin_app, name="admin")


@admin_app.command("check-ledger")
def check_ledger() -> None:
    """Check that every token's usage equals its ledger (charges minus refunds of the open period).

    Reports and never rewrites; exit status 1 when something does not match. Also run daily by the workers.
    """
    from pixpress.container import Container
    from pixpress.usecases.maintenance import check_ledger

    container = Container(_settings())
    try:
        report = check_ledger(database=container.database)
    finally:
        container.close()
    for imbalance in report.imbalances:
        typer.echo(imbalance.describe())
    if not report.ok:
        typer.echo(f"ledger MISMATCH: {len(report.imbalances)} of {report.tokens} tokens")
        raise typer.Exit(1)
    typer.echo(f"ledger ok: {report.tokens} tokens")


@app.command("license-server")
def license_server(
    tokens: Annotated[Path, typer.Option(help='TOML file: [tokens."TOKEN"] quota_mb=..., ...')],
    api_key: Annotated[str, typer.Option(envvar="PIXPRESS_LICENSE_API_KEY", help="expected Bearer key")],
    host: str = "127.0.0.1",
    port: int = 8001,
    mode: Annotated[
        str, typer.Option(help="fault switch at start (see pixpress.license_server.MODES)")
    ] = "ok",
    delay_s: Annotated[float, typer.Option(help="delay of the slow mode")] = 5.0,
) -> None:
    """Run the reference licence server (development, demos, tests)."""
    from pixpress.license_server import run_license_server

    logging.basicConfig(level=logging.INFO)
    run_license_server(tokens_file=tokens, api_key=api_key, host=host, port=port, mode=mode, delay_s=delay_s)


def _register_client_commands() -> None:
    try:
        from pixpress.client.cli import register
    except ImportError:  # the client package is optional for the server
        return
    register(app)


_register_client_commands()


def main() -> None:
    app()
