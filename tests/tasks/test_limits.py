"""The worker's last lines of defence: the memory cap and the watchdog (src/pixpress/tasks/limits.py)."""

from __future__ import annotations

import os
import subprocess
import sys
import threading
import time
from pathlib import Path

import pytest
import pyvips

from pixpress.tasks.limits import OVERRUN_EXIT_CODE, cap_memory, watchdog

UNDER_A_CAP = r"""
import sys
from pixpress.tasks.limits import cap_memory
cap_memory(int(sys.argv[1]))
{body}
"""


def run_capped(megabytes: int, body: str, *args: str) -> subprocess.CompletedProcess[str]:
    code = UNDER_A_CAP.format(body=body)
    return subprocess.run(
        [sys.executable, "-c", code, str(megabytes), *args],
        capture_output=True,
        text=True,
        timeout=300,
        env={**os.environ, "OPENBLAS_NUM_THREADS": "1"},  # as `pixpress worker` sets it
    )


def test_numpy_raises_memory_error_past_the_cap_and_the_process_carries_on() -> None:
    done = run_capped(
        300,
        "import numpy as np\n"
        "try:\n    np.ones(400 * 1024 * 1024, dtype=np.uint8)\nexcept MemoryError:\n    print('refused')\n"
        "print(int(np.ones(10 * 1024 * 1024, dtype=np.uint8).sum()))",
    )
    assert done.returncode == 0, done.stderr
    assert done.stdout.split() == ["refused", str(10 * 1024 * 1024)]


def test_a_photo_over_the_cap_fails_as_too_large_and_the_process_carries_on(corpus: Path) -> None:
    """libvips' refusals under the cap are image_too_large (the image is fine, the worker is small), never
    invalid_image; NumPy's MemoryError becomes it in the runner (test_runner.py). A smaller image then
    goes through in the same process."""
    body = (
        "from pixpress import imaging\n"
        "from pixpress.errors import PixpressError\n"
        "from pixpress.imaging.types import Limits\n"
        "from pixpress.tasks.limits import tidy_after_task\n"
        "options = imaging.parse_options({'quality': '80'})\n"
        "for path in sys.argv[2:]:\n"
        "    failed = True\n"
        "    try:\n"
        "        imaging.optimize(open(path, 'rb').read(), options=options, limits=Limits())\n"
        "    except PixpressError as exc:\n        print(exc.code)\n"
        "    except MemoryError:\n        print('MemoryError')\n"
        "    else:\n        print('done')\n        failed = False\n"
        "    tidy_after_task(0, failed=failed)\n"  # what the worker does after every task
    )
    big, small = corpus / "photo" / "dog_exif_extended_xmp_icc.jpg", corpus / "photo" / "kodim03.png"
    done = run_capped(300, body, str(big), str(small))  # the process itself takes ~135 MB of it
    assert done.stdout.split() in (["image_too_large", "done"], ["MemoryError", "done"]), (
        done.stdout + done.stderr
    )


def test_cap_memory_zero_means_no_cap() -> None:
    cap_memory(0)  # in this process: must not limit anything


def test_the_watchdog_lets_a_task_that_ends_in_time_go() -> None:
    exits: list[int] = []
    with watchdog(0.5, on_overrun=lambda: exits.append(-1), exit_process=exits.append):
        time.sleep(0.05)
    time.sleep(0.7)
    assert exits == []


def test_the_watchdog_records_then_ends_the_process_of_a_runaway_task() -> None:
    events: list[object] = []
    released = threading.Event()

    def exit_process(code: int) -> None:
        events.append(code)
        released.set()

    with watchdog(0.2, on_overrun=lambda: events.append("failed"), exit_process=exit_process):
        assert released.wait(5), "the watchdog never fired"
    assert events == ["failed", OVERRUN_EXIT_CODE]


@pytest.mark.slow
def test_the_watchdog_ends_a_process_stuck_in_a_c_call() -> None:
    """A real blocking C call (time.sleep releases the GIL like a libvips or NumPy call does)."""
    code = (
        "import time\n"
        "from pixpress.tasks.limits import watchdog\n"
        "with watchdog(0.5, on_overrun=lambda: print('recorded', flush=True)):\n"
        "    time.sleep(30)\n"
        "print('never')\n"
    )
    started = time.monotonic()
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=60)
    assert done.returncode == OVERRUN_EXIT_CODE
    assert done.stdout.split() == ["recorded"]
    assert time.monotonic() - started < 20


@pytest.mark.parametrize(
    "detail",
    [
        "vips_tracked: out of memory -- size == 34MB",
        "glib: Error creating thread: Resource temporarily unavailable",  # a stack under the cap
    ],
)
def test_libvips_refusals_under_the_cap_mean_too_large(detail: str) -> None:
    from pixpress.imaging import vips

    error = pyvips.Error("unable to copy to memory", detail)
    assert vips.out_of_memory(error)
    assert vips.too_large(error).code == "image_too_large"
    assert not vips.out_of_memory(pyvips.Error("jpegload_buffer: load error", "Premature end of JPEG file"))


def test_tidying_collects_only_after_a_failure_and_finds_libc_once(monkeypatch: pytest.MonkeyPatch) -> None:
    """A full collection over a warm worker costs ~55 ms and ldconfig runs in a subprocess: neither per
    task. After a failure the traceback's cycle is collected (its images freed)."""
    import ctypes.util
    import gc

    from pixpress.tasks import limits

    collections: list[int] = []
    lookups: list[str] = []
    real_find = ctypes.util.find_library
    monkeypatch.setattr(gc, "collect", lambda *a: collections.append(1) or 0)
    monkeypatch.setattr(ctypes.util, "find_library", lambda name: lookups.append(name) or real_find(name))
    limits._libc.cache_clear()
    for _ in range(20):
        assert limits.tidy_after_task(0, failed=False) is False
    assert collections == [] and lookups == ["c"]
    limits.tidy_after_task(0, failed=True)
    assert collections == [1]
