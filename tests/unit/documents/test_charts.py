"""A statement's daily charts, drawn as SVG directly (issue 18): bars and axis in proportion to
the data, the same text for the same data, ids scoped to the chart, labels escaped."""

from __future__ import annotations

import re

import pytest

from automq_billing.documents import charts

pytestmark = pytest.mark.unit


def _rects(svg: str) -> list[dict[str, float]]:
    return [
        {key: float(value) for key, value in re.findall(r'(x|y|width|height)="([\d.]+)"', rect)}
        for rect in re.findall(r"<rect [^>]*/>", svg)
    ]


def test_bars_are_in_proportion_and_zero_days_draw_nothing():
    ingress = [0.0] * 30
    ingress[0], ingress[9] = 100.0, 50.0
    svg = charts.daily_traffic_chart("org-a-traffic", ingress, [0.0] * 30)
    bars = [rect for rect in _rects(svg) if rect["width"] != 10]  # not the legend keys
    assert len(bars) == 2
    assert bars[0]["height"] == pytest.approx(2 * bars[1]["height"], abs=0.02)
    assert bars[0]["y"] + bars[0]["height"] == pytest.approx(bars[1]["y"] + bars[1]["height"])
    assert ">100<" in svg and ">0<" in svg  # the axis reaches the largest day
    assert svg.startswith('<svg role="img" class="chart-svg" id="org-a-traffic" ')
    assert re.findall(r'\bid="([^"]+)"', svg) == ["org-a-traffic", "org-a-traffic-title"]


def test_stacked_uptime_tops_at_the_day_total_and_labels_are_escaped():
    svg = charts.daily_uptime_chart("org-b-uptime", {"dev": [2.0, 0.0], "<pro>": [22.0, 24.0]})
    assert "&lt;pro&gt;" in svg and "<pro>" not in svg
    assert ">25<" in svg or ">30<" in svg  # a round top above 24 hours
    assert (
        charts.daily_uptime_chart("org-b-uptime", {"dev": [2.0, 0.0], "<pro>": [22.0, 24.0]}) == svg
    )


def test_retention_draws_an_area_and_a_line_from_day_one():
    svg = charts.daily_retention_chart("org-c-retention", [10.0, 20.0, 15.0])
    assert svg.count("<polygon ") == 1 and svg.count("<polyline ") == 1
    assert "Data retained per day (average)" in svg
