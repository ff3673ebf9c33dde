"""The names of the output folder (SPEC 8, 9.5), written once: month folders `YYYY-MM`, version
folders `v<N>`, reconciliations `reconciliation/r<N>`, renderings `documents-<k>`, `final.json`,
and the hidden temporaries a run writes into before it publishes (`.<YYYY-MM>-v<N>.tmp-<pid>`,
`.<YYYY-MM>-r<N>.tmp-<pid>`, `.documents-<k>.tmp-<pid>`, `.final.json.tmp-<pid>`,
`.<page>.html.stamp-<pid>`). The numbering of `v<N>` and `r<N>` is here too: a number is one more
than the highest one taken, and a name a run does not write (`v02`, `r02`) is never counted."""

from __future__ import annotations

import datetime as dt
import os
import re
from pathlib import Path

from automq_billing.book.files import read_json
from automq_billing.errors import BillingError
from automq_billing.months import format_month

MONTH_FOLDER = re.compile(r"\d{4}-\d{2}")
VERSION_FOLDER = re.compile(r"v(\d+)")
CANONICAL_NUMBER = re.compile(r"[1-9]\d*")
FINAL_FILE = "final.json"
FINAL_TEMPORARY = re.compile(r"\.final\.json\.tmp-\d+")
INVOICES_TEMPORARY = re.compile(r"\.invoices\.tmp-\d+")
STAMP_TEMPORARY = re.compile(r"\.(?P<name>[a-z_]+\.html)\.stamp-\d+")
RUN_FOLDER = re.compile(r"r(\d+)")
RENDERING_FOLDER = re.compile(r"documents-(\d+)")
RECONCILIATIONS = "reconciliation"
NUMBERING_FILE = "numbering.json"
# the hidden folders a close, a reconciliation or a rendering writes into before it publishes
TEMPORARY = re.compile(r"\.(?P<name>\d{4}-\d{2}-(v|r)\d+|documents-\d+)\.tmp-(?P<pid>\d+)")


def month_folder(output: Path, month: dt.date) -> Path:
    return output / format_month(month)


def version_folder(output: Path, month: dt.date, number: int) -> Path:
    return month_folder(output, month) / f"v{number}"


def version_temporary(output: Path, month: dt.date, number: int) -> Path:
    """Where a close writes `v<N>` before it publishes it (hidden, in the output folder)."""
    return output / f".{format_month(month)}-v{number}.tmp-{os.getpid()}"


def reconciliation_folder(output: Path, month: dt.date) -> Path:
    return month_folder(output, month) / RECONCILIATIONS


def reconciliation_temporary(output: Path, month: dt.date, number: int) -> Path:
    """Where a reconciliation writes `r<N>` before it publishes it."""
    return output / f".{format_month(month)}-r{number}.tmp-{os.getpid()}"


def final_temporary(month_folder: Path) -> Path:
    """Where finalize writes final.json before it renames it into place."""
    return month_folder / f".{FINAL_FILE}.tmp-{os.getpid()}"


def invoices_temporary(month_folder: Path) -> Path:
    """Where finalize writes a month's invoice PDFs before it renames the folder into place
    (`<YYYY-MM>/invoices`), right after final.json."""
    return month_folder / f".invoices.tmp-{os.getpid()}"


def next_version_number(output: Path, month: dt.date) -> int:
    folder = output / format_month(month)
    if folder.exists() and not folder.is_dir():
        raise BillingError(
            f"{folder} is a file where the month's folder belongs.",
            hint=f"move {folder} out of the output folder, then run again",
        )
    numbers = [0]
    if folder.is_dir():
        for child in folder.iterdir():
            match = VERSION_FOLDER.fullmatch(child.name)
            if match and CANONICAL_NUMBER.fullmatch(match.group(1)):
                if not child.is_dir():
                    raise BillingError(
                        f"{child} is a file where a version folder belongs.",
                        hint=f"move {child} out of the output folder, then run again",
                    )
                numbers.append(int(match.group(1)))
    return max(numbers) + 1


def next_reconciliation_number(folder: Path) -> int:
    """The next r<N> in `folder` (`<month>/reconciliation`): one more than the highest number
    ever taken, counting the folders there and `numbering.json`, which keeps the highest number
    even after its folder is deleted (a number is never reused). A link, a file where the folder
    belongs or a name a run does not write (`r02`) is refused naming the path."""
    if folder.is_symlink() or (folder.exists() and not folder.is_dir()):
        raise BillingError(
            f"{folder} is a {'symbolic link' if folder.is_symlink() else 'file'} where the "
            "reconciliations' folder belongs.",
            hint=f"move {folder} away, then run again",
        )
    numbers = [0]
    for child in folder.iterdir() if folder.is_dir() else []:
        match = RUN_FOLDER.fullmatch(child.name)
        if match and (not CANONICAL_NUMBER.fullmatch(match[1]) or child.is_symlink()):
            raise BillingError(
                f"{child} is not a reconciliation a run wrote (a link, or a name such as r02 "
                "that is not r2); it is not counted or read.",
                hint=f"move {child} out of the output folder, then run again",
            )
        if match:
            numbers.append(int(match[1]))
    if os.path.lexists(folder / NUMBERING_FILE):
        last = read_json(folder / NUMBERING_FILE, "the reconciliations' numbering is damaged")
        if type(last.get("last")) is not int:
            raise BillingError(
                f"{folder / NUMBERING_FILE} does not record the last reconciliation number.",
                hint='write {"last": N} there with the highest r<N> ever published',
            )
        numbers.append(last["last"])
    return max(numbers) + 1


def next_rendering_number(version_folder: Path) -> int:
    """The next `documents-<k>` of a version folder (k = 2, 3, ...: the close's own documents
    are `documents/`, the first rendering again is documents-2)."""
    taken = [
        int(match[1])
        for child in version_folder.iterdir()
        if (match := RENDERING_FOLDER.fullmatch(child.name))
    ]
    return max([1, *taken]) + 1


def rendering_temporary(version_folder: Path, number: int) -> Path:
    """Where a rendering writes `documents-<k>` before it publishes it."""
    return version_folder / f".documents-{number}.tmp-{os.getpid()}"
