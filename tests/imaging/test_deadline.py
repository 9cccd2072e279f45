from __future__ import annotations

import time

import pytest

from pixpress.errors import TaskTimeout
from pixpress.imaging import Limits, OptimizeOptions, optimize
from pixpress.imaging.deadline import Deadline
from tests.imaging import images


def test_no_deadline_never_expires() -> None:
    Deadline(None).check("anything")
    assert not Deadline(None).expired


def test_past_deadline_raises_with_the_step() -> None:
    with pytest.raises(TaskTimeout) as caught:
        Deadline(time.monotonic() - 1).check("resize")
    assert caught.value.details == {"step": "resize"}
    assert caught.value.code == "task_timeout"


def test_optimize_stops_at_the_deadline() -> None:
    data = images.read(images.PHOTO / "kodim05.png")
    with pytest.raises(TaskTimeout):
        optimize(data, options=OptimizeOptions(), limits=Limits(), deadline=time.monotonic() - 0.001)


def test_long_libvips_work_is_killed() -> None:
    image = images.load(images.read(images.PHOTO / "kodim03.png")).resize(5).gaussblur(8)
    deadline = Deadline(time.monotonic() + 0.05)
    watched = deadline.watch(image.copy())
    start = time.monotonic()
    with pytest.raises(Exception, match="killed"):
        watched.copy_memory()
    assert time.monotonic() - start < 2.0
