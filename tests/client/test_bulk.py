"""`pixpress optimize` against an in-memory pixpress (httpx.MockTransport): resume, quota, Ctrl-C, a
vanishing server, dry runs and the three output kinds."""

from __future__ import annotations

import hashlib
import io
import os
import shutil
import signal
import time
from collections.abc import Callable
from pathlib import Path

import httpx
import pytest
import typer
from rich.console import Console
from typer.testing import CliRunner, Result

import pixpress.client.cli as cli_module
from pixpress.client import Client
from pixpress.client.bulk import FileOutcome
from pixpress.client.cli import register
from pixpress.client.files import image_kind
from pixpress.client.progress import PlainReporter, TerminalReporter
from tests.client.fakes import FakePixpress, result_bytes, size_bytes

GRAPHIC = ("color.png", "hopper.png", "logo.png", "page.png", "text.png", "transparent.png")


@pytest.fixture
def media(tmp_path: Path, corpus: Path) -> Path:
    folder = tmp_path / "media"
    (folder / "2024").mkdir(parents=True)
    for name in GRAPHIC[:3]:
        shutil.copy(corpus / "graphic" / name, folder / name)
    for name in GRAPHIC[3:]:
        shutil.copy(corpus / "graphic" / name, folder / "2024" / name)
    (folder / "notes.txt").write_text("not an image")
    (folder / "2024" / "fake.png").write_text("<html>named .png, is not one</html>")
    return folder


def sizes(folder: Path) -> dict[str, int]:
    return {p.name: p.stat().st_size for p in folder.rglob("*.png") if p.name != "fake.png"}


class Cli:
    def __init__(self, monkeypatch: pytest.MonkeyPatch, fake: FakePixpress, cwd: Path) -> None:
        self.fake = fake
        self.cwd = cwd
        self.handler: Callable[[httpx.Request], httpx.Response] = fake.handle
        self.app = typer.Typer()
        register(self.app)

        def client(server: str, token: str) -> Client:
            transport = httpx.MockTransport(lambda request: self.handler(request))
            return Client(server, token, transport=transport, sleep=lambda _s: None)

        monkeypatch.setattr(cli_module, "Client", client)
        monkeypatch.chdir(cwd)

    def __call__(self, *args: str) -> Result:
        return CliRunner().invoke(
            self.app, ["optimize", *args, "--server", "http://pixpress.test", "--token", "tok"]
        )


@pytest.fixture
def run(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> Cli:
    return Cli(monkeypatch, FakePixpress(), tmp_path)


def test_a_folder_goes_through_once(run: Cli, media: Path, tmp_path: Path) -> None:
    first = run(str(media), "--output-dir", "out", "--mode", "glossy")
    assert first.exit_code == 0, first.output
    out = tmp_path / "out"
    assert sorted(p.relative_to(out).as_posix() for p in out.rglob("*")) == [
        "2024",
        "2024/page.png",
        "2024/text.png",
        "2024/transparent.png",
        "color.png",
        "hopper.png",
        "logo.png",
    ]
    assert (out / "logo.png").read_bytes() == result_bytes((media / "logo.png").read_bytes(), None)
    assert "quota before: 0.00 MB used of 1000.00 MB" in first.output and "quota after:" in first.output
    assert "6 files to send" in first.output and "[6/6] ok" in first.output
    assert "fake.png" not in first.output and "notes.txt" not in first.output
    assert sorted(run.fake.charges) == sorted(
        hashlib.sha256(p.read_bytes()).hexdigest() for p in media.rglob("*.png") if p.name != "fake.png"
    )
    again = run(str(media), "--output-dir", "out", "--mode", "glossy")
    assert again.exit_code == 0 and "0 files to send" in again.output and "6 already done" in again.output
    assert len(run.fake.charges) == 6
    other = run(str(media), "--output-dir", "out", "--mode", "lossless")  # new options: a new job
    assert other.exit_code == 0 and "6 files to send" in other.output
    assert len(run.fake.charges) == 12
    back = run(str(media), "--output-dir", "out", "--mode", "glossy")  # each job is remembered
    assert back.exit_code == 0 and "6 already done" in back.output and len(run.fake.charges) == 12


def test_quota_running_out_stops_cleanly_and_a_rerun_finishes(run: Cli, media: Path) -> None:
    total = sum(sizes(media).values())
    run.fake.quota_bytes = total // 2
    first = run(str(media), "--in-place", "--concurrency", "1", "--state-file", "state[1].json")
    assert first.exit_code == 3, first.output
    assert "Stopped: the token's quota is used up." in first.output
    assert "remembered in state[1].json" in first.output  # a path is printed as it is, never as markup
    assert "files not sent yet" in first.output and "does not fit" not in first.output
    assert "warning:" in first.output  # announced before the run
    assert first.exception is None or isinstance(first.exception, SystemExit)
    done_first = len(run.fake.charges)
    assert 0 < done_first < 6 and run.fake.used_bytes <= total // 2
    assert len(list(media.rglob("*.orig.png"))) == done_first  # backups of the finished ones
    run.fake.quota_bytes = total * 2  # the vendor raised the quota
    rerun = run(str(media), "--in-place", "--concurrency", "1", "--state-file", "state[1].json")
    assert rerun.exit_code == 0, rerun.output
    assert f"{done_first} already done" in rerun.output
    assert len(run.fake.charges) == 6 == len(set(run.fake.charges))  # no file sent twice
    assert run.fake.used_bytes == total
    assert len(list(media.rglob("*.orig.png"))) == 6


def test_ctrl_c_lets_the_upload_under_way_finish_and_a_rerun_sends_the_rest(run: Cli, media: Path) -> None:
    total = sum(sizes(media).values())
    handler_before = signal.getsignal(signal.SIGINT)  # SIG_IGN when the suite runs in the background

    def ctrl_c_on_the_second(count: int) -> None:
        if count == 2:
            os.kill(os.getpid(), signal.SIGINT)
            # The handler runs in the main thread when it is next scheduled (late on a loaded machine):
            # this upload goes on only once it has, as it would with a person's Ctrl-C seconds earlier.
            deadline = time.monotonic() + 30
            while signal.getsignal(signal.SIGINT) is not signal.default_int_handler:
                assert time.monotonic() < deadline, "the Ctrl-C handler never ran"
                time.sleep(0.01)

    run.fake.on_submit = ctrl_c_on_the_second
    first = run(str(media), "--output-dir", "out", "--concurrency", "1")
    assert first.exit_code == 130, first.output
    assert "Interrupted." in first.output and "rerun to resume" in first.output
    assert len(run.fake.charges) == 2 and "[2/6] ok" in first.output  # the second one finished
    assert signal.getsignal(signal.SIGINT) is handler_before  # handler given back
    run.fake.on_submit = None
    rerun = run(str(media), "--output-dir", "out", "--concurrency", "3")
    assert rerun.exit_code == 0, rerun.output
    assert "4 files to send" in rerun.output and "2 already done" in rerun.output
    assert len(run.fake.charges) == 6 == len(set(run.fake.charges)) and run.fake.used_bytes == total


def test_a_vanishing_server_gives_a_clear_message(run: Cli, media: Path) -> None:
    def vanishing(request: httpx.Request) -> httpx.Response:
        if len(run.fake.charges) >= 2 and request.url.path.endswith("/submit"):
            raise httpx.ConnectError("connection refused")
        return run.fake.handle(request)

    run.handler = vanishing
    result = run(str(media), "--output-dir", "out", "--concurrency", "1")
    assert result.exit_code == 4, result.output
    assert "Stopped: the server at http://pixpress.test cannot be reached." in result.output
    assert "Traceback" not in result.output and isinstance(result.exception, SystemExit)
    run.handler = lambda request: (_ for _ in ()).throw(httpx.ConnectError("refused"))
    unreachable = run(str(media), "--output-dir", "out")
    assert unreachable.exit_code == 4 and "cannot reach pixpress" in unreachable.output


def test_dry_run_lists_and_prices_without_sending(run: Cli, media: Path) -> None:
    total_mb = sum(sizes(media).values()) / 1048576
    run.fake.quota_bytes = 100_000
    dry = run(str(media), "--siblings", "webp", "--dry-run")
    assert dry.exit_code == 0, dry.output
    assert dry.output.count("would send ") == 6
    assert f"total {total_mb:.2f} MB against 0.10 MB remaining: does NOT fit" in dry.output
    assert not [r for r in run.fake.requests if r.url.path.endswith("/submit")]
    run.fake.quota_bytes = 100 * 1048576
    assert "fits" in run(str(media), "--siblings", "webp", "--dry-run").output
    run.handler = lambda request: (_ for _ in ()).throw(httpx.ConnectError("refused"))
    offline = run(str(media), "--siblings", "webp", "--dry-run")  # still lists, price unknown
    assert offline.exit_code == 0 and "remaining quota unknown" in offline.output


def test_siblings_are_written_and_never_taken_for_inputs(run: Cli, media: Path) -> None:
    first = run(str(media), "--siblings", "webp,avif")
    assert first.exit_code == 0, first.output
    assert (media / "logo.webp").read_bytes() == result_bytes((media / "logo.png").read_bytes(), "webp")
    assert (media / "2024" / "text.avif").exists()
    submit = next(r for r in run.fake.requests if r.url.path.endswith("/submit"))
    assert b'name="format"\r\n\r\nauto' in submit.content and b"webp,avif" in submit.content
    assert image_kind((media / "logo.avif").read_bytes()[:64]) == "avif"  # outputs look like images
    again = run(str(media), "--siblings", "webp,avif")
    assert again.exit_code == 0 and "0 files to send" in again.output and "6 already done" in again.output
    assert len(run.fake.charges) == 6


def test_a_failed_file_fails_the_run_but_not_the_others(run: Cli, media: Path) -> None:
    run.fake.fail_names = {"hopper.png": "invalid_image", "logo.png": "internal_error"}
    result = run(str(media), "--output-dir", "out")
    assert result.exit_code == 1, result.output
    assert "FAILED" in result.output and "invalid_image: The image is corrupt." in result.output
    assert "internal_error: Something broke." in result.output
    assert len(list((run.cwd / "out").rglob("*.png"))) == 4
    run.fake.fail_names = {}  # the server is healthy again
    rerun = run(str(media), "--output-dir", "out")
    assert rerun.exit_code == 1 and "2 files to send" in rerun.output
    # the corrupt file gets its failed task back (no new charge); the server's failure is tried anew
    assert "invalid_image" in rerun.output and "[2/2]" in rerun.output
    assert (run.cwd / "out" / "logo.png").exists() and len(run.fake.charges) == 7


def test_several_roots_stay_apart_in_the_output_folder(run: Cli, media: Path, tmp_path: Path) -> None:
    other = tmp_path / "other"
    other.mkdir()
    shutil.copy(media / "logo.png", other / "logo.png")
    result = run(str(media), str(other), "--output-dir", "out")
    assert result.exit_code == 0, result.output
    assert (tmp_path / "out" / "media" / "logo.png").exists() and (
        tmp_path / "out" / "other" / "logo.png"
    ).exists()


@pytest.mark.parametrize(
    ("args", "message"),
    [
        ((), "choose exactly one of --output-dir, --in-place, --siblings"),
        (("--in-place", "--output-dir", "x"), "choose exactly one"),
        (("--in-place", "--format", "webp"), "cannot change the format"),
        (("--siblings", "webp,bmp"), "--siblings takes formats among"),
        (("--in-place", "--mode", "glosy"), "--mode takes one of lossless, glossy, lossy, not 'glosy'"),
        (("--in-place", "--format", "gif"), "--format takes one of original, jpeg, png, webp, avif"),
        (("--in-place", "--keep-metadata", "exif"), "--keep-metadata takes one of none, icc, all"),
    ],
)
def test_usage_errors_are_one_line(run: Cli, media: Path, args: tuple[str, ...], message: str) -> None:
    result = run(str(media), *args)
    assert result.exit_code == 1 and message in result.output and "Traceback" not in result.output
    assert run.fake.requests == []  # refused before anything is sent


def test_a_broken_state_file_is_refused_not_overwritten(run: Cli, media: Path) -> None:
    (run.cwd / ".pixpress-state.json").write_text("{oops")
    result = run(str(media), "--output-dir", "out")
    assert result.exit_code == 1 and "is not a pixpress state file" in result.output
    assert (run.cwd / ".pixpress-state.json").read_text() == "{oops"


def test_the_terminal_bar_counts_files_and_bytes_and_prints_failures(tmp_path: Path) -> None:
    screen = io.StringIO()
    bar = TerminalReporter(Console(file=screen, force_terminal=True, width=160))
    bar.start(3, 4000)
    bar.file_done(FileOutcome(tmp_path / "a.png", "done", 1000, 250))
    bar.file_done(FileOutcome(tmp_path / "[b].png", "failed", 1000, message="invalid_image: corrupt"))
    bar.file_done(FileOutcome(tmp_path / "c.png", "done", 2000, 750))
    bar.stop()
    text = screen.getvalue()
    assert "\x1b[" in text and "3/3 files" in text and "2.9 KB -> 1000 B" in text and "-66.7%" in text
    assert f"{tmp_path / '[b].png'}: invalid_image: corrupt" in text  # a path is never markup
    assert bar.progress.tasks[0].completed == bar.progress.tasks[0].total == 4000

    plain = io.StringIO()
    lines = PlainReporter(Console(file=plain, force_terminal=False, width=300))
    lines.start(2, 3000)
    lines.file_done(FileOutcome(tmp_path / "a.png", "done", 1000, 250))
    lines.file_done(FileOutcome(tmp_path / "b.png", "failed", 2000, message="unsupported_format: no"))
    assert "\x1b[" not in plain.getvalue()
    assert plain.getvalue().splitlines() == [
        "sending 2 files (2.9 KB)",
        f"[1/2] ok {tmp_path / 'a.png'} 1000 B -> 250 B (-75.0%)",
        f"[2/2] FAILED {tmp_path / 'b.png'}: unsupported_format: no",
    ]


def test_ctrl_c_before_the_run_is_a_clean_stop(run: Cli, media: Path) -> None:
    def interrupted(_request: httpx.Request) -> httpx.Response:
        raise KeyboardInterrupt

    run.handler = interrupted
    result = run(str(media), "--output-dir", "out")
    assert result.exit_code == 130 and "Interrupted." in result.output
    assert isinstance(result.exception, SystemExit)


def test_two_files_never_write_the_same_output(run: Cli, media: Path, corpus: Path) -> None:
    shutil.copy(corpus / "photo" / "rocket.jpg", media / "logo.jpg")  # logo.jpg and logo.png -> logo.webp
    siblings = run(str(media), "--siblings", "webp")
    assert siblings.exit_code == 1, siblings.output
    clash = f"{media / 'logo.png'}: not sent: its output {media / 'logo.webp'} would overwrite the one of"
    assert f"warning: {clash} {media / 'logo.jpg'}" in siblings.output
    assert (media / "logo.webp").read_bytes() == result_bytes((media / "logo.jpg").read_bytes(), "webp")
    assert len(run.fake.charges) == 6  # 7 images, one refused
    converted = run(str(media), "--output-dir", "out", "--format", "webp")
    assert converted.exit_code == 1 and "would overwrite the one of" in converted.output
    assert len(list((run.cwd / "out").rglob("*.webp"))) == 6
    kept = run(str(media), "--output-dir", "same-names")  # no conversion: every name stays apart
    assert kept.exit_code == 0, kept.output
    assert len(list((run.cwd / "same-names").rglob("logo.*"))) == 2


@pytest.mark.parametrize("where", [("--output-dir", "out"), ("--in-place",)])
def test_sizes_are_written_next_to_each_output_and_never_sent(
    run: Cli, media: Path, tmp_path: Path, where: tuple[str, ...]
) -> None:
    originals = {name: (media / name).read_bytes() for name in GRAPHIC[:3]}
    first = run(str(media), *where, "--sizes", "thumbnail:150x150:crop,medium:300x300")
    assert first.exit_code == 0, first.output
    folder = tmp_path / "out" if "--output-dir" in where else media
    for name, data in originals.items():
        stem = name.removesuffix(".png")
        assert (folder / f"{stem}-thumbnail.png").read_bytes() == size_bytes(data, "thumbnail")
        assert (folder / f"{stem}-medium.png").read_bytes() == size_bytes(data, "medium")
    assert (folder / "2024" / "text-medium.png").exists()
    submit = next(r for r in run.fake.requests if r.url.path.endswith("/submit"))
    assert b'name="sizes"\r\n\r\nthumbnail:150x150:crop,medium:300x300' in submit.content
    again = run(str(media), *where, "--sizes", "thumbnail:150x150:crop,medium:300x300")
    assert again.exit_code == 0 and "0 files to send" in again.output, again.output
    assert len(run.fake.charges) == 6  # one upload per original, none for the sizes


def test_sizes_do_not_combine_with_siblings(run: Cli, media: Path) -> None:
    refused = run(str(media), "--siblings", "webp", "--sizes", "thumbnail:150x150")
    assert refused.exit_code == 1 and "--sizes" in refused.output
    assert not run.fake.charges
