"""`pixpress optimize`, `pixpress quota` and `pixpress admin reset-usage`: the client commands."""

from __future__ import annotations

import signal
import sys
import time
from pathlib import Path
from typing import Annotated, Any

import typer
from rich.console import Console

from pixpress.client.bulk import BulkRun, Reporter
from pixpress.client.errors import PixpressClientError
from pixpress.client.files import find_images
from pixpress.client.outputs import OutputPlan
from pixpress.client.progress import PlainReporter, TerminalReporter, human, summary_table
from pixpress.client.state import StateFile
from pixpress.client.sync import Client

Server = Annotated[str, typer.Option("--server", envvar="PIXPRESS_SERVER", help="pixpress base URL")]
Token = Annotated[
    str, typer.Option("--token", envvar="PIXPRESS_TOKEN", help="licence token [PIXPRESS_TOKEN]")
]
EXIT_FAILED, EXIT_QUOTA, EXIT_UNREACHABLE, EXIT_INTERRUPTED = 1, 3, 4, 130


def register(app: typer.Typer) -> None:
    app.command("optimize")(optimize)
    app.command("quota")(quota)
    admin = typer.Typer(help="Vendor commands (admin token).")
    admin.command("reset-usage")(reset_usage)
    app.add_typer(admin, name="admin")


def optimize(
    paths: Annotated[list[Path], typer.Argument(help="files and folders (recursive)", exists=True)],
    server: Server = "http://127.0.0.1:8000",
    token: Token = "",
    mode: Annotated[str | None, typer.Option(help="lossless | glossy | lossy")] = None,
    quality: Annotated[int | None, typer.Option(min=1, max=100)] = None,
    format: Annotated[
        str | None, typer.Option("--format", help="original | jpeg | png | webp | avif")
    ] = None,
    max_width: Annotated[int | None, typer.Option(min=1)] = None,
    max_height: Annotated[int | None, typer.Option(min=1)] = None,
    keep_metadata: Annotated[str | None, typer.Option(help="none | icc | all")] = None,
    concurrency: Annotated[int, typer.Option(min=1, max=64, help="uploads at once")] = 4,
    output_dir: Annotated[Path | None, typer.Option(help="write results here, mirroring the folders")] = None,
    in_place: Annotated[bool, typer.Option(help="replace originals, keeping NAME.orig.EXT")] = False,
    siblings: Annotated[str | None, typer.Option(help="write e.g. webp,avif next to the originals")] = None,
    state_file: Annotated[Path, typer.Option(help="remembers finished files")] = Path(".pixpress-state.json"),
    dry_run: Annotated[bool, typer.Option(help="list what would be sent and what it costs")] = False,
) -> None:
    """Optimize many images through a pixpress server, resumably."""
    console = Console(soft_wrap=True)  # log lines stay whole when piped
    if not token:
        _fail(console, "a token is needed: --token or PIXPRESS_TOKEN")
    chosen = sum(bool(x) for x in (output_dir, in_place, siblings))
    if chosen != 1:
        _fail(console, "choose exactly one of --output-dir, --in-place, --siblings")
    if in_place and format not in (None, "original"):
        _fail(console, "--in-place keeps file names, so it cannot change the format")
    plan = OutputPlan(
        in_place=in_place,
        output_dir=output_dir,
        siblings=tuple(s.strip() for s in siblings.split(",") if s.strip()) if siblings else (),
    )
    skip = [state_file] + ([output_dir] if output_dir else [])
    roots: dict[Path, Path] = {}
    files: list[Path] = []
    for root in paths:
        for found in find_images([root], skip=skip):
            if output_dir is not None and output_dir.resolve() in found.resolve().parents:
                continue
            roots[found] = root if root.is_dir() else found.parent
            files.append(found)
    state = StateFile(state_file)
    options = {
        k: v
        for k, v in {
            "mode": mode,
            "quality": quality,
            "format": format,
            "max_width": max_width,
            "max_height": max_height,
            "keep_metadata": keep_metadata,
        }.items()
        if v is not None
    }
    with Client(server, token) as client:
        try:
            before = client.quota()
        except PixpressClientError as exc:
            _fail(console, f"{exc.code}: {exc.message}", EXIT_UNREACHABLE if exc.status == 0 else EXIT_FAILED)
        todo = [f for f in files if not state.is_done(f)]
        size = sum(f.stat().st_size for f in todo)
        console.print(
            f"quota before: {before.used_mb:.2f} MB used of {before.quota_mb:.2f} MB "
            f"({before.remaining_mb:.2f} MB left); {len(todo)} files to send ({human(size)}), "
            f"{len(files) - len(todo)} already done; output {plan.describe()}",
            highlight=False,
        )
        if dry_run:
            for path in todo:
                console.print(
                    f"would send {path} ({human(path.stat().st_size)})", highlight=False, markup=False
                )
            mb = size / 1048576
            verdict = "fits" if mb <= before.remaining_mb else "does NOT fit"
            console.print(f"total {mb:.2f} MB against {before.remaining_mb:.2f} MB remaining: {verdict}")
            return
        reporter: Reporter = TerminalReporter(console) if console.is_terminal else PlainReporter(console)
        run = BulkRun(
            client=client,
            plan=plan,
            state=state,
            options=options,
            concurrency=concurrency,
            reporter=reporter,
            roots=roots,
        )
        started = time.monotonic()
        interrupted = False
        previous = signal.signal(signal.SIGINT, lambda *_: _interrupt(run, previous))
        try:
            summary = run.run(files)
        except KeyboardInterrupt:  # a second Ctrl-C
            interrupted = True
            summary = run.summary
        finally:
            signal.signal(signal.SIGINT, previous)
        console.print(summary_table(summary, time.monotonic() - started))
        try:
            after = client.quota()
            console.print(
                f"quota after: {after.used_mb:.2f} MB used of {after.quota_mb:.2f} MB "
                f"({after.remaining_mb:.2f} MB left)"
            )
        except PixpressClientError:
            pass
    code = _exit_code(summary.stopped_reason, interrupted, summary.count("failed"))
    if summary.stopped_reason == "quota_exceeded":
        console.print(
            "[bold red]Stopped: the token's quota is used up.[/] Finished files are remembered in "
            f"{state_file}; run the same command again after the quota is reset or raised."
        )
    elif summary.stopped_reason == "server_unreachable":
        console.print(f"[bold red]Stopped: the server at {server} cannot be reached.[/] Rerun to resume.")
    elif interrupted or summary.stopped_reason == "interrupted":
        console.print(f"Interrupted. Finished files are remembered in {state_file}; rerun to resume.")
    raise typer.Exit(code)


def _interrupt(run: BulkRun, previous: Any) -> None:
    run.interrupt()
    signal.signal(signal.SIGINT, previous)  # a second Ctrl-C stops at once


def _exit_code(reason: str | None, interrupted: bool, failed: int) -> int:
    if interrupted or reason == "interrupted":
        return EXIT_INTERRUPTED
    if reason == "quota_exceeded":
        return EXIT_QUOTA
    if reason == "server_unreachable":
        return EXIT_UNREACHABLE
    return EXIT_FAILED if failed else 0


def quota(server: Server = "http://127.0.0.1:8000", token: Token = "") -> None:
    """Show the token's quota."""
    console = Console()
    with Client(server, token) as client:
        try:
            info = client.quota()
        except PixpressClientError as exc:
            _fail(console, f"{exc.code}: {exc.message}")
    for key, value in info.raw.items():
        console.print(f"{key}: {value}", highlight=False)


def reset_usage(
    token: Annotated[str, typer.Argument(help="the customer token to reset")],
    server: Server = "http://127.0.0.1:8000",
    admin_token: Annotated[
        str, typer.Option(envvar="PIXPRESS_ADMIN_TOKEN", help="[PIXPRESS_ADMIN_TOKEN]")
    ] = "",
) -> None:
    """Reset a token's monthly usage (vendor only)."""
    console = Console()
    with Client(server, admin_token) as client:
        try:
            result = client.reset_usage(token)
        except PixpressClientError as exc:
            _fail(console, f"{exc.code}: {exc.message}")
    console.print(
        f"usage reset: {result['old_usage_mb']} MB -> {result['new_usage_mb']} MB "
        f"({result['remaining_mb']} MB of {result['quota_mb']} MB left)"
    )


def _fail(console: Console, message: str, code: int = EXIT_FAILED) -> None:
    console.print(f"[bold red]error:[/] {message}", highlight=False)
    sys.stdout.flush()
    raise typer.Exit(code)
