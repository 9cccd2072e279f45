"""The SVG chart helper: well-formed, scaled, escaped, and honest about empty data."""

from __future__ import annotations

import xml.etree.ElementTree as ET

import pytest

from pixpress.dashboard.charts import Point, bar_chart, format_value, line_chart, nice_ceiling

SVG = "{http://www.w3.org/2000/svg}"


@pytest.mark.parametrize(
    ("value", "top"), [(0, 1), (0.3, 0.5), (1, 1), (7, 10), (12, 20), (230, 250), (999, 1000), (1001, 2000)]
)
def test_the_axis_top_is_a_round_number_above_the_data(value: float, top: float) -> None:
    assert nice_ceiling(value) == top


def test_bars_one_per_point_scaled_to_the_axis() -> None:
    points = [Point("a", 5), Point("b", 10), Point("c", 0)]
    svg = ET.fromstring(str(bar_chart(points, title="Uploads", unit="images", chart_id="u")))
    bars = svg.findall(f"{SVG}rect")
    assert len(bars) == 3
    heights = [float(bar.get("height", "")) for bar in bars]
    assert heights[1] == pytest.approx(2 * heights[0]) and heights[2] == 0
    assert svg.get("role") == "img" and svg.get("aria-labelledby") == "u-title"
    assert svg.find(f"{SVG}title").text == "Uploads"  # type: ignore[union-attr]
    assert [t.text for t in svg.iter(f"{SVG}title")][1:] == ["a: 5 images", "b: 10 images", "c: 0 images"]


def test_a_limit_line_is_drawn_and_counted_in_the_scale() -> None:
    svg = ET.fromstring(str(bar_chart([Point("now", 40)], title="t", unit="MB", limit=100, chart_id="q")))
    limit = [line for line in svg.iter(f"{SVG}line") if line.get("class") == "limit"]
    assert len(limit) == 1
    texts = [t.text for t in svg.iter(f"{SVG}text")]
    assert "100" in texts  # the axis reaches the quota, not just the data


def test_labels_are_escaped() -> None:
    chart = str(line_chart([Point("<script>", 1.5)], title="a & b", chart_id="x"))
    assert "<script>" not in chart and "&lt;script&gt;" in chart
    svg = ET.fromstring(chart)
    assert len(svg.findall(f"{SVG}circle")) == 1 and svg.find(f"{SVG}polyline") is not None


def test_no_data_says_so() -> None:
    for chart in (bar_chart([], title="t", chart_id="e"), line_chart([], title="t", chart_id="e")):
        svg = ET.fromstring(str(chart))
        assert "No data yet" in [t.text for t in svg.iter(f"{SVG}text")]


def test_values_are_shown_plainly() -> None:
    assert (
        format_value(3.0) == "3"
        and format_value(2.5) == "2.5"
        and format_value(1234.567) == "1,234.57"
        and format_value(12000) == "12,000"
    )
