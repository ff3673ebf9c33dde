"""Writing a close's files: Parquet (exact values) and CSV twins (safe to open in a spreadsheet),
each with its sha256 for the manifest, and publishing a folder all at once."""

from __future__ import annotations

import errno
import os
import re
import shutil
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.csv as pacsv
import pyarrow.parquet as pq

from automq_billing import ledger
from automq_billing.errors import BillingError
from automq_billing.landing.load import sha256_file

# OWASP's CSV injection advice: a cell that starts with one of these is read as a formula by
# spreadsheet programs; a leading single quote makes it text. Only the CSV twins are changed:
# the Parquet files keep the exact value.
FORMULA_START = r"^[=+\-@\t\r]"

TEMPORARY = re.compile(r"\.(?P<name>\d{4}-\d{2}-(v|r)\d+|documents-\d+)\.tmp-(?P<pid>\d+)")


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


def remove_own_temporaries(output: Path) -> list[Path]:
    """Removes the hidden temporary folders a killed run of this project left in the output
    folder: only names of the exact form `.<YYYY-MM>-v<N>.tmp-<pid>` (a close),
    `.<YYYY-MM>-r<N>.tmp-<pid>` (a reconciliation) or `.documents-<n>.tmp-<pid>` (a rendering),
    and only when that process is gone; and what a killed finalize left
    (`ledger.remove_final_temporaries`). The caller holds the output folder's lock."""
    ledger.remove_final_temporaries(output)
    removed = []
    candidates = [output] + [
        p for p in output.glob("[0-9][0-9][0-9][0-9]-[0-9][0-9]") if _real_folder(p)
    ]
    candidates += [p for m in candidates[1:] for p in m.glob("v*") if _real_folder(p)]
    for folder in candidates if output.is_dir() else []:
        for entry in folder.iterdir():
            match = TEMPORARY.fullmatch(entry.name)
            if match and _real_folder(entry) and not _alive(int(match["pid"])):
                shutil.rmtree(entry, ignore_errors=True)
                removed.append(entry)
    return removed


def _real_folder(path: Path) -> bool:
    return path.is_dir() and not path.is_symlink()


def _alive(pid: int) -> bool:
    if pid == os.getpid():
        return False
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


@contextmanager
def publishing(temporary: Path, final: Path, what: str) -> Iterator[Path]:
    """Yields the hidden temporary folder to write into, renamed to `final` when the block
    succeeds and removed when it fails: the folder appears whole or not at all."""
    try:
        temporary.mkdir(parents=True)
        yield temporary
        final.parent.mkdir(parents=True, exist_ok=True)
        for folder in (final.parent, final.parent.parent):
            if folder.is_symlink():  # never publish through a link into another folder
                raise BillingError(
                    f"{folder} is a symbolic link; {what} is not published through it.",
                    hint=f"move the link {folder} out of the output folder, then run again",
                )
        os.rename(temporary, final)
    except OSError as error:
        shutil.rmtree(temporary, ignore_errors=True)
        if error.errno == errno.ENOSPC:
            raise BillingError(
                f"The disk holding {final.parent} is full; {what} was not published and nothing "
                "was left behind.",
                hint="free space (or pass an --output on a disk with room) and run again",
            ) from None
        if error.errno in (errno.EACCES, errno.EROFS, errno.EPERM):
            raise BillingError(
                f"{final.parent} cannot be written ({error.strerror}); {what} was not published.",
                hint="make the output folder writable, or pass another --output",
            ) from None
        raise
    except BaseException:
        shutil.rmtree(temporary, ignore_errors=True)
        raise
