"""A re-close with nothing new copies the data files of the version before it instead of writing
them again (issue 18): the Marketplace exceptions alone run to millions of rows at scale.

The files of a version are a pure function of the warehouse's tables after a build, the month
and the export code. A close records, in its manifest's `dbt` block, the key of that: the last
build of the warehouse (its id, start and end time, the loads it processed and its inputs
digest; see `build.state`), the month, the text of every export query and the writers'
versions. The next close of the month whose key is the same (no new file, no dbt run since,
the same code) copies the previous version's files, each checked against the sha256 its
manifest recorded; any difference and every file is written afresh.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import shutil
from importlib.metadata import version
from pathlib import Path

import duckdb

from automq_billing.book.names import version_folder
from automq_billing.close.export import file_entry

EXPORTS_FORMAT = "exports-1"  # bump when close.export changes how a table becomes its files


def exports_key(
    con: duckdb.DuckDBPyConnection, warehouse: Path, month: dt.date, queries: dict[str, str]
) -> str | None:
    """The key of the files a close of `month` writes from the warehouse as it stands; None when
    the last dbt run on it was not a successful close build (nothing to compare with)."""
    last = con.execute(
        "select build_id, started_at, finished_at, processed_through, inputs, status "
        "from control.builds order by build_id desc limit 1"
    ).fetchall()
    if not last or last[0][5] != "succeeded" or not last[0][4]:
        return None
    digest = hashlib.sha256()
    parts = [
        EXPORTS_FORMAT,
        version("pyarrow"),
        version("duckdb"),
        str(warehouse.absolute()),
        month.isoformat(),
        repr(last[0][:5]),
        json.dumps(queries, sort_keys=True),
    ]
    for part in parts:
        encoded = part.encode("utf-8")
        digest.update(len(encoded).to_bytes(8, "big"))
        digest.update(encoded)
    return digest.hexdigest()


def copy_previous(
    output: Path, month: dt.date, number: int, key: str | None, folder: Path, names: list[str]
) -> dict[str, dict] | None:
    """The manifest entries of `names`' files copied into `folder` from version `number - 1` of
    the month when its key is `key` and every file matches its recorded sha256; else None (and
    nothing copied is left behind)."""
    if key is None or number < 2:
        return None
    previous = version_folder(output, month, number - 1)
    try:
        manifest = json.loads((previous / "manifest.json").read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None
    recorded = manifest.get("outputs") or {}
    if (manifest.get("dbt") or {}).get("exports_key") != key:
        return None
    wanted = [f"{name}{suffix}" for name in names for suffix in (".parquet", ".csv")]
    copied: dict[str, dict] = {}
    try:
        for file_name in wanted:
            entry = recorded.get(file_name)
            source = previous / file_name
            if not isinstance(entry, dict) or source.is_symlink() or not source.is_file():
                raise LookupError(file_name)
            target = folder / file_name
            shutil.copyfile(source, target)
            copied[file_name] = file_entry(target, entry.get("rows"))
            if copied[file_name] != entry:
                raise LookupError(file_name)
    except (OSError, LookupError):
        for file_name in wanted:  # the folder is the new version's: only this copy wrote them
            (folder / file_name).unlink(missing_ok=True)
        return None
    return copied
