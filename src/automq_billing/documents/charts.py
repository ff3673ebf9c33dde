"""Charts as inline SVG text: a statement's daily charts drawn as SVG directly (fast: a statement
draws up to three), the close report's with matplotlib's SVG canvas (no pyplot, no global
backend).

The output is deterministic: a fixed `svg.hashsalt`, no date in the metadata, text kept as SVG
text (searchable, and no glyph definitions that would repeat across charts), and every id
prefixed with the chart's own name so that several charts can share one HTML page. Numbers are
handed to matplotlib as floats: only to draw them, never to print an amount.
"""

from __future__ import annotations

import hashlib
import html
import io
import math
import re
import warnings
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from importlib.metadata import version
from pathlib import Path
from typing import TYPE_CHECKING

from automq_billing.documents.pdf_cache import PdfCache

if TYPE_CHECKING:  # matplotlib is imported where a chart is drawn: most renderings draw none
    from matplotlib.figure import Figure

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


class ChartCache(PdfCache):
    """The close report's charts (SVG text), addressed by what they are drawn from:
    `<output>/.cache/charts/`, verified as the PDF cache's entries are."""

    folder = Path(".cache") / "charts"
    suffix = ".svg"


# bump when a matplotlib chart below is drawn differently from the same arguments
CHART_FORMAT = "charts-1"
_cache: ChartCache | None = None


@contextmanager
def cached_in(output_root: Path) -> Iterator[None]:
    """Within the block, the matplotlib charts are taken from (and kept in) the output folder's
    chart cache: a re-close whose figures did not change draws none (matplotlib's import and
    layout were most of the close report's time)."""
    global _cache
    previous, _cache = _cache, ChartCache.for_output(output_root)
    try:
        yield
    finally:
        _cache = previous


def _cached(kind: str, arguments: tuple, draw: Callable[[], str]) -> str:
    cache = _cache
    if cache is None:
        return draw()
    digest = hashlib.sha256()
    for part in (CHART_FORMAT, version("matplotlib"), kind, repr(arguments)):
        encoded = part.encode("utf-8")
        digest.update(len(encoded).to_bytes(8, "big"))
        digest.update(encoded)
    key = digest.hexdigest()
    entry = cache.get(key)
    if entry is not None:
        return entry.decode("utf-8")
    svg = draw()
    try:
        cache.put(key, svg.encode("utf-8"))
    except OSError:  # a read-only output folder: the chart is drawn, not kept
        pass
    return svg


def _figure(width: float, height: float) -> Figure:
    """A figure whose layout adapts to its labels (organization names can be long)."""
    from matplotlib.backends.backend_svg import FigureCanvasSVG
    from matplotlib.figure import Figure

    figure = Figure(figsize=(width, height), layout="constrained")
    FigureCanvasSVG(figure)
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
    from matplotlib.ticker import FuncFormatter, MaxNLocator

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


def short_label(text: str) -> str:
    return text if len(text) <= _LABEL_LENGTH else text[: _LABEL_LENGTH - 1] + "\u2026"


def daily_traffic_chart(chart_id: str, ingress: Sequence[float], egress: Sequence[float]) -> str:
    """Ingress and egress GiB per day, side by side."""
    chart = _DailyChart(chart_id, 2.3, "Data ingress and egress per day", "GiB", len(ingress))
    chart.scale([max([*ingress, *egress], default=0.0)])
    chart.bars(ingress, COLORS[0], -0.2, 0.4)
    chart.bars(egress, COLORS[1], 0.2, 0.4)
    return chart.svg([("Ingress", COLORS[0]), ("Egress", COLORS[1])])


def daily_retention_chart(chart_id: str, retained: Sequence[float]) -> str:
    """Average GiB retained per day."""
    chart = _DailyChart(chart_id, 2.1, "Data retained per day (average)", "GiB", len(retained))
    chart.scale(retained)
    chart.area(retained, COLORS[2])
    return chart.svg([])


def daily_uptime_chart(chart_id: str, hours_by_tier: dict[str, Sequence[float]]) -> str:
    """Billable cluster hours per day, stacked by cluster tier."""
    days = max(len(h) for h in hours_by_tier.values())
    chart = _DailyChart(chart_id, 2.1, "Cluster hours per day by cluster tier", "hours", days)
    bottom: list[float] | None = None
    for hours in hours_by_tier.values():
        bottom = _stack(bottom, hours)
    chart.scale(bottom or [])
    bottom = None
    legend = []
    for tier, hours in hours_by_tier.items():
        color = TIER_COLORS.get(tier, COLORS[4])
        chart.bars(hours, color, 0.0, 0.7, bottom)
        bottom = _stack(bottom, hours)
        legend.append((tier.capitalize(), color))
    return chart.svg(legend)


def _stack(bottom: list[float] | None, values: Sequence[float]) -> list[float]:
    if bottom is None:
        return list(values)
    return [below + value for below, value in zip(bottom, values, strict=True)]


def _nice_ticks(top: float, bins: int = 4) -> list[float]:
    """0 and round steps (1, 2, 2.5, 5 times a power of ten) up to at least `top`."""
    if top <= 0:
        return [0.0, 1.0]
    raw = top / bins
    power = 10 ** math.floor(math.log10(raw))
    step = next(m * power for m in (1, 2, 2.5, 5, 10) if m * power >= raw)
    count = math.ceil(top / step - 1e-9)
    return [step * i for i in range(count + 1)]


def _n(value: float) -> str:
    """A coordinate: two decimals at most, no trailing zeros (the same value, the same text)."""
    return f"{value:.2f}".rstrip("0").rstrip(".")


class _DailyChart:
    """A statement's daily chart drawn as SVG directly: a statement draws up to three, and
    drawing them through matplotlib cost most of a statement's rendering (issue 18). Fixed
    margins (its labels are numbers and days), the same look as the close report's charts."""

    DPI = 96

    def __init__(self, chart_id: str, height: float, title: str, unit: str, days: int) -> None:
        self.id, self.title, self.unit, self.days = chart_id, title, unit, days
        self.width, self.height = 7.2 * self.DPI, height * self.DPI
        self.left, self.right = 0.09 * self.width, 0.985 * self.width
        self.bottom, self.top = self.height - 0.62 * self.DPI, 0.34 * self.DPI
        self.ticks = [0.0, 1.0]
        self.shapes: list[str] = []

    def scale(self, values: Sequence[float]) -> None:
        self.ticks = _nice_ticks(max(values, default=0.0))

    def x(self, day: float) -> float:
        return self.left + (day - 0.4) / (self.days + 0.2) * (self.right - self.left)

    def y(self, value: float) -> float:
        return self.bottom - value / self.ticks[-1] * (self.bottom - self.top)

    def bars(
        self,
        values: Sequence[float],
        color: str,
        offset: float,
        width: float,
        below: Sequence[float] | None = None,
    ) -> None:
        for day, value in enumerate(values, start=1):
            if value <= 0:
                continue
            base = below[day - 1] if below else 0.0
            x0, x1 = self.x(day + offset - width / 2), self.x(day + offset + width / 2)
            y0, y1 = self.y(base + value), self.y(base)
            self.shapes.append(
                f'<rect x="{_n(x0)}" y="{_n(y0)}" width="{_n(x1 - x0)}" '
                f'height="{_n(y1 - y0)}" fill="{color}"/>'
            )

    def area(self, values: Sequence[float], color: str) -> None:
        points = " ".join(f"{_n(self.x(d))},{_n(self.y(v))}" for d, v in enumerate(values, 1))
        base = f"{_n(self.x(len(values)))},{_n(self.bottom)} {_n(self.x(1))},{_n(self.bottom)}"
        self.shapes.append(f'<polygon points="{points} {base}" fill="{color}" opacity="0.18"/>')
        self.shapes.append(
            f'<polyline points="{points}" fill="none" stroke="{color}" stroke-width="2.1"/>'
        )

    def svg(self, legend: list[tuple[str, str]]) -> str:
        parts = [
            f'<svg role="img" class="chart-svg" id="{self.id}" '
            f'viewBox="0 0 {_n(self.width)} {_n(self.height)}" '
            f'width="{_n(self.width)}pt" height="{_n(self.height)}pt" '
            'font-family="DejaVu Sans, sans-serif" font-size="10.7">',
            f'<title id="{self.id}-title">{html.escape(self.title)}</title>',
        ]
        for tick in self.ticks:
            y = _n(self.y(tick))
            parts.append(
                f'<line x1="{_n(self.left)}" x2="{_n(self.right)}" y1="{y}" y2="{y}" '
                f'stroke="{GRID}" stroke-width="0.8"/>'
            )
            parts.append(
                f'<text x="{_n(self.left - 5)}" y="{y}" dy="0.35em" text-anchor="end" '
                f'fill="{MUTED}">{html.escape(_plain_number(tick, 0))}</text>'
            )
        parts += self.shapes
        parts.append(
            f'<line x1="{_n(self.left)}" x2="{_n(self.left)}" y1="{_n(self.top)}" '
            f'y2="{_n(self.bottom)}" stroke="{GRID}" stroke-width="1"/>'
        )
        for day in [1, *range(5, self.days + 1, 5)]:
            parts.append(
                f'<text x="{_n(self.x(day))}" y="{_n(self.bottom + 14)}" text-anchor="middle" '
                f'fill="{MUTED}">{day}</text>'
            )
        middle = (self.left + self.right) / 2
        parts.append(
            f'<text x="{_n(middle)}" y="{_n(self.bottom + 32)}" text-anchor="middle" '
            f'fill="{MUTED}">day of month (UTC)</text>'
        )
        parts.append(
            f'<text transform="translate({_n(self.left - 42)} {_n((self.top + self.bottom) / 2)}) '
            f'rotate(-90)" text-anchor="middle" fill="{MUTED}">{html.escape(self.unit)}</text>'
        )
        parts.append(
            f'<text x="{_n(self.left)}" y="{_n(self.top - 10)}" font-size="12" '
            f'font-weight="bold" fill="{INK}">{html.escape(self.title)}</text>'
        )
        x = self.right
        for label, color in reversed(legend):
            width = 12 + 6.2 * len(label)
            x -= width + 10
            parts.append(
                f'<rect x="{_n(x)}" y="{_n(self.top - 19)}" width="10" height="7" fill="{color}"/>'
            )
            parts.append(
                f'<text x="{_n(x + 14)}" y="{_n(self.top - 12)}" font-size="10" '
                f'fill="{INK}">{html.escape(label)}</text>'
            )
        parts.append("</svg>")
        return "".join(parts)


def horizontal_bar_chart(
    chart_id: str,
    title: str,
    labels: Sequence[str],
    values: Sequence[float],
    unit: str,
    width: float = 5.0,
) -> str:
    """One bar per label, largest on top; used for revenue by item and by organization."""
    arguments = (chart_id, title, tuple(labels), tuple(values), unit, width)
    return _cached(
        "horizontal_bar_chart",
        arguments,
        lambda: _horizontal_bar_chart(chart_id, title, labels, values, unit, width),
    )


def _horizontal_bar_chart(
    chart_id: str,
    title: str,
    labels: Sequence[str],
    values: Sequence[float],
    unit: str,
    width: float,
) -> str:
    import matplotlib
    from matplotlib.ticker import FuncFormatter

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
    arguments = (chart_id, tuple(labels), tuple(values), unit, width)
    return _cached(
        "month_over_month_chart",
        arguments,
        lambda: _month_over_month_chart(chart_id, labels, values, unit, width),
    )


def _month_over_month_chart(
    chart_id: str, labels: Sequence[str], values: Sequence[float], unit: str, width: float
) -> str:
    import matplotlib

    with matplotlib.rc_context(_RC):
        figure = _figure(width, 2.6)
        axes = figure.add_subplot()
        colors = [COLORS[4]] * (len(values) - 1) + [COLORS[0]]
        axes.bar(range(len(values)), values, color=colors, width=0.6)
        axes.set_xticks(range(len(labels)), list(labels))
        _style_axes(axes, "Statement totals by month", unit)
        axes.axhline(0, color=MUTED, linewidth=0.6)
        return _svg_text(figure, chart_id)
