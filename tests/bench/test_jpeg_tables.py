import io
from pathlib import Path

import pyvips
from bench.jpeg_tables import ENCODERS, JPEGLI, jpegli, markdown_table, mozjpeg
from bench.report import Figures, load, write
from PIL import Image as PILImage


def test_both_encoders_give_ordinary_jpegs_that_shrink_with_quality(corpus: Path) -> None:
    image = (
        pyvips.Image.new_from_file(str(corpus / "photo" / "kodim03.png")).thumbnail_image(256).copy_memory()
    )
    for encode in (mozjpeg(image, 5), jpegli(image)):
        low, high = encode(40), encode(90)
        assert low[:2] == high[:2] == b"\xff\xd8"
        assert len(low) < len(high)
        assert PILImage.open(io.BytesIO(high)).size == (image.width, image.height)


def test_the_table_has_a_row_per_target_with_the_smallest_median_in_bold() -> None:
    ratios: dict[tuple[float, int | str], list[float]] = {(70.0, e): [1.0, 1.2, 1.4] for e in ENCODERS}
    ratios[(70.0, 5)] = [0.8, 0.85, 0.9]
    ratios[(80.0, JPEGLI)] = [0.9]
    table = markdown_table(ratios, [70.0, 80.0]).splitlines()
    assert table[0].startswith("| SSIMULACRA2 target | table 0 |") and table[0].endswith("| jpegli |")
    assert len(table) == 4 and table[1].count("|---") == len(ENCODERS) + 1
    assert "| **0.850** |" in table[2] and table[2].count("1.200") == len(ENCODERS) - 1
    assert table[3] == "| 80 | " + " | ".join(["n/a"] * (len(ENCODERS) - 1)) + " | **0.900** |"


def test_the_report_shows_the_table_in_its_own_section(tmp_path: Path) -> None:
    figures = Figures(machine={"cpus": "2"}, sections=["encoders"], runs={"encoders": "now"})
    figures.encoders = "| SSIMULACRA2 target | table 5 |\n|---|---|\n| 70 | **0.855** |"
    write(figures, tmp_path)
    report = (tmp_path / "benchmarks.md").read_text()
    assert "## JPEG encoders at the search's targets" in report and "| 70 | **0.855** |" in report
    loaded = load(tmp_path / "benchmarks.json")
    assert loaded is not None and loaded.encoders == figures.encoders
