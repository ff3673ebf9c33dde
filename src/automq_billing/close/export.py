"""Writing a close's files: Parquet (exact values) and CSV twins (safe to open in a spreadsheet),
each with its sha256 for the manifest. Publishing a folder all at once and cleaning up after a
killed run are the book's (`automq_billing.book.publish`)."""

from __future__ import annotations

from collections.abc import Iterator
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

# pyarrow's default largest row group: a streamed file is cut where write_table would cut it
ROW_GROUP_ROWS = 1024 * 1024

__all__ = [
    "file_entry",
    "neutralise_formulas",
    "write_batches",
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


def write_batches(
    folder: Path, name: str, batches: pa.RecordBatchReader, *, csv: bool = True
) -> dict[str, dict]:
    """`<name>.parquet` (and its CSV twin) from a stream of record batches, a row group at a
    time: a table of millions of rows (the Marketplace exceptions at scale) is never held whole.
    The files are the same bytes `write_table` writes from the whole table."""
    parquet_path, csv_path = folder / f"{name}.parquet", folder / f"{name}.csv"
    schema = batches.schema
    rows = 0
    with pq.ParquetWriter(parquet_path, schema, compression="zstd") as parquet:
        csv_writer = None
        try:
            if csv:
                csv_writer = pacsv.CSVWriter(
                    csv_path, neutralise_formulas(schema.empty_table()).schema
                )
            for group in _row_groups(batches, schema):
                parquet.write_table(group)
                if csv_writer is not None:
                    csv_writer.write_table(neutralise_formulas(group))
                rows += group.num_rows
            if rows == 0:  # write_table writes one empty row group
                parquet.write_table(schema.empty_table())
        finally:
            if csv_writer is not None:
                csv_writer.close()
    entries = {parquet_path.name: file_entry(parquet_path, rows)}
    if csv:
        entries[csv_path.name] = file_entry(csv_path, rows)
    return entries


def _row_groups(batches: pa.RecordBatchReader, schema: pa.Schema) -> Iterator[pa.Table]:
    pending: list[pa.RecordBatch] = []
    held = 0
    for batch in batches:
        pending.append(batch)
        held += batch.num_rows
        while held >= ROW_GROUP_ROWS:
            table = pa.Table.from_batches(pending, schema)
            yield table.slice(0, ROW_GROUP_ROWS)
            rest = table.slice(ROW_GROUP_ROWS)
            pending, held = rest.to_batches(), rest.num_rows
    if held:
        yield pa.Table.from_batches(pending, schema)
