"""Progress of a bulk run: a live bar on a terminal, one plain line per file otherwise."""

from __future__ import annotations

import threading
import time

from rich.console import Console
from rich.progress import (
    BarColumn,
    Progress,
    TaskID,
    TextColumn,
    TimeElapsedColumn,
    TimeRemainingColumn,
)
from rich.table import Table
from rich.text import Text

from pixpress.client.bulk import FileOutcome, Summary


def human(size: float) -> str:
    for unit in ("B", "KB", "MB", "GB"):
        if abs(size) < 1024 or unit == "GB":
            return f"{size:.0f} {unit}" if unit == "B" else f"{size:.1f} {unit}"
        size /= 1024
    return f"{size:.1f} GB"


class TerminalReporter:
    """One live bar. It advances by bytes (a 12 MP photo weighs more than an icon), so the ETA holds
    for folders of mixed sizes; the file count is shown beside it."""

    def __init__(self, console: Console) -> None:
        self.console = console
        self.progress = Progress(
            TextColumn("[bold]optimizing"),
            BarColumn(),
            TextColumn("{task.fields[files]}"),
            TextColumn("{task.fields[bytes]}"),
            TextColumn("[green]{task.fields[savings]}"),
            TimeElapsedColumn(),
            TextColumn("ETA"),
            TimeRemainingColumn(),
            console=console,
            transient=False,
        )
        self.task: TaskID | None = None
        self.total_files = self.files = 0
        self.bytes_in = self.bytes_out = 0
        self._lock = threading.Lock()

    def start(self, total_files: int, total_bytes: int) -> None:
        self.total_files = total_files
        self.progress.start()
        self.task = self.progress.add_task(
            "files", total=max(total_bytes, 1), files=f"0/{total_files} files", bytes="", savings=""
        )

    def file_done(self, outcome: FileOutcome) -> None:
        with self._lock:
            self.files += 1
            if outcome.status == "done":
                self.bytes_in += outcome.bytes_in
                self.bytes_out += outcome.bytes_out
            else:
                self.console.print(
                    Text.assemble(("FAILED", "bold red"), f" {outcome.path}: {outcome.message}")
                )
            saved = 100 * (1 - self.bytes_out / self.bytes_in) if self.bytes_in else 0.0
            assert self.task is not None
            self.progress.update(
                self.task,
                advance=outcome.bytes_in,
                files=f"{self.files}/{self.total_files} files",
                bytes=f"{human(self.bytes_in)} -> {human(self.bytes_out)}",
                savings=f"-{saved:.1f}%",
            )

    def stop(self) -> None:
        self.progress.stop()


class PlainReporter:
    """For logs and pipes: one line per file, no escape codes."""

    def __init__(self, console: Console) -> None:
        self.console = console
        self.started = time.monotonic()
        self.total = 0
        self.count = 0
        self._lock = threading.Lock()

    def start(self, total_files: int, total_bytes: int) -> None:
        self.total = total_files
        self.console.print(f"sending {total_files} files ({human(total_bytes)})")

    def file_done(self, outcome: FileOutcome) -> None:
        with self._lock:
            self.count += 1
            if outcome.status == "done":
                saved = 100 * (1 - outcome.bytes_out / outcome.bytes_in) if outcome.bytes_in else 0.0
                sizes = f"{human(outcome.bytes_in)} -> {human(outcome.bytes_out)}"
                line = f"ok {outcome.path} {sizes} (-{saved:.1f}%)"
            else:
                line = f"FAILED {outcome.path}: {outcome.message}"
            self.console.print(f"[{self.count}/{self.total}] {line}", markup=False, highlight=False)

    def stop(self) -> None:
        return None


def summary_table(summary: Summary, elapsed_s: float) -> Table:
    table = Table(title="pixpress optimize", show_header=False)
    saved = summary.bytes_in - summary.bytes_out
    percent = 100 * saved / summary.bytes_in if summary.bytes_in else 0.0
    rate = summary.count("done") / elapsed_s if elapsed_s > 0 else 0.0
    rows = [
        ("optimized", str(summary.count("done"))),
        ("skipped (done before)", str(summary.count("skipped"))),
        ("failed", str(summary.count("failed"))),
        ("not sent (stopped early)", str(summary.not_sent)),
        ("bytes in", human(summary.bytes_in)),
        ("bytes out", human(summary.bytes_out)),
        ("saved", f"{human(saved)} ({percent:.1f}%)"),
        ("time", f"{elapsed_s:.1f} s ({rate:.2f} images/s)"),
    ]
    for name, value in rows:
        table.add_row(name, value)
    return table
