"""Charts as inline SVG text, drawn with matplotlib's SVG canvas (no pyplot, no global backend).

The output is deterministic: a fixed `svg.hashsalt`, no date in the metadata, text kept as SVG
text (searchable, and no glyph definitions that would repeat across charts), and every id
prefixed with the chart's own name so that several charts can share one HTML page. Numbers are
handed to matplotlib as floats: only to draw them, never to print an amount.
"""

from __future__ import annotations

import io
import re
import warnings
from collections.abc import Sequence

import matplotlib
from matplotlib.backends.backend_svg import FigureCanvasSVG
from matplotlib.figure import Figure
from matplotlib.ticker import FuncFormatter, MaxNLocator

INK = "#1d2b3a"
MUTED = "#6b7785"
GRID = "#e3e7ec"
COLORS = ("#1f4e79", "#3fa7a0", "#e0a526", "#b5485d", "#7d8c9c")
TIER_COLORS = {"dev": "#9fc5e8", "pro": "#3d85c6", "enterprise": "#1f3f66"}

_RC = {
    "svg.hashsalt": "automq-billing-documents",
    "svg.fonttype": "none",
    "text.parse_math": False,
    "text.usetex": False,
    "font.family": ["DejaVu Sans"],
    "font.size": 8,
    "axes.edgecolor": GRID,
    "axes.labelcolor": MUTED,
    "axes.titlesize": 9,
    "axes.titleweight": "bold",
    "axes.titlecolor": INK,
    "axes.titlelocation": "left",
    "axes.spines.top": False,
    "axes.spines.right": False,
    "xtick.color": MUTED,
    "ytick.color": MUTED,
    "legend.frameon": False,
    "legend.fontsize": 7.5,
}

_METADATA = {"Date": None, "Creator": None, "Format": None, "Type": None}
_PROLOG = re.compile(r"\A.*?(?=<svg\b)", re.DOTALL)
_NAMESPACES = re.compile(r'\s+xmlns(?::xlink)?="[^"]*"')
_IDS = re.compile(r'\bid="([^"]+)"')
_REFERENCES = re.compile(r'(url\(#|xlink:href="#|href="#)([^")]+)')
_LABEL_LENGTH = 32


def _figure(width: float, height: float) -> Figure:
    """A figure whose layout adapts to its labels (organization names can be long)."""
    figure = Figure(figsize=(width, height), layout="constrained")
    FigureCanvasSVG(figure)
    return figure


def _daily_figure(height: float) -> Figure:
    """A statement's daily chart: fixed margins (its labels are numbers and days), which saves
    the layout pass; the statements draw three of these each."""
    figure = Figure(figsize=(7.2, height))
    FigureCanvasSVG(figure)
    inch = 1 / height
    figure.subplots_adjust(left=0.09, right=0.985, bottom=0.62 * inch, top=1 - 0.34 * inch)
    return figure


def _svg_text(figure: Figure, chart_id: str) -> str:
    """The figure as an `<svg>` element ready to paste into HTML."""
    buffer = io.StringIO()
    with warnings.catch_warnings():
        # A glyph missing from DejaVu Sans (CJK ids, say) only affects the layout estimate: the
        # text stays SVG text, which the browser draws with its own fallback fonts.
        warnings.filterwarnings(
            "ignore", message="Glyph .* missing from font", category=UserWarning
        )
        figure.savefig(buffer, format="svg", metadata=_METADATA)
    text = _PROLOG.sub("", buffer.getvalue(), count=1)
    text = _NAMESPACES.sub("", text)
    text = text.replace("xlink:href=", "href=")
    text = _IDS.sub(lambda m: f'id="{chart_id}-{m.group(1)}"', text)
    text = _REFERENCES.sub(lambda m: f"{m.group(1)}{chart_id}-{m.group(2)}", text)
    return text.replace("<svg ", f'<svg role="img" class="chart-svg" id="{chart_id}" ', 1)


def _style_axes(axes, title: str, unit: str) -> None:
    axes.set_title(title, pad=8)
    axes.set_ylabel(unit)
    axes.grid(axis="y", color=GRID, linewidth=0.6)
    axes.set_axisbelow(True)
    axes.tick_params(length=0)
    axes.yaxis.set_major_formatter(FuncFormatter(_plain_number))
    axes.yaxis.set_major_locator(MaxNLocator(nbins=4))


def _plain_number(value: float, _position: int) -> str:
    """Tick labels short enough for a fixed margin: 950, 12.5k, 3.2M."""
    size = abs(value)
    if size >= 1_000_000:
        return f"{value / 1_000_000:.3g}M"
    if size >= 10_000:
        return f"{value / 1_000:.3g}k"
    if size >= 100 or value == int(value):
        return f"{value:,.0f}"
    return f"{value:,.2f}".rstrip("0").rstrip(".")


def _legend_above(axes, columns: int) -> None:
    """The legend on the title's line, at the right, outside the plotting area."""
    axes.legend(loc="lower right", bbox_to_anchor=(1.0, 1.0), ncols=columns, borderaxespad=0.3)


def _day_axis(axes, days: int) -> None:
    axes.set_xlim(0.4, days + 0.6)
    ticks = [1] + list(range(5, days + 1, 5))
    axes.set_xticks(ticks)
    axes.set_xlabel("day of month (UTC)")


def short_label(text: str) -> str:
    return text if len(text) <= _LABEL_LENGTH else text[: _LABEL_LENGTH - 1] + "\u2026"


def daily_traffic_chart(chart_id: str, ingress: Sequence[float], egress: Sequence[float]) -> str:
    """Ingress and egress GiB per day, side by side."""
    with matplotlib.rc_context(_RC):
        figure = _daily_figure(2.3)
        axes = figure.add_subplot()
        days = list(range(1, len(ingress) + 1))
        axes.bar([d - 0.2 for d in days], ingress, width=0.4, color=COLORS[0], label="Ingress")
        axes.bar([d + 0.2 for d in days], egress, width=0.4, color=COLORS[1], label="Egress")
        _style_axes(axes, "Data ingress and egress per day", "GiB")
        _day_axis(axes, len(days))
        _legend_above(axes, 2)
        return _svg_text(figure, chart_id)


def daily_retention_chart(chart_id: str, retained: Sequence[float]) -> str:
    """Average GiB retained per day."""
    with matplotlib.rc_context(_RC):
        figure = _daily_figure(2.1)
        axes = figure.add_subplot()
        days = list(range(1, len(retained) + 1))
        axes.fill_between(days, retained, color=COLORS[2], alpha=0.18, linewidth=0)
        axes.plot(days, retained, color=COLORS[2], linewidth=1.6)
        axes.set_ylim(bottom=0)
        _style_axes(axes, "Data retained per day (average)", "GiB")
        _day_axis(axes, len(days))
        return _svg_text(figure, chart_id)


def daily_uptime_chart(chart_id: str, hours_by_tier: dict[str, Sequence[float]]) -> str:
    """Billable cluster hours per day, stacked by cluster tier."""
    with matplotlib.rc_context(_RC):
        figure = _daily_figure(2.1)
        axes = figure.add_subplot()
        bottom: list[float] | None = None
        for tier, hours in hours_by_tier.items():
            days = list(range(1, len(hours) + 1))
            axes.bar(
                days,
                hours,
                width=0.7,
                bottom=bottom,
                color=TIER_COLORS.get(tier, COLORS[4]),
                label=tier.capitalize(),
            )
            bottom = _stack(bottom, hours)
        _style_axes(axes, "Cluster hours per day by cluster tier", "hours")
        _day_axis(axes, max(len(h) for h in hours_by_tier.values()))
        _legend_above(axes, len(hours_by_tier))
        return _svg_text(figure, chart_id)


def _stack(bottom: list[float] | None, values: Sequence[float]) -> list[float]:
    if bottom is None:
        return list(values)
    return [below + value for below, value in zip(bottom, values, strict=True)]


def horizontal_bar_chart(
    chart_id: str,
    title: str,
    labels: Sequence[str],
    values: Sequence[float],
    unit: str,
    width: float = 5.0,
) -> str:
    """One bar per label, largest on top; used for revenue by item and by organization."""
    with matplotlib.rc_context(_RC):
        figure = _figure(width, 0.9 + 0.24 * max(len(labels), 3))
        axes = figure.add_subplot()
        positions = list(range(len(labels)))[::-1]
        colors = [COLORS[0] if value >= 0 else COLORS[3] for value in values]
        axes.barh(positions, values, color=colors, height=0.62)
        axes.set_yticks(positions, [short_label(label) for label in labels])
        axes.set_title(title, pad=8)
        axes.set_xlabel(unit)
        axes.grid(axis="x", color=GRID, linewidth=0.6)
        axes.set_axisbelow(True)
        axes.tick_params(length=0)
        axes.xaxis.set_major_formatter(FuncFormatter(_plain_number))
        axes.axvline(0, color=MUTED, linewidth=0.6)
        return _svg_text(figure, chart_id)


def month_over_month_chart(
    chart_id: str, labels: Sequence[str], values: Sequence[float], unit: str, width: float = 5.0
) -> str:
    """Total per month; the last bar (the month being closed) is highlighted."""
    with matplotlib.rc_context(_RC):
        figure = _figure(width, 2.6)
        axes = figure.add_subplot()
        colors = [COLORS[4]] * (len(values) - 1) + [COLORS[0]]
        axes.bar(range(len(values)), values, color=colors, width=0.6)
        axes.set_xticks(range(len(labels)), list(labels))
        _style_axes(axes, "Statement totals by month", unit)
        axes.axhline(0, color=MUTED, linewidth=0.6)
        return _svg_text(figure, chart_id)
