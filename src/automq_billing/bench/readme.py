"""The README's benchmark table: written from `bench/results/*.json` between two markers, so the
figures in the README are the ones `make bench` measured on this machine, never typed by hand."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from automq_billing.bench.floor import DUCKDB_SETTINGS

BEGIN = "<!-- bench-table:begin (written by make bench from bench/results/*.json) -->"
END = "<!-- bench-table:end -->"
ORDER = {"small": 0, "scale": 1, "history": 2}


def _seconds(value: float | None) -> str:
    if value is None:
        return "n/a"
    return f"{value:,.2f} s" if value < 10 else f"{value:,.1f} s"


def _peak(run: dict[str, Any]) -> str:
    peak = run.get("peak_rss_mib")
    return "" if peak is None else f", peak {peak:,.0f} MiB"


def _verdict(value: float | None, limit: float) -> str:
    if value is None:
        return "n/a"
    return "met" if value <= limit else "not met"


def _single_rows(report: dict[str, Any]) -> list[list[str]]:
    close, floor = report["close"], report["floor"]
    ratio = report.get("ratio_close_over_floor")
    rows = f"{report['rows']:,} rows, {report['month']}"
    if report["scenario"] == "small":
        target, verdict = "within 5x of the floor", _verdict(ratio, 5)
    else:
        target = "about 170 s, under 2 GiB"
        within = close["wall_seconds"] <= 170 * 1.05 and (close.get("peak_rss_mib") or 0) < 2048
        verdict = "met" if within else "not met"
    return [
        [
            f"{report['scenario']}: {rows}",
            f"close {_seconds(close['wall_seconds'])}{_peak(close)}",
            f"floor query {_seconds(floor['wall_seconds'])}{_peak(floor)}",
            f"{ratio}x" if ratio is not None else "n/a",
            target,
            verdict,
        ]
    ]


def _history_rows(report: dict[str, Any]) -> list[list[str]]:
    label = f"history: 12 months of {report['rows_per_month']:,} rows"
    last, alone = report["last"], report["alone"]
    reclose, late = report["reclose"], report["late"]
    ratio_last = report.get("ratio_last_over_alone")
    ratio_late = report.get("ratio_late_over_small")
    timings = reclose.get("timings") or {}
    reused = " (nothing new: dbt not run)" if timings and "dbt" not in timings else ""
    return [
        [
            label + f", closing {report['months'][-1]} after 11 issued months",
            f"close {_seconds(last['wall_seconds'])}{_peak(last)}",
            f"the month alone {_seconds(alone['wall_seconds'])}",
            f"{ratio_last}x",
            "within 1.5x of the month alone",
            _verdict(ratio_last, 1.5),
        ],
        [
            label + ", re-close with no new file",
            f"close {_seconds(reclose['wall_seconds'])}{_peak(reclose)}{reused}",
            "",
            "",
            "within 15 s",
            _verdict(reclose["wall_seconds"], 15),
        ],
        [
            label + f", a late file of 100,000 rows for {report['months'][8]} (issued)",
            f"close {_seconds(late['wall_seconds'])}{_peak(late)}",
            f"the small close {_seconds(report.get('small_close_seconds'))}",
            f"{ratio_late}x" if ratio_late is not None else "n/a",
            "within 2x of the small close",
            _verdict(ratio_late, 2),
        ],
    ]


def render_table(results: Path) -> str:
    """The markdown table of every report in `results`, small then scale then history."""
    reports = []
    for path in sorted(results.glob("*.json")):
        report = json.loads(path.read_text())
        if report.get("scenario") in ORDER:
            reports.append(report)
    reports.sort(key=lambda r: (ORDER[r["scenario"]], r.get("rows") or r.get("rows_per_month")))
    lines = [
        "| Scenario | Measured | Against | Ratio | Target (issue 11) | |",
        "|---|---|---|---|---|---|",
    ]
    machines = set()
    for report in reports:
        table = _history_rows(report) if report["scenario"] == "history" else _single_rows(report)
        lines += ["| " + " | ".join(row) + " |" for row in table]
        machine = report.get("machine", {})
        machines.add(
            f"{machine.get('cpus')} CPUs, {machine.get('memory_mib', 0) / 1024:.0f} GiB, DuckDB "
            f"{machine.get('duckdb')}, dbt-core {machine.get('dbt_core')}"
        )
    if not reports:
        lines.append("| (no results yet: run `make bench`) | | | | | |")
    measured = "; ".join(sorted(machines)) or "this machine"
    settings = ", ".join(setting.removeprefix("SET ") for setting in DUCKDB_SETTINGS[:2])
    settings += "; closes run `--no-documents`"
    return "\n".join(lines) + f"\n\nMeasured on {measured} ({settings})."


def update_readme(readme: Path, results: Path) -> bool:
    """Rewrites the table between the markers; False when the README has no markers."""
    text = readme.read_text(encoding="utf-8")
    start, end = text.find(BEGIN), text.find(END)
    if start < 0 or end < start:
        return False
    table = render_table(results)
    updated = text[: start + len(BEGIN)] + "\n" + table + "\n" + text[end:]
    if updated != text:
        readme.write_text(updated, encoding="utf-8")
    return True
