"""Writing a close's files: Parquet (exact values) and CSV twins (safe to open in a spreadsheet),
each with its sha256 for the manifest. Publishing a folder all at once and cleaning up after a
killed run are the book's (`automq_billing.book.publish`)."""

from __future__ import annotations

from pathlib import Path

import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.csv as pacsv
import pyarrow.parquet as pq

from automq_billing.landing.hashing import sha256_file

# OWASP's CSV injection advice: a cell that starts with one of these is read as a formula by
# spreadsheet programs; a leading single quote makes it text. Only the CSV twins are changed:
# the Parquet files keep the exact value.
FORMULA_START = r"^[=+\-@\t\r]"

__all__ = [
    "file_entry",
    "neutralise_formulas",
    "write_table",
]


def neutralise_formulas(table: pa.Table) -> pa.Table:
    """The table with every text cell that a spreadsheet would evaluate prefixed with `'`."""
    columns = []
    for field in table.schema:
        column = table.column(field.name)
        if pa.types.is_dictionary(field.type):
            column = column.cast(field.type.value_type)
        if pa.types.is_string(column.type) or pa.types.is_large_string(column.type):
            risky = pc.match_substring_regex(column, FORMULA_START)
            column = pc.if_else(risky, pc.binary_join_element_wise("'", column, ""), column)
        columns.append(column)
    return pa.table(columns, names=table.column_names)


def file_entry(path: Path, rows: int | None = None) -> dict:
    entry = {"bytes": path.stat().st_size, "sha256": sha256_file(path)}
    return {"rows": rows, **entry} if rows is not None else entry


def write_table(folder: Path, name: str, table: pa.Table, *, csv: bool = True) -> dict[str, dict]:
    """`<name>.parquet` (and its CSV twin); returns their manifest entries."""
    entries = {}
    parquet_path = folder / f"{name}.parquet"
    pq.write_table(table, parquet_path, compression="zstd")
    entries[parquet_path.name] = file_entry(parquet_path, table.num_rows)
    if csv:
        csv_path = folder / f"{name}.csv"
        pacsv.write_csv(neutralise_formulas(table), csv_path)
        entries[csv_path.name] = file_entry(csv_path, table.num_rows)
    return entries
