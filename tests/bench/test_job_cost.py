"""bench.job_cost's measure: CPU of a process tree counts the children that already ended and were reaped."""

from __future__ import annotations

import subprocess
import sys
import time

from bench.job_cost import Upload, cpu_between, tree_cpu

BURN = "import time\nend = time.process_time() + {s}\nwhile time.process_time() < end:\n    pass\n"


def test_a_reaped_child_s_cpu_is_counted_once() -> None:
    parent = subprocess.Popen(
        [
            sys.executable,
            "-c",
            "import subprocess, sys, time\n"
            f"subprocess.run([sys.executable, '-c', {BURN.format(s=0.6)!r}])\n"  # run and reaped
            "print('reaped', flush=True)\n"
            "time.sleep(30)\n",
        ],
        stdout=subprocess.PIPE,
        text=True,
    )
    try:
        before = tree_cpu(parent.pid)
        assert parent.stdout is not None and parent.stdout.readline().strip() == "reaped"
        time.sleep(0.1)
        spent = sum(cpu_between(before, tree_cpu(parent.pid)).values())
        assert 0.5 <= spent <= 1.5, spent
    finally:
        parent.kill()
        parent.communicate()


def test_wordpress_sizes_are_the_ones_wordpress_makes_for_the_upload() -> None:
    square = Upload("wp", path=None, width=1411, height=1411)  # type: ignore[arg-type]
    assert [name for name, *_ in square.sizes()] == ["thumbnail", "medium", "medium_large", "large"]
    scaled = Upload("wp", path=None, width=2560, height=1920)  # type: ignore[arg-type]
    assert len(scaled.sizes()) == 5
    assert scaled.sizes_field().startswith("thumbnail:150x150:crop,medium:300x300,medium_large:768x0")
