"""`pixpress optimize`, `pixpress quota` and `pixpress admin reset-usage`: the client commands.

Exit status of `optimize`: 0 all done, 1 some file failed (or a usage error), 3 the quota ran out,
4 the server could not be reached, 130 interrupted (Ctrl-C).
"""

from __future__ import annotations

import os
import signal
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Annotated, Any, NoReturn

import typer
from rich.console import Console
from rich.text import Text

from pixpress.client.bulk import BulkRun, Reporter, Summary
from pixpress.client.errors import ConnectionFailed, PixpressClientError
from pixpress.client.files import KINDS, find_images
from pixpress.client.models import Quota
from pixpress.client.outputs import OutputPlan
from pixpress.client.progress import PlainReporter, TerminalReporter, human, summary_table
from pixpress.client.state import DEFAULT_STATE_FILE, StateFile, StateFileError
from pixpress.client.sync import Client

Server = Annotated[str, typer.Option("--server", envvar="PIXPRESS_SERVER", help="pixpress base URL")]
Token = Annotated[
    str,
    typer.Option(
        "--token",
        envvar="PIXPRESS_TOKEN",
        help="licence token (better from the environment)",
        show_default=False,
    ),
]
DEFAULT_SERVER = "http://127.0.0.1:8000"
EXIT_FAILED, EXIT_QUOTA, EXIT_UNREACHABLE, EXIT_INTERRUPTED = 1, 3, 4, 130
MB = 1048576
MODES = ("lossless", "glossy", "lossy")
FORMATS = ("original", "jpeg", "png", "webp", "avif")
METADATA = ("none", "icc", "all")


def register(app: typer.Typer) -> None:
    """Add `optimize`, `quota` and `admin reset-usage` to the `pixpress` command."""
    app.command("optimize")(optimize)
    app.command("quota")(quota)
    # The server's own `admin` group (check-ledger) when there is one: one group, not two.
    existing = next((g.typer_instance for g in app.registered_groups if g.name == "admin"), None)
    admin = existing or typer.Typer(help="Vendor commands (admin token).", no_args_is_help=True)
    admin.command("reset-usage")(reset_usage)
    if existing is None:
        app.add_typer(admin, name="admin")


def optimize(
    paths: Annotated[list[Path], typer.Argument(help="files and folders (recursive)", exists=True)],
    server: Server = DEFAULT_SERVER,
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
    in_place: Annotated[
        bool, typer.Option("--in-place", help="replace originals, keeping NAME.orig.EXT")
    ] = False,
    siblings: Annotated[
        str | None, typer.Option(help="write e.g. webp,avif next to the originals (one upload)")
    ] = None,
    sizes: Annotated[
        str | None,
        typer.Option(
            help="also make resized copies from the same upload, written next to each output as "
            "NAME-SIZE.EXT, e.g. 'thumbnail:150x150:crop,medium:300x300'"
        ),
    ] = None,
    state_file: Annotated[
        Path, typer.Option(help="remembers finished files (JSON), so a rerun sends only the rest")
    ] = DEFAULT_STATE_FILE,
    dry_run: Annotated[
        bool, typer.Option("--dry-run", help="list what would be sent and what it costs")
    ] = False,
) -> None:
    """Optimize many images through a pixpress server, resumably."""
    console = Console(soft_wrap=True)  # log lines stay whole when piped
    if not token:
        _fail(console, "a token is needed: --token or PIXPRESS_TOKEN")
    for option, value, allowed in (
        ("--mode", mode, MODES),
        ("--format", format, FORMATS),
        ("--keep-metadata", keep_metadata, METADATA),
    ):
        if value is not None and value not in allowed:
            _fail(console, f"{option} takes one of {', '.join(allowed)}, not {value!r}")
    with _ctrl_c_exits(console, state_file):  # a Ctrl-C before or after the run: no traceback
        plan = _plan(console, output_dir=output_dir, in_place=in_place, siblings=siblings, format=format)
        if sizes is not None and siblings:
            _fail(console, "--sizes writes next to one output per file; it does not combine with --siblings")
        try:
            state = StateFile(state_file)
        except StateFileError as exc:
            _fail(console, str(exc))
        files, roots = _files(paths, plan=plan, state=state, state_file=state_file)
        options = {
            k: v
            for k, v in {
                "mode": mode,
                "quality": quality,
                "format": format,
                "max_width": max_width,
                "max_height": max_height,
                "keep_metadata": keep_metadata,
                "sizes": sizes,
            }.items()
            if v is not None
        }
        with Client(server, token) as client:
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
            clashes = plan.clashes(files, roots, format if format not in (None, "original") else None)
            for path, why in clashes.items():
                console.print(Text.assemble(("warning: ", "yellow"), f"{path}: {why}"))
            todo = [path for path in run.todo(files) if path not in clashes]
            size = sum(f.stat().st_size for f in todo)
            before = _quota_or_none(console, client, fatal=not dry_run)
            console.print(
                f"quota before: {_quota_line(before)}; {len(todo)} files to send ({human(size)}), "
                f"{len(files) - len(todo) - len(clashes)} already done; output {plan.describe()}",
                highlight=False,
                markup=False,
            )
            if dry_run:
                _dry_run(console, todo, size, before)
                return
            if not todo:
                console.print("Nothing to send: every file found is done.")
                raise typer.Exit(EXIT_FAILED if clashes else 0)
            if before is not None and size / MB > before.remaining_mb:
                console.print(
                    f"[yellow]warning:[/] {size / MB:.2f} MB to send but {before.remaining_mb:.2f} MB left: "
                    "the run will stop when the quota runs out (rerun after a reset to finish)",
                    highlight=False,
                )
            started = time.monotonic()
            summary, interrupted = _run_with_ctrl_c(run, files, clashes)
            console.print(summary_table(summary, time.monotonic() - started))
            after = _quota_or_none(console, client, fatal=False)
            if after is not None:
                console.print(f"quota after: {_quota_line(after)}", highlight=False)
        _explain_stop(console, summary, interrupted, server=server, state_file=state_file)
        if summary.abandoned:  # a second Ctrl-C: do not wait for the uploads under way
            console.file.flush()
            os._exit(EXIT_INTERRUPTED)
        raise typer.Exit(_exit_code(summary, interrupted))


@contextmanager
def _ctrl_c_exits(console: Console, state_file: Path) -> Iterator[None]:
    try:
        yield
    except KeyboardInterrupt:
        console.print(Text(f"Interrupted. Finished files are remembered in {state_file}; rerun to resume."))
        raise typer.Exit(EXIT_INTERRUPTED) from None


def _plan(
    console: Console, *, output_dir: Path | None, in_place: bool, siblings: str | None, format: str | None
) -> OutputPlan:
    if sum(bool(x) for x in (output_dir, in_place, siblings)) != 1:
        _fail(console, "choose exactly one of --output-dir, --in-place, --siblings")
    if in_place and format not in (None, "original"):
        _fail(console, "--in-place keeps file names, so it cannot change the format")
    chosen = tuple(s.strip().lower() for s in siblings.split(",") if s.strip()) if siblings else ()
    if siblings and (not chosen or not set(chosen) <= {"webp", "avif", "jpeg", "png"}):
        _fail(console, "--siblings takes formats among webp, avif, jpeg, png, e.g. --siblings webp,avif")
    if siblings and format is not None:
        _fail(console, "--siblings chooses the formats itself; leave out --format")
    return OutputPlan(in_place=in_place, output_dir=output_dir, siblings=chosen)


def _files(
    paths: list[Path], *, plan: OutputPlan, state: StateFile, state_file: Path
) -> tuple[list[Path], dict[Path, Path]]:
    """The images to consider and, for --output-dir, the folder each one's layout is relative to."""
    skip = [state_file, *state.outputs()] + ([plan.output_dir] if plan.output_dir else [])
    # A sibling never becomes an input of its own (photo.webp next to photo.jpg is an output).
    kinds = KINDS - set(plan.siblings)
    several = len(paths) > 1  # keep the roots apart in the output folder: out/<root name>/...
    roots: dict[Path, Path] = {}
    files: list[Path] = []
    for root in paths:
        base = root if root.is_dir() else root.parent
        for found in find_images([root], skip=skip, kinds=kinds):
            if found not in roots:
                roots[found] = Path(os.path.abspath(base)).parent if several else base
                files.append(found)
    return files, roots


def _run_with_ctrl_c(run: BulkRun, files: list[Path], refused: dict[Path, str]) -> tuple[Summary, bool]:
    """The first Ctrl-C lets the uploads under way finish; a second one stops at once."""
    previous = signal.getsignal(signal.SIGINT)

    def first_ctrl_c(_signum: int, _frame: Any) -> None:
        run.interrupt()
        signal.signal(signal.SIGINT, signal.default_int_handler)

    signal.signal(signal.SIGINT, first_ctrl_c)
    try:
        return run.run(files, refused=refused), False
    except KeyboardInterrupt:
        return run.summary, True
    finally:
        signal.signal(signal.SIGINT, previous)


def _dry_run(console: Console, todo: list[Path], size: int, before: Quota | None) -> None:
    for path in todo:
        console.print(f"would send {path} ({human(path.stat().st_size)})", highlight=False, markup=False)
    mb = size / MB
    if before is None:
        console.print(f"total {mb:.2f} MB (remaining quota unknown)", highlight=False)
        return
    verdict = "fits" if mb <= before.remaining_mb else "does NOT fit"
    console.print(
        f"total {mb:.2f} MB against {before.remaining_mb:.2f} MB remaining: {verdict}", highlight=False
    )


def _explain_stop(
    console: Console, summary: Summary, interrupted: bool, *, server: str, state_file: Path
) -> None:
    left = f"{summary.not_sent} files not sent yet. " if summary.not_sent else ""
    if summary.abandoned:
        left += f"{summary.abandoned} uploads abandoned (a rerun sends them again, charged once). "
    remembered = f"Finished files are remembered in {state_file}"
    if summary.stopped_reason == "quota_exceeded":
        headline = "Stopped: the token's quota is used up."
        advice = f"{left}{remembered}; run the same command again after the quota is reset or raised."
    elif summary.stopped_reason == "server_unreachable":
        headline = f"Stopped: the server at {server} cannot be reached."
        advice = f"{left}{remembered}; rerun to resume."
    elif interrupted or summary.stopped_reason == "interrupted":
        headline, advice = "Interrupted.", f"{left}{remembered}; rerun to resume."
    else:
        return
    console.print(Text.assemble((headline, "bold red" if headline != "Interrupted." else ""), " ", advice))


def _exit_code(summary: Summary, interrupted: bool) -> int:
    reason = summary.stopped_reason
    if interrupted or reason == "interrupted":
        return EXIT_INTERRUPTED
    if reason == "quota_exceeded":
        return EXIT_QUOTA
    if reason == "server_unreachable":
        return EXIT_UNREACHABLE
    return EXIT_FAILED if summary.count("failed") else 0


def _quota_or_none(console: Console, client: Client, *, fatal: bool) -> Quota | None:
    try:
        return client.quota()
    except PixpressClientError as exc:
        if fatal:
            _fail_on(console, exc)
        console.print(Text.assemble(("quota unknown: ", "yellow"), f"{exc.code}: {exc.message}"))
        return None


def _quota_line(quota: Quota | None) -> str:
    if quota is None:
        return "unknown"
    return f"{quota.used_mb:.2f} MB used of {quota.quota_mb:.2f} MB ({quota.remaining_mb:.2f} MB left)"


def quota(server: Server = DEFAULT_SERVER, token: Token = "") -> None:
    """Show the token's quota."""
    console = Console(soft_wrap=True)
    if not token:
        _fail(console, "a token is needed: --token or PIXPRESS_TOKEN")
    with Client(server, token) as client:
        try:
            info = client.quota()
        except PixpressClientError as exc:
            _fail_on(console, exc)
    console.print(_quota_line(info), highlight=False)
    for key, value in info.raw.items():
        if key != "token":  # never echo the secret back
            console.print(Text(f"  {key}: {value}"))


def reset_usage(
    token: Annotated[str, typer.Argument(help="the customer token to reset")],
    server: Server = DEFAULT_SERVER,
    admin_token: Annotated[
        str, typer.Option(envvar="PIXPRESS_ADMIN_TOKEN", help="an admin token", show_default=False)
    ] = "",
) -> None:
    """Reset a token's monthly usage (vendor only)."""
    console = Console(soft_wrap=True)
    if not admin_token:
        _fail(console, "an admin token is needed: --admin-token or PIXPRESS_ADMIN_TOKEN")
    with Client(server, admin_token) as client:
        try:
            result = client.reset_usage(token)
        except PixpressClientError as exc:
            _fail_on(console, exc)
    console.print(
        f"usage reset: {result.old_usage_mb:.2f} MB -> {result.new_usage_mb:.2f} MB "
        f"({result.remaining_mb:.2f} MB of {result.quota_mb:.2f} MB left)",
        highlight=False,
    )


def _fail_on(console: Console, exc: PixpressClientError) -> NoReturn:
    _fail(console, f"{exc.code}: {exc.message}", EXIT_UNREACHABLE if isinstance(exc, ConnectionFailed) else 1)


def _fail(console: Console, message: str, code: int = EXIT_FAILED) -> NoReturn:
    console.print(Text.assemble(("error:", "bold red"), f" {message}"))
    raise typer.Exit(code)
