"""The CSV landing parser: a CSV feed as AWS delivers it, read into Arrow with exact values
(decimals never a float), each value checked against its column's declared type."""

from __future__ import annotations

import csv
import datetime as dt
import re
from decimal import Decimal, InvalidOperation
from typing import Any

import pyarrow as pa

from automq_billing.landing.survey import LandedFile, shown
from automq_billing.landing.value_fit import DECIMAL_CONTEXT, MAX_INTEGER_DIGITS, LoadProblem
from automq_billing.vocabulary import Column, LandedDataset

_INTEGER = re.compile(r"[+-]?\d+")
_DECIMAL = re.compile(r"[+-]?(\d+(\.\d*)?|\.\d+)")


def read_csv(landed: LandedFile, dataset: LandedDataset) -> pa.Table:
    """A CSV feed as AWS delivers it: a header row, quoted fields, empty strings for nulls, ISO
    dates and timestamps, decimals with up to 6 places (exact, never a float)."""
    columns = dataset.landed_columns
    values: dict[str, list[Any]] = {c.landed_name: [] for c in columns}
    problems: list[str] = []
    try:
        with landed.path.open(newline="", encoding="utf-8-sig") as handle:
            reader = csv.reader(handle, strict=True)
            header = [name.strip() for name in next(reader)]
            positions = {c.landed_name: header.index(c.landed_name) for c in columns}
            for line_number, record in enumerate(reader, start=2):
                if len(record) != len(header):
                    problems.append(
                        f"line {line_number} has {len(record)} field(s), the header {len(header)}"
                    )
                    continue
                for column in columns:
                    text = record[positions[column.landed_name]]
                    try:
                        values[column.landed_name].append(_parse(text, column.data_type))
                    except ValueError as error:
                        problems.append(
                            f"line {line_number}, column '{column.landed_name}': {error}"
                        )
                if len(problems) >= 10:
                    break
    except UnicodeDecodeError:
        raise LoadProblem(f"{shown(landed.path)}: not UTF-8 text") from None
    except csv.Error as error:
        raise LoadProblem(f"{shown(landed.path)}: not a well-formed CSV file ({error})") from None
    if problems:
        raise LoadProblem(f"{shown(landed.path)}: " + "; ".join(problems[:10]))
    rows = len(next(iter(values.values()))) if values else 0
    arrays = {
        name: pa.array(v, _arrow_type(c))
        for c, (name, v) in zip(columns, values.items(), strict=True)
    }
    arrays["file_row_number"] = pa.array(range(rows), pa.int64())
    return pa.table(arrays)


def _arrow_type(column: Column) -> pa.DataType:
    data_type = column.data_type
    if data_type in ("bigint", "integer"):
        return pa.int64()
    if data_type.startswith("decimal"):
        return pa.decimal128(38, 6)
    if data_type == "date":
        return pa.date32()
    if data_type.startswith("timestamp"):
        return pa.timestamp("us", tz="UTC")
    return pa.string()


def _parse(text: str, data_type: str) -> Any:
    if text == "":
        return None
    if data_type == "varchar":
        return text
    shown = repr(text[:40])
    if data_type in ("bigint", "integer"):
        if not _INTEGER.fullmatch(text.strip()):
            raise ValueError(f"{shown} is not an integer")
        return int(text)
    if data_type.startswith("decimal"):
        if not _DECIMAL.fullmatch(text.strip()):
            raise ValueError(f"{shown} is not a decimal number")
        try:
            value = Decimal(text.strip())
        except InvalidOperation:
            raise ValueError(f"{shown} is not a decimal number") from None
        if abs(value) >= Decimal(10) ** MAX_INTEGER_DIGITS:
            raise ValueError(
                f"{shown} has more than {MAX_INTEGER_DIGITS} integer digits (out of range)"
            )
        if value != value.quantize(Decimal("0.000001"), context=DECIMAL_CONTEXT):
            raise ValueError(f"{shown} has more than 6 decimal places")
        return value
    moment = _parse_moment(text.strip(), shown)
    return moment.date() if data_type == "date" else moment


def _parse_moment(text: str, shown: str) -> dt.datetime:
    """An ISO 8601 date or timestamp; naive ones are UTC."""
    try:
        if len(text) == 10:
            day = dt.date.fromisoformat(text)
            return dt.datetime(day.year, day.month, day.day, tzinfo=dt.UTC)
        moment = dt.datetime.fromisoformat(text)
    except ValueError:
        raise ValueError(f"{shown} is not an ISO 8601 date or timestamp") from None
    if moment.tzinfo is None:
        return moment.replace(tzinfo=dt.UTC)
    try:
        return moment.astimezone(dt.UTC)
    except OverflowError:  # 9999-12-31T23:59:59-01:00 is in the year 10000 in UTC
        raise ValueError(f"{shown} is outside the years 0001 to 9999 in UTC") from None
