"""The README's benchmark table: written from `bench/results/*.json` between two markers, so the
figures in the README are the ones `make bench` measured on this machine, never typed by hand."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from automq_billing.bench.floor import DUCKDB_SETTINGS
from automq_billing.bench.scenarios import (
    DOCUMENTS_SECONDS,
    LAST_OVER_ALONE,
    LATE_OVER_SMALL,
    RECLOSE_SECONDS,
    SCALE_OVER_FLOOR,
    SCALE_PEAK_MIB,
    SMALL_OVER_FLOOR,
)

BEGIN = "<!-- bench-table:begin (written by make bench from bench/results/*.json) -->"
END = "<!-- bench-table:end -->"
ORDER = {"small": 0, "scale": 1, "history": 2, "documents": 3, "engines": 4}
# the close's stages as the table shows them, from the manifest's timings: suites are the Great
# Expectations validation, exports the publishing of the version folder without its documents
STAGES = ("load", "dbt", "suites", "exports", "documents", "other")


def _seconds(value: float | None) -> str:
    if value is None:
        return "n/a"
    return f"{value:,.2f} s" if value < 10 else f"{value:,.1f} s"


def _peak(run: dict[str, Any]) -> str:
    peak = run.get("peak_rss_mib")
    return "" if peak is None else f", peak {peak:,.0f} MiB"


def _times(ratio: float | None) -> str:
    return "n/a" if ratio is None else f"{ratio}x"


def stages(run: dict[str, Any]) -> str:
    """`load 1.2 · dbt 8.1 · suites 1.4 · exports 0.5 · documents 0.9` (seconds)."""
    timings = run.get("timings") or {}
    if not timings:
        return ""
    values = {
        "load": timings.get("load"),
        "dbt": timings.get("dbt"),
        "suites": timings.get("validate"),
        "exports": _exports(timings),
        "documents": timings.get("documents"),
        "other": _other(timings),
    }
    return " · ".join(
        f"{name} {values[name]:.1f}" if values[name] is not None else f"{name} -"
        for name in STAGES
        if name != "other" or values[name] is not None
    )


def _other(timings: dict[str, float]) -> float | None:
    """What no stage timed (start-up, waiting for the validation worker, the read-only checks);
    only for closes that time their exports."""
    if "exports" not in timings or "total" not in timings:
        return None
    others = sum(value for name, value in timings.items() if name != "total")
    return round(max(timings["total"] - others, 0.0), 3)


def _exports(timings: dict[str, float]) -> float | None:
    """Publishing without the documents (the `exports` stage; before it was timed, the total
    less every other stage, the manifest being written inside the publish stage)."""
    if "exports" in timings:
        return timings["exports"]
    if "publish" in timings:
        return round(timings["publish"] - timings.get("documents", 0), 3)
    if "total" not in timings:
        return None
    others = sum(value for name, value in timings.items() if name != "total")
    return round(max(timings["total"] - others, 0.0), 3)


def _verdict(value: float | None, limit: float) -> str:
    if value is None:
        return "n/a"
    return "met" if value <= limit else "not met"


def _single_rows(report: dict[str, Any]) -> list[list[str]]:
    close, floor = report["close"], report["floor"]
    ratio = report.get("ratio_close_over_floor")
    rows = f"{report['rows']:,} rows, {report['month']}"
    if report["scenario"] == "small":
        target = f"within {SMALL_OVER_FLOOR}x of the floor"
        verdict = _verdict(ratio, SMALL_OVER_FLOOR)
    else:
        target = f"no slower than the floor, under {SCALE_PEAK_MIB // 1024} GiB"
        within = (
            ratio is not None
            and ratio <= SCALE_OVER_FLOOR
            and (close.get("peak_rss_mib") or 0) < SCALE_PEAK_MIB
        )
        verdict = "met" if within else "not met"
    found = [
        [
            f"{report['scenario']}: {rows}",
            f"close {_seconds(close['wall_seconds'])}{_peak(close)}",
            f"floor query {_seconds(floor['wall_seconds'])}{_peak(floor)}",
            _times(ratio),
            stages(close),
            target,
            verdict,
        ]
    ]
    again = report.get("reclose")
    if again:
        found.append(
            [
                f"{report['scenario']}: {rows}, re-close with nothing new",
                f"close {_seconds(again['wall_seconds'])}{_peak(again)}",
                "",
                "",
                stages(again),
                f"within {RECLOSE_SECONDS} s",
                _verdict(again["wall_seconds"], RECLOSE_SECONDS),
            ]
        )
    return found


def _documents_rows(report: dict[str, Any]) -> list[list[str]]:
    label = f"documents: {report['statements']:,} statements, {report['month']}"
    close, again, issued = report["close"], report["reclose"], report.get("finalize") or {}
    seconds = report.get("documents_seconds")
    return [
        [
            label + f", the close ({report['rows']:,} rows)",
            f"close {_seconds(close['wall_seconds'])}{_peak(close)}",
            "",
            "",
            stages(close),
            f"documents within {DOCUMENTS_SECONDS} s",
            _verdict(seconds, DOCUMENTS_SECONDS),
        ],
        [
            label + ", re-close with nothing new",
            f"close {_seconds(again['wall_seconds'])}{_peak(again)}",
            "",
            "",
            stages(again),
            f"within {RECLOSE_SECONDS} s",
            _verdict(again["wall_seconds"], RECLOSE_SECONDS),
        ],
        [
            label + ", finalize (typesets every issued statement's PDF)",
            f"finalize {_seconds(issued.get('wall_seconds'))}{_peak(issued)}",
            "",
            "",
            "",
            "(once per issued month; no target)",
            "",
        ],
    ]


def _engines_rows(report: dict[str, Any]) -> list[list[str]]:
    duck, spark = report["duckdb"], report["spark"]
    return [
        [
            f"engines: {report['rows']:,} rows, {report['month']}, Spark (local[*]) against DuckDB",
            f"Spark close {_seconds(spark['wall_seconds'])}{_peak(spark)}",
            f"DuckDB close {_seconds(duck['wall_seconds'])}{_peak(duck)}",
            _times(report.get("ratio_spark_over_duckdb")),
            stages(spark),
            "the same totals on both engines (SPEC 11)",
            "met" if report.get("totals_match") else "not met",
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
            _times(ratio_last),
            stages(last),
            f"within {LAST_OVER_ALONE}x of the month alone",
            _verdict(ratio_last, LAST_OVER_ALONE),
        ],
        [
            label + ", re-close with no new file",
            f"close {_seconds(reclose['wall_seconds'])}{_peak(reclose)}{reused}",
            "",
            "",
            stages(reclose),
            f"within {RECLOSE_SECONDS} s",
            _verdict(reclose["wall_seconds"], RECLOSE_SECONDS),
        ],
        [
            label + f", a late file of 100,000 rows for {report['months'][8]} (issued)",
            f"close {_seconds(late['wall_seconds'])}{_peak(late)}",
            f"the small close {_seconds(report.get('small_close_seconds'))}",
            _times(ratio_late),
            stages(late),
            f"within {LATE_OVER_SMALL}x of the small close",
            _verdict(ratio_late, LATE_OVER_SMALL),
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
        "| Scenario | Measured | Against | Ratio | Stages (s) | Target | |",
        "|---|---|---|---|---|---|---|",
    ]
    rows_of = {"history": _history_rows, "documents": _documents_rows, "engines": _engines_rows}
    machines: set[str] = set()
    loads: list[str] = []
    for report in reports:
        table = rows_of.get(report["scenario"], _single_rows)(report)
        lines += ["| " + " | ".join(row) + " |" for row in table]
        machine = report.get("machine", {})
        if machine.get("load_average") is not None:
            loads.append(f"{report['scenario']} {machine['load_average']:.1f}")
        machines.add(
            f"{machine.get('cpus')} CPUs, {machine.get('memory_mib', 0) / 1024:.0f} GiB, DuckDB "
            f"{machine.get('duckdb')}, dbt-core {machine.get('dbt_core')}"
        )
    if not reports:
        lines.append("| (no results yet: run `make bench`) | | | | | | |")
    measured = "; ".join(sorted(machines)) or "this machine"
    settings = ", ".join(setting.removeprefix("SET ") for setting in DUCKDB_SETTINGS[:2])
    settings += "; closes run as users run them, documents included"
    shared = (
        " The machine is shared with other work: its load average over the last 15 minutes when "
        f"each result was written was {', '.join(loads)} (2 means both cores busy)."
        if loads
        else ""
    )
    return "\n".join(lines) + f"\n\nMeasured on {measured} ({settings}).{shared}"


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
