import os
import shutil
from pathlib import Path

from bench.cost_breakdown import _cpu_seconds, photo_costs


def test_each_photo_costs_cpu_for_optimize_and_for_the_plain_encode(corpus: Path, tmp_path: Path) -> None:
    (tmp_path / "photo").mkdir()
    for name in ("kodim05.png", "paris_exif_xmp_icc.jpg"):
        shutil.copyfile(corpus / "photo" / name, tmp_path / "photo" / name)
    costs = photo_costs(tmp_path)
    assert [c.name for c in costs] == ["kodim05.png", "paris_exif_xmp_icc.jpg"]
    for cost in costs:
        assert cost.optimize_s > 0 and cost.plain_s > 0
        assert cost.ratio == cost.optimize_s / cost.plain_s
    assert costs[1].encodes is not None  # a JPEG's quality search says how many full-size encodes it made


def test_cpu_seconds_of_a_process_grow_while_it_works() -> None:
    before = _cpu_seconds(os.getpid())
    deadline = before + 0.05
    while _cpu_seconds(os.getpid()) < deadline:
        sum(range(10000))
    assert _cpu_seconds(os.getpid()) >= deadline
