"""`close.xlsx`: a cover sheet with the close's totals and one sheet per Parquet file.

Text is written with `write_string`, so a spreadsheet never evaluates it, and a value that starts
with a formula character is prefixed with a single quote (OWASP, CSV/formula injection). Amounts
are numbers shown with two decimals, quantities and prices with six. The workbook's creation
date is fixed (the close's time), so the same folder always gives the same bytes.
"""

from __future__ import annotations

import datetime as dt
import json
import os
import sys
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from decimal import Decimal
from pathlib import Path
from typing import Any

import pyarrow as pa
import pyarrow.parquet as pq
import xlsxwriter
from xlsxwriter.format import Format
from xlsxwriter.worksheet import Worksheet

from automq_billing.documents.text import INVOICER_TITLES, month_label
from automq_billing.documents.version_folder import VersionFolder, read_version_manifest
from automq_billing.documents.workbook_cache import (
    Member,
    SheetCache,
    read_members,
    sheet_key,
    sheet_member,
    write_members,
)
from automq_billing.errors import BillingError

# a sheet is for reading and filtering: past this many rows (the Parquet and CSV files hold them
# all) it costs the close more than it gives; written one cell at a time, 100,000 rows of
# Marketplace exceptions were 6 of the 7.6 s of a 1-million-row close's documents (issue 18)
ROW_CAP = 10_000
FORMULA_PREFIXES = ("=", "+", "-", "@", "\t", "\r")
FIRST_SHEETS = ("statements", "statement_lines")
_SHEET_NAME_LENGTH = 31
_BATCH_ROWS = 65_536

Writer = Callable[[Worksheet, int, int, Any], None]


@dataclass(frozen=True)
class SheetSummary:
    name: str
    source: str
    rows_in_file: int
    rows_written: int

    @property
    def truncated(self) -> bool:
        return self.rows_written < self.rows_in_file


def neutralise(text: str) -> str:
    """A text value safe to hand to a spreadsheet: a leading =, +, -, @, tab or carriage return
    gets a single quote in front, so that no program reads it as a formula."""
    return "'" + text if text.startswith(FORMULA_PREFIXES) else text


def write_workbook(
    path: Path,
    close: VersionFolder,
    created: dt.datetime,
    row_cap: int = ROW_CAP,
    cache: SheetCache | None = None,
) -> list[SheetSummary]:
    """Writes the workbook; returns what each data sheet holds. With a `cache`, a data sheet
    whose Parquet file was written before is taken from it (the same bytes either way)."""
    sources = _ordered_sources(close.parquet_files())
    summaries = _plan_sheets(sources, row_cap)
    keys = [
        sheet_key(source, summary.rows_written) if cache is not None else ""
        for source, summary in zip(sources, summaries, strict=True)
    ]
    cached = {}
    if cache is not None:
        for index, key in enumerate(keys):
            entry = cache.get(key)
            member = Member.decode(entry) if entry is not None else None
            if member is not None:
                cached[sheet_member(index + 2)] = member
    if cache is None:
        _write_xlsx(path, close, created, row_cap, sources, summaries, set())
        return summaries
    parts = path.with_name(f".{path.name}.parts-{os.getpid()}")
    try:
        skip = {index for index in range(len(sources)) if sheet_member(index + 2) in cached}
        _write_xlsx(parts, close, created, row_cap, sources, summaries, skip)
        infos, members = read_members(parts)
        for index, key in enumerate(keys):
            name = sheet_member(index + 2)
            if name in cached:
                members[name] = cached[name]
            else:
                _keep(cache, key, members[name].encode())
        write_members(path, infos, members)
    finally:
        parts.unlink(missing_ok=True)
    return summaries


def _keep(cache: SheetCache, key: str, data: bytes) -> None:
    """Stores a sheet for the next rendering; a cache that cannot be written (a read-only
    output folder) costs that rendering nothing but the reuse."""
    try:
        cache.put(key, data)
    except OSError:
        pass


def _write_xlsx(
    path: Path,
    close: VersionFolder,
    created: dt.datetime,
    row_cap: int,
    sources: list[Path],
    summaries: list[SheetSummary],
    skip: set[int],
) -> None:
    """xlsxwriter's workbook; the data sheets numbered in `skip` get their frame (header,
    widths, filter) but no rows (their XML comes from the cache)."""
    workbook = xlsxwriter.Workbook(
        str(path),
        {
            "constant_memory": True,
            "strings_to_numbers": False,
            "strings_to_formulas": False,
            "strings_to_urls": False,
        },
    )
    try:
        workbook.set_properties(
            {
                "title": f"AutoMQ BYOC billing close {month_label(close.month)} v{close.version}",
                "author": "automq-billing",
                "created": created.astimezone(dt.UTC).replace(tzinfo=None),
            }
        )
        formats = _formats(workbook)
        _write_cover(workbook.add_worksheet("cover"), formats, close, summaries, row_cap)
        if isinstance(close.manifest.get("journal"), dict):  # SPEC 12.3
            _write_journal_summary(workbook.add_worksheet("journal_summary"), formats, close)
        for index, (source, summary) in enumerate(zip(sources, summaries, strict=True)):
            sheet = workbook.add_worksheet(summary.name)
            rows = 0 if index in skip else summary.rows_written
            _write_data_sheet(sheet, formats, source, rows, summary.rows_written)
    finally:
        workbook.close()


def _ordered_sources(files: list[Path]) -> list[Path]:
    first = [path for name in FIRST_SHEETS for path in files if path.stem == name]
    return first + [path for path in files if path not in first]


def _plan_sheets(sources: list[Path], row_cap: int) -> list[SheetSummary]:
    used = {"cover"}
    summaries = []
    for source in sources:
        name = _sheet_name(source.stem, used)
        used.add(name.lower())
        rows = pq.ParquetFile(source).metadata.num_rows
        summaries.append(SheetSummary(name, source.name, rows, min(rows, row_cap)))
    return summaries


def _sheet_name(stem: str, used: set[str]) -> str:
    """A valid, unique sheet name: at most 31 characters, none of []:*?/\\."""
    clean = "".join("_" if ch in "[]:*?/\\" else ch for ch in stem)[:_SHEET_NAME_LENGTH] or "sheet"
    name, counter = clean, 2
    while name.lower() in used:
        suffix = f"~{counter}"
        name = clean[: _SHEET_NAME_LENGTH - len(suffix)] + suffix
        counter += 1
    return name


def _formats(workbook: xlsxwriter.Workbook) -> dict[str, Format]:
    """The cell formats, each numbered now in this order (xlsxwriter numbers a format when a
    cell first uses it): a data sheet's XML then names the same format indices whichever sheets
    were written, which lets a cached sheet stand in a new workbook."""
    formats = {
        "title": workbook.add_format({"bold": True, "font_size": 14}),
        "bold": workbook.add_format({"bold": True}),
        "header": workbook.add_format(
            {"bold": True, "bg_color": "#1F4E79", "font_color": "#FFFFFF", "border": 0}
        ),
        "money": workbook.add_format({"num_format": "#,##0.00"}),
        "money_bold": workbook.add_format({"num_format": "#,##0.00", "bold": True}),
        "quantity": workbook.add_format({"num_format": "#,##0.000000"}),
        "integer": workbook.add_format({"num_format": "0"}),
        "date": workbook.add_format({"num_format": "yyyy-mm-dd"}),
        "datetime": workbook.add_format({"num_format": "yyyy-mm-dd hh:mm:ss"}),
        "wrap": workbook.add_format({"text_wrap": True, "valign": "top"}),
    }
    for cell_format in formats.values():
        cell_format._get_xf_index()  # xlsxwriter 3.3's numbering (pinned)
    return formats


def _write_cover(
    sheet: Worksheet,
    formats: dict[str, Format],
    close: VersionFolder,
    summaries: list[SheetSummary],
    row_cap: int,
) -> None:
    totals = close.manifest.get("totals") or {}
    sheet.set_column(0, 0, 34)
    sheet.set_column(1, 1, 26)
    sheet.set_column(2, 4, 16)
    title = f"AutoMQ BYOC billing close {month_label(close.month)}, version {close.version}"
    sheet.write_string(0, 0, title, formats["title"])
    row = 2
    for label, value in (
        ("Month", month_label(close.month)),
        ("Version", f"v{close.version}"),
        ("Closed at (UTC)", str(close.manifest.get("closed_at", ""))),
        ("Currency", str(totals.get("currency", "USD"))),
    ):
        sheet.write_string(row, 0, label, formats["bold"])
        sheet.write_string(row, 1, neutralise(value))
        row += 1
    row += 1
    sheet.write_string(row, 0, "Totals", formats["bold"])
    row += 1
    for label, key in (("Organizations", "organizations"), ("Statement lines", "statement_lines")):
        sheet.write_string(row, 0, label)
        sheet.write_number(row, 1, int(totals.get(key, 0)), formats["integer"])
        row += 1
    for label, key in (
        ("Usage amount", "usage_amount"),
        ("Subscription amount", "subscription_amount"),
        ("Adjustment amount", "adjustment_amount"),
        ("Total amount", "total_amount"),
    ):
        sheet.write_string(row, 0, label, formats["bold"] if key == "total_amount" else None)
        if totals.get(key) is not None:
            style = formats["money_bold"] if key == "total_amount" else formats["money"]
            sheet.write_number(row, 1, float(Decimal(str(totals[key]))), style)
        row += 1
    row += 1
    sheet.write_string(row, 0, "Invoiced by (statement_lines.invoiced_by)", formats["bold"])
    row += 1
    for party, amount, lines in _party_totals(close):
        sheet.write_string(row, 0, INVOICER_TITLES.get(party, neutralise(party)))
        sheet.write_number(row, 1, float(amount), formats["money"])
        sheet.write_string(row, 2, f"{lines} line(s)")
        row += 1
    row += 1
    sheet.write_string(row, 0, "Sheets", formats["bold"])
    row += 1
    for column, header in enumerate(("Sheet", "Source file", "Rows in file", "Rows here")):
        sheet.write_string(row, column, header, formats["header"])
    row += 1
    for summary in summaries:
        sheet.write_string(row, 0, summary.name)
        sheet.write_string(row, 1, summary.source)
        sheet.write_number(row, 2, summary.rows_in_file, formats["integer"])
        sheet.write_number(row, 3, summary.rows_written, formats["integer"])
        if summary.truncated:
            sheet.write_string(row, 4, f"cut at {row_cap:,} rows: see {summary.source}")
        row += 1
    row += 1
    sheet.write_string(row, 0, "Notes", formats["bold"])
    for note in _cover_notes(row_cap):
        row += 1
        sheet.write_string(row, 0, note)


def _party_totals(close: VersionFolder) -> list[tuple[str, Decimal, int]]:
    """The amount and line count each party invoices (SPEC 10.2), AutoMQ first; none for a
    version closed before its lines named their party."""
    amounts: dict[str, Decimal] = {}
    counts: dict[str, int] = {}
    for line in close.lines:
        party = line.get("invoiced_by")
        if party is not None:
            amounts[party] = amounts.get(party, Decimal(0)) + line["amount"]
            counts[party] = counts.get(party, 0) + 1
    ordered = sorted(amounts, key=lambda p: (p != "automq", p))
    return [(party, amounts[party], counts[party]) for party in ordered]


def _write_journal_summary(
    sheet: Worksheet, formats: dict[str, Format], close: VersionFolder
) -> None:
    """The journal's debits and credits per account and the deferred revenue roll-forward's
    totals (the manifest's `journal` block); the lines are the `journal` sheet."""
    block = close.manifest["journal"]
    sheet.set_column(0, 0, 16)
    sheet.set_column(1, 1, 48)
    sheet.set_column(2, 3, 16)
    sheet.write_string(0, 0, f"Journal {month_label(close.month)}", formats["title"])
    row = 2
    for column, header in enumerate(("Account", "Name", "Debit", "Credit")):
        sheet.write_string(row, column, header, formats["header"])
    accounts = sorted((block.get("by_account") or {}).items())
    for code, entry in [
        *accounts,
        ("Total", {"debit": block.get("debit"), "credit": block.get("credit")}),
    ]:
        row += 1
        bold = code == "Total"
        sheet.write_string(row, 0, neutralise(str(code)), formats["bold"] if bold else None)
        sheet.write_string(row, 1, neutralise(str(entry.get("name", ""))))
        for column, key in ((2, "debit"), (3, "credit")):
            style = formats["money_bold"] if bold else formats["money"]
            sheet.write_number(row, column, float(Decimal(str(entry.get(key) or 0))), style)
    row += 2
    sheet.write_string(row, 0, "Deferred revenue roll-forward", formats["bold"])
    totals = block.get("deferred_revenue") or {}
    for label, key in (
        ("Opening balance", "opening"),
        ("Invoiced in the month", "invoiced"),
        ("Recognised in the month", "recognised"),
        ("Closing balance", "closing"),
    ):
        row += 1
        sheet.write_string(row, 1, label)
        sheet.write_number(row, 2, float(Decimal(str(totals.get(key) or 0))), formats["money"])
    row += 2
    sheet.write_string(
        row, 0, "Per licence: the deferred_revenue sheet; entries: the journal sheet."
    )


def _cover_notes(row_cap: int) -> list[str]:
    return [
        f"Each sheet holds at most {row_cap:,} rows; a sheet cut at that cap is marked above, "
        "and its Parquet file of the same name holds every row.",
        "Text cells are stored as text and never evaluated. A text value that starts with =, +, "
        "-, @, a tab or a carriage return is shown with a single quote (') in front, as OWASP "
        "recommends against formula injection; the Parquet and CSV files hold the values as "
        "they are.",
        "Amounts are numbers shown with two decimals; quantities and unit prices with six. A "
        "spreadsheet number holds about 15 significant digits: the Parquet files hold the exact "
        "decimals.",
        "Dates and times are UTC. Rounding is half away from zero, once per line (SPEC 0, 3).",
    ]


def _write_data_sheet(
    sheet: Worksheet, formats: dict[str, Format], source: Path, rows_wanted: int, frame_rows: int
) -> None:
    parquet = pq.ParquetFile(source)
    schema = parquet.schema_arrow
    writers = [_cell_writer(field.type, formats) for field in schema]
    for column, field in enumerate(schema):
        sheet.write_string(0, column, neutralise(field.name), formats["header"])
        sheet.set_column(column, column, _column_width(field))
    sheet.freeze_panes(1, 0)
    if len(schema):
        sheet.autofilter(0, 0, max(frame_rows, 1), len(schema) - 1)
    row = 1
    for record in _records(parquet, rows_wanted):
        for column, value in enumerate(record):
            if value is not None:
                writers[column](sheet, row, column, value)
        row += 1


def _records(parquet: pq.ParquetFile, limit: int) -> Iterator[tuple]:
    remaining = limit
    if remaining <= 0:
        return
    for batch in parquet.iter_batches(batch_size=_BATCH_ROWS):
        columns = [column.to_pylist() for column in batch.columns]
        for record in zip(*columns, strict=True):
            yield record
            remaining -= 1
            if remaining == 0:
                return


def _cell_writer(kind: pa.DataType, formats: dict[str, Format]) -> Writer:
    """How one column's values become cells."""
    if pa.types.is_decimal(kind):
        style = formats["money"] if kind.scale <= 2 else formats["quantity"]
        return lambda sheet, r, c, v: sheet.write_number(r, c, float(v), style)
    if pa.types.is_integer(kind):
        return lambda sheet, r, c, v: sheet.write_number(r, c, v, formats["integer"])
    if pa.types.is_floating(kind):
        return lambda sheet, r, c, v: sheet.write_number(r, c, v)
    if pa.types.is_boolean(kind):
        return lambda sheet, r, c, v: sheet.write_boolean(r, c, v)
    if pa.types.is_date(kind):
        return lambda sheet, r, c, v: sheet.write_datetime(r, c, v, formats["date"])
    if pa.types.is_timestamp(kind):
        return lambda sheet, r, c, v: sheet.write_datetime(r, c, _naive_utc(v), formats["datetime"])
    return lambda sheet, r, c, v: sheet.write_string(r, c, neutralise(_text(v)))


def _naive_utc(moment: dt.datetime) -> dt.datetime:
    if moment.tzinfo is not None:
        moment = moment.astimezone(dt.UTC).replace(tzinfo=None)
    return moment


def _text(value: Any) -> str:
    if isinstance(value, bytes):
        return value.hex()
    return value if isinstance(value, str) else str(value)


def _column_width(field: pa.Field) -> float:
    if pa.types.is_decimal(field.type) or pa.types.is_timestamp(field.type):
        return max(len(field.name) + 2, 16)
    if pa.types.is_string(field.type) or pa.types.is_large_string(field.type):
        return max(len(field.name) + 2, 22)
    return max(len(field.name) + 2, 11)


def main(argv: list[str]) -> int:
    """`python -m automq_billing.documents.workbook VERSION_FOLDER OUTPUT_ROOT TARGET CREATED`:
    what the rendering runs beside the statements; prints the sheets' names as JSON."""
    folder, root, target, created = argv
    try:
        close = read_version_manifest(Path(folder))
        summaries = write_workbook(
            Path(target),
            close,
            dt.datetime.fromisoformat(created),
            cache=SheetCache.for_output(Path(root)),
        )
    except BillingError as error:
        print(error, file=sys.stderr)
        return 2
    print(json.dumps([summary.name for summary in summaries]))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
