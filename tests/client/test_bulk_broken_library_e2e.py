"""A site's old library through `pixpress optimize`: 500 tiny files of which 50 are broken, half refused
at submit, half failing only in the worker's decode. Every good file comes back optimized (nothing is
refused for the earlier failures), the broken ones fail with their code, and with the default free
allowance the broken files cost nothing: the quota used is the good files' bytes."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests import hostile
from tests.client.conftest import Stack, run_pixpress

pytestmark = pytest.mark.slow
TOKEN = "library-site"
FILES = 500
JPEG_START = b"\xff\xd8"
BROKEN_EVERY = 10  # 1 in 10 broken: alternately refused at submit and undecodable in the worker


def broken_library(folder: Path) -> tuple[dict[str, int], list[str], list[str]]:
    """The files (good ones by name with their size; names of the broken ones of each kind), spread out
    so that failures come all through the run."""
    folder.mkdir()
    good: dict[str, int] = {}
    at_submit: list[str] = []
    in_worker: list[str] = []
    for n in range(FILES):
        if n % BROKEN_EVERY == BROKEN_EVERY - 1:
            if (n // BROKEN_EVERY) % 2:
                name, data = f"{n:03d}-cut.png", hostile.png_refused_at_submit(n)
                at_submit.append(name)
            else:
                name, data = f"{n:03d}-garbled.png", hostile.undecodable_png(n)
                in_worker.append(name)
        else:
            data = hostile.tiny_image(n)
            extension = "jpg" if data.startswith(JPEG_START) else "png"
            name = f"{n:03d}-image.{extension}"
            good[name] = len(data)
        (folder / name).write_bytes(data)
    return good, at_submit, in_worker


def test_a_library_with_broken_files_finishes_with_every_good_file_done(stack: Stack, tmp_path: Path) -> None:
    good, at_submit, in_worker = broken_library(tmp_path / "library")
    assert (len(good), len(at_submit), len(in_worker)) == (450, 25, 25)

    run = run_pixpress(
        "optimize",
        str(tmp_path / "library"),
        "--output-dir",
        "out",
        "--server",
        stack.url,
        cwd=tmp_path,
        timeout_s=600,
        PIXPRESS_TOKEN=TOKEN,
    )
    output = run.stdout + run.stderr
    assert run.returncode == 1, output  # some files failed, and the run went to its end
    assert "too_many_failures" not in output and "Traceback" not in output
    written = sorted(p.name.rsplit(".", 1)[0] for p in (tmp_path / "out").iterdir())
    assert written == sorted(name.rsplit(".", 1)[0] for name in good), output

    usage = stack.usage(TOKEN)
    period = usage["current_period"]
    assert isinstance(period, dict)
    uploaded = sum(good.values()) + sum((tmp_path / "library" / n).stat().st_size for n in in_worker)
    assert period["charged_bytes"] == uploaded  # the refused-at-submit files were never charged
    assert period["used_bytes"] == sum(good.values())  # the 25 undecodable ones: within the free allowance
    assert period["uploads"] == len(good) + len(in_worker)
