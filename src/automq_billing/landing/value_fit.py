"""Whether a landed file's values fit the columns the project's YAML declares (SPEC 1), and saying
what is wrong with a file that cannot be loaded without echoing its values: text that is not
UTF-8, decimals with more than 6 places or too many digits, moments outside the years 0001-9999
UTC, values that do not cast to their column's type, corrupt pages.

SQL here is built only from identifiers and types the project's YAML declares (never from a
landed value or a path: those are bound parameters; hence the `noqa: S608` marks), and DuckDB's
glob characters in a path are escaped (`glob_escaped`)."""

from __future__ import annotations

import re
from decimal import Context, Decimal
from pathlib import Path

import duckdb
import pyarrow as pa
import pyarrow.parquet as pq

from automq_billing.landing.survey import LandedFile, shown
from automq_billing.vocabulary import Column, LandedDataset

GLOB_CHARACTERS = re.compile(r"([\[*?])")
# The moments a landed value may hold: years 0001 to 9999 in UTC, what ISO 8601 writes with four
# digits and every later stage (Python, the workbook, the PDF) can represent.
EARLIEST, LATEST = "0001-01-01 00:00:00+00", "10000-01-01 00:00:00+00"
OUT_OF_RANGE = "automq-billing: column '{column}' holds a moment outside the years 0001-9999 UTC"
OUT_OF_RANGE_SAID = re.compile(r"automq-billing: column '([^']*)' holds a moment outside")
# The largest magnitude of a landed decimal: 22 integer digits, so that an amount with its 6
# places (28 significant digits) is computed exactly by Python's decimal arithmetic as well as
# by DuckDB's DECIMAL(38, 6).
MAX_INTEGER_DIGITS = 22
DECIMAL_CONTEXT = Context(prec=80)


class LoadProblem(Exception):
    """A file that cannot be loaded; the message names the file and the column."""


def glob_escaped(path: Path) -> str:
    """The path as DuckDB must be given it to read exactly that file: DuckDB expands `*`, `?`
    and `[...]` in every path it reads, so each is wrapped in a one-character class."""
    return GLOB_CHARACTERS.sub(r"[\1]", str(path))


def is_text(data_type: pa.DataType) -> bool:
    if pa.types.is_dictionary(data_type):
        return is_text(data_type.value_type)
    return pa.types.is_string(data_type) or pa.types.is_large_string(data_type)


def check_utf8(array: pa.Array, landed: LandedFile, column: Column) -> None:
    if pa.types.is_dictionary(array.type):
        array = array.dictionary
    try:
        array.validate(full=True)
    except pa.ArrowInvalid:
        raise LoadProblem(
            f"{shown(landed.path)}: column '{column.landed_name}' holds text that is not "
            "valid UTF-8"
        ) from None


def check_six_places(array: pa.Array, landed: LandedFile, column: Column) -> None:
    places = Decimal("0.000001")
    count = sum(
        1
        for v in array.to_pylist()
        if v is not None and v != v.quantize(places, context=DECIMAL_CONTEXT)
    )
    if count:
        raise LoadProblem(
            f"{shown(landed.path)}: column '{column.landed_name}' holds {count} value(s) with "
            "more than 6 decimal places"
        )


def check_decimal_scales(
    con: duckdb.DuckDBPyConnection, landed: LandedFile, dataset: LandedDataset
) -> None:
    schema = pq.read_schema(landed.path)
    for column in dataset.landed_columns:
        if not column.data_type.startswith("decimal"):
            continue
        data_type = schema.field(column.landed_name).type
        if pa.types.is_decimal(data_type) and data_type.scale > 6:
            name = column.landed_name
            count = con.execute(
                f'select count(*) from read_parquet($path) where "{name}" != '  # noqa: S608
                f'cast("{name}" as decimal(38, 6))',
                {"path": glob_escaped(landed.path)},
            ).fetchall()[0][0]
            if count:
                raise LoadProblem(
                    f"{shown(landed.path)}: column '{name}' holds {count} value(s) with more "
                    "than 6 decimal places"
                )


def diagnose(
    con: duckdb.DuckDBPyConnection,
    landed: LandedFile,
    dataset: LandedDataset,
    error: duckdb.Error,
) -> str:
    text = str(error)
    if said := out_of_range(error):
        return f"{shown(landed.path)}: {said}"
    if "string encoding" in text or "UTF8" in text or "UTF-8" in text:
        for column in dataset.landed_columns:
            try:
                array = pq.read_table(landed.path, columns=[column.landed_name]).column(0)
            except (OSError, pa.ArrowException):
                continue
            if is_text(array.type):
                for chunk in array.chunks:
                    try:
                        check_utf8(chunk, landed, column)
                    except LoadProblem as problem:
                        return str(problem)
        return f"{shown(landed.path)}: holds text that is not valid UTF-8"
    if isinstance(error, duckdb.ConversionException | duckdb.OutOfRangeException):
        relation = "read_parquet($path, file_row_number = true)"
        bad = columns_that_do_not_fit(None, relation, landed, dataset)
        if bad:
            return f"{shown(landed.path)}: " + "; ".join(bad)
    for column in dataset.landed_columns:  # which column's pages cannot be decoded
        try:
            pq.read_table(landed.path, columns=[column.landed_name])
        except (OSError, pa.ArrowException, ValueError):
            return (
                f"{shown(landed.path)}: column '{column.landed_name}' cannot be read (a corrupt "
                "data page behind a valid footer?)"
            )
    return (
        f"{shown(landed.path)}: its data cannot be read ({type(error).__name__}; a corrupt page?)"
    )


def diagnose_arrow(
    table: pa.Table,
    landed: LandedFile,
    dataset: LandedDataset,
    error: duckdb.Error,
) -> str:
    if said := out_of_range(error):
        return f"{shown(landed.path)}: {said}"
    bad = columns_that_do_not_fit(table, "landed_arrow", landed, dataset)
    if bad:
        return f"{shown(landed.path)}: " + "; ".join(bad)
    return f"{shown(landed.path)}: its data cannot be loaded ({type(error).__name__})"


def out_of_range(error: duckdb.Error) -> str | None:
    if not isinstance(error, duckdb.InvalidInputException):
        return None
    match = OUT_OF_RANGE_SAID.search(str(error))
    if match is None:
        return None
    return (
        f"column '{match.group(1)}' holds a date or timestamp outside the years 0001 to 9999 "
        "in UTC (the first such value stopped the load)"
    )


def columns_that_do_not_fit(
    source: object, relation: str, landed: LandedFile, dataset: LandedDataset
) -> list[str]:
    """The columns whose values do not cast to their contract type. Run on a connection of its
    own: the load's transaction is aborted by the failed insert."""
    params = {"path": glob_escaped(landed.path)} if "$path" in relation else {}
    bad = []
    with duckdb.connect() as scratch:
        if relation == "landed_arrow":
            scratch.register("landed_arrow", source)
        for column in dataset.landed_columns:
            name = column.landed_name
            try:
                count, first = scratch.execute(
                    f"select count(*), min(file_row_number) from {relation} "  # noqa: S608
                    f'where "{name}" is not null and '
                    f'try_cast("{name}" as {column.data_type}) is null',
                    params,
                ).fetchall()[0]
            except duckdb.Error:
                continue
            if count:
                bad.append(
                    f"column '{name}' holds {count} value(s) that do not fit "
                    f"{column.data_type.upper()} (the first in row {first + 1} of the file)"
                )
    return bad
