"""Reads one close's version folder (and the final months beside it) into plain Python values.

Nothing here touches the warehouse: the documents are a function of the files on disk only.
Decimal columns come back as `decimal.Decimal`, dates as `datetime.date`.
"""

from __future__ import annotations

import datetime as dt
import json
import re
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation
from pathlib import Path
from typing import Any

import pyarrow as pa
import pyarrow.parquet as pq

from automq_billing.book.files import read_json
from automq_billing.errors import BillingError
from automq_billing.landing import sha256_file

Row = dict[str, Any]

_MONTH_DIR = re.compile(r"(\d{4})-(\d{2})")

REQUIRED_FILES = ("manifest.json", "statement_lines.parquet", "statements.parquet")


@dataclass(frozen=True)
class FinalMonth:
    """A month of the output folder that finance issued (`<output>/<YYYY-MM>/final.json`)."""

    month: dt.date
    version: int
    finalized_at: str
    total_amount: Decimal | None
    statements: int | None
    folder: Path
    sha256: dict[str, str]
    approved_by: str | None = None  # None: issued before finalize recorded who approved


@dataclass(frozen=True)
class PreviousTotals:
    """Each organization's total on the latest final month before the one rendered."""

    final: FinalMonth
    totals: dict[str, Decimal]


@dataclass(frozen=True)
class VersionFolder:
    folder: Path
    month: dt.date
    version: int
    manifest: dict
    lines: list[Row]
    statements: list[Row]
    usage_daily: list[Row]
    rate_card: list[Row]
    licenses: list[Row]
    organizations: dict[str, Row]
    reconciliation: list[Row] | None
    exceptions: dict[str, int] | None  # Marketplace exceptions counted by cause
    unmatched_events: list[Row] | None  # SPEC 9.3: billing events no reconciliation counts
    validation: dict | None
    month_final: FinalMonth | None  # this month's final.json, whichever version it names
    previous_finals: list[FinalMonth]
    previous_totals: PreviousTotals | None
    problems: list[str]

    def parquet_files(self) -> list[Path]:
        return sorted(self.folder.glob("*.parquet"))


def read_version_folder(folder: Path, output_root: Path) -> VersionFolder:
    """Everything the documents print, read from `folder`; the final months come from
    `output_root`. Refuses a folder that lacks the manifest or the statement files."""
    missing = [name for name in REQUIRED_FILES if not (folder / name).is_file()]
    if missing:
        raise BillingError(
            f"{folder} is not a complete close version folder: {', '.join(missing)} missing.",
            hint="pass a version folder written by `automq-billing close` (<output>/YYYY-MM/vN)",
        )
    manifest = read_json(folder / "manifest.json", f"the version folder {folder} is damaged")
    month = _manifest_month(manifest, folder)
    version = int(manifest.get("version", 0))
    problems: list[str] = []
    finals = read_final_months(output_root, problems)
    previous = [final for final in finals if final.month < month]
    month_final = next((f for f in finals if f.month == month), None)
    return VersionFolder(
        folder=folder,
        month=month,
        version=version,
        manifest=manifest,
        lines=read_rows(folder / "statement_lines.parquet"),
        statements=read_rows(folder / "statements.parquet"),
        usage_daily=read_rows(folder / "usage_daily.parquet", required=False) or [],
        rate_card=read_rows(folder / "rate_card.parquet", required=False) or [],
        licenses=read_rows(folder / "licenses.parquet", required=False) or [],
        organizations={
            row["organization_id"]: row
            for row in read_rows(folder / "organizations.parquet", required=False) or []
        },
        reconciliation=read_rows(folder / "marketplace_reconciliation.parquet", required=False),
        exceptions=_count_by(folder / "marketplace_exceptions.parquet", "cause"),
        unmatched_events=read_rows(
            folder / "marketplace_unmatched_billing_events.parquet", required=False
        ),
        validation=_read_json(folder / "validation" / "results.json", problems),
        month_final=month_final,
        previous_finals=previous,
        previous_totals=_previous_totals(previous[-1], problems) if previous else None,
        problems=problems,
    )


def read_version_manifest(folder: Path) -> VersionFolder:
    """The version folder's month, version and manifest alone, with no row read: what the
    workbook needs beside its Parquet files (it streams them itself)."""
    if not (folder / "manifest.json").is_file():
        raise BillingError(
            f"{folder} is not a complete close version folder: manifest.json missing.",
            hint="pass a version folder written by `automq-billing close` (<output>/YYYY-MM/vN)",
        )
    manifest = json.loads((folder / "manifest.json").read_text(encoding="utf-8"))
    return VersionFolder(
        folder=folder,
        month=_manifest_month(manifest, folder),
        version=int(manifest.get("version", 0)),
        manifest=manifest,
        lines=[],
        statements=[],
        usage_daily=[],
        rate_card=[],
        licenses=[],
        organizations={},
        reconciliation=None,
        exceptions=None,
        unmatched_events=None,
        validation=None,
        month_final=None,
        previous_finals=[],
        previous_totals=None,
        problems=[],
    )


def _count_by(path: Path, column: str) -> dict[str, int] | None:
    """Rows of an optional Parquet file counted by one column's text, without reading its rows
    into Python (Marketplace exceptions run to millions at scale); None when it is absent."""
    if not path.is_file():
        return None
    if column not in pq.read_schema(path).names:
        return {}
    counts = pq.read_table(path, columns=[column]).column(column).value_counts()
    return {str(entry["values"]): int(entry["counts"]) for entry in counts.to_pylist()}


def read_rows(
    path: Path, *, required: bool = True, columns: list[str] | None = None
) -> list[Row] | None:
    """A Parquet file as a list of dicts; None when an optional file is absent."""
    if not path.is_file():
        if required:
            raise BillingError(f"{path} is missing.", hint="run the close again")
        return None
    try:
        if columns is not None:
            present = set(pq.read_schema(path).names)
            columns = [name for name in columns if name in present]
        return pq.read_table(path, columns=columns).to_pylist()
    except (OSError, pa.ArrowException) as error:
        raise BillingError(
            f"{path} cannot be read ({str(error)[:200]}); the version folder is damaged.",
            hint="close the month again (an issued month is restored from a backup)",
        ) from None


def read_final_months(output_root: Path, problems: list[str]) -> list[FinalMonth]:
    """Every final month of the output folder, oldest first; unreadable final.json files are
    reported in `problems` and skipped."""
    finals = []
    if not output_root.is_dir():
        return finals
    for child in sorted(output_root.iterdir()):
        match = _MONTH_DIR.fullmatch(child.name)
        marker = child / "final.json"
        if not match or not marker.is_file():
            continue
        try:
            finals.append(_final_month(child, marker, match))
        except (ValueError, KeyError, TypeError, InvalidOperation, BillingError) as error:
            problems.append(f"{marker} could not be read ({error}); that month is left out")
    return finals


def _final_month(child: Path, marker: Path, match: re.Match[str]) -> FinalMonth:
    data = read_json(marker, "the issued month is damaged")
    totals = data.get("totals") or {}
    approved_by = data.get("approved_by")
    total = totals.get("total_amount")
    return FinalMonth(
        month=dt.date(int(match.group(1)), int(match.group(2)), 1),
        version=int(data["version"]),
        finalized_at=str(data.get("finalized_at", "")),
        total_amount=Decimal(total) if total is not None else None,
        statements=int(totals["statements"]) if "statements" in totals else None,
        folder=child / f"v{int(data['version'])}",
        sha256=dict(data.get("sha256") or {}),
        approved_by=approved_by if isinstance(approved_by, str) else None,
    )


def _previous_totals(final: FinalMonth, problems: list[str]) -> PreviousTotals | None:
    path = final.folder / "statements.parquet"
    if not path.is_file():
        problems.append(f"the final month's statements {path} are missing")
        return None
    expected = final.sha256.get("statements.parquet")
    if expected and sha256_file(path) != expected:
        problems.append(
            f"{path} no longer matches the sha256 in its final.json; "
            "the comparison with that month is left out"
        )
        return None
    rows = read_rows(path, columns=["organization_id", "total_amount"]) or []
    return PreviousTotals(final, {row["organization_id"]: row["total_amount"] for row in rows})


def _manifest_month(manifest: dict, folder: Path) -> dt.date:
    text = str(manifest.get("month", ""))
    match = _MONTH_DIR.fullmatch(text)
    if not match:
        raise BillingError(
            f"{folder / 'manifest.json'} names no month (got {text!r}).",
            hint="pass a version folder written by `automq-billing close`",
        )
    return dt.date(int(match.group(1)), int(match.group(2)), 1)


def _read_json(path: Path, problems: list[str]) -> dict | None:
    if not path.is_file():
        return None
    try:
        return json.loads(path.read_text(encoding="utf-8"))
    except (ValueError, RecursionError) as error:
        problems.append(f"{path} could not be read ({type(error).__name__})")
        return None
