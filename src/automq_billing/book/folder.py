"""Reading and trusting the output folder (SPEC 8): months, their versions, which one is final.

`<output>/<YYYY-MM>/v<N>/` is a draft a close wrote; `<output>/<YYYY-MM>/final.json` says which
version finance issued, when and who approved it. The output folder is trusted only as it was
written (`read_output`): a month folder, a version folder or final.json counts only when its
name, the month and version inside its manifest and final.json, and its files' sha256 agree. A
symbolic link, a copy under another name (`v02` is not `v2`, a copy of 2026-10 named 2026-11 is
not November), a leftover temporary or a damaged file is refused naming the path, never read as
issued.
"""

from __future__ import annotations

import datetime as dt
import os
from dataclasses import dataclass, field
from pathlib import Path

from automq_billing.book.files import RESTORE, read_json, utc_moment
from automq_billing.book.names import (
    CANONICAL_NUMBER,
    FINAL_FILE,
    FINAL_TEMPORARY,
    MONTH_FOLDER,
    VERSION_FOLDER,
)
from automq_billing.errors import BillingError
from automq_billing.landing.hashing import sha256_file
from automq_billing.months import format_month, parse_month
from automq_billing.safe_files import links_or_special

ISSUED_FILES = (
    "manifest.json",
    "statement_lines.parquet",
    "statement_lines.csv",
    "statements.parquet",
    "statements.csv",
)


@dataclass(frozen=True)
class Version:
    month: dt.date
    number: int
    folder: Path

    @property
    def label(self) -> str:
        return f"{format_month(self.month)} v{self.number}"

    def manifest(self) -> dict:
        return read_json(self.folder / "manifest.json", f"the version {self.label} is damaged")


@dataclass(frozen=True)
class Final:
    month: dt.date
    version: int
    finalized_at: str
    sha256: dict[str, str]
    totals: dict
    approved_by: str | None = None  # None: issued before finalize recorded who approved
    invoices: tuple[dict, ...] = ()  # SPEC 12.2; none when issued before invoices were numbered


@dataclass
class Month:
    month: dt.date
    folder: Path
    versions: list[Version] = field(default_factory=list)
    final: Final | None = None
    problems: list[str] = field(default_factory=list)  # what is not as a run wrote it

    @property
    def label(self) -> str:
        return format_month(self.month)

    def version(self, number: int | None = None) -> Version:
        if not self.versions:
            raise BillingError(
                f"{self.label} has no version in {self.folder.parent}.",
                hint=f"close it first: automq-billing close --month {self.label}",
            )
        if number is None:
            return self.versions[-1]
        for version in self.versions:
            if version.number == number:
                return version
        known = ", ".join(f"v{v.number}" for v in self.versions)
        raise BillingError(
            f"{self.label} has no version v{number} (it has {known}).",
            hint="pass one of its versions, or omit --version for the latest "
            f"(v{self.versions[-1].number})",
        )


def read_output(output: Path, *, strict: bool = True, deep: bool = False) -> list[Month]:
    """Every month folder of the output, with its versions and final.json, in month order, each
    checked as SPEC 8 says (see the module's text). `strict`: the first problem is raised
    (BillingError naming the path); otherwise each month carries its problems (`status`).
    `deep` also checks every data file a final version's manifest lists. Hidden entries (other
    runs' temporaries, lock files) and names that are no month are left alone."""
    if not output.is_dir():
        return []
    months = []
    for entry in sorted(output.iterdir()):
        if not MONTH_FOLDER.fullmatch(entry.name):
            continue
        try:
            month = parse_month(entry.name)
        except BillingError:
            continue
        if entry.is_symlink():
            link = f"{entry} is a symbolic link, not a month folder a close wrote"
            months.append(Month(month, entry, problems=[link]))
        elif entry.is_dir():
            try:
                months.append(_read_month(month, entry, deep))
            except OSError as error:  # a folder or file this user cannot read
                unreadable = f"{error.filename or entry} cannot be read ({error.strerror})"
                months.append(Month(month, entry, problems=[unreadable]))
    if strict:
        refuse_problems(months)
    return months


def refuse_problems(months: list[Month]) -> None:
    problems = [problem for state in months for problem in state.problems]
    if problems:
        more = f" (and {len(problems) - 1} more problem(s))" if len(problems) > 1 else ""
        raise BillingError(
            f"The output folder is not as the runs wrote it: {problems[0]}{more}.", hint=RESTORE
        )


def _read_month(month: dt.date, folder: Path, deep: bool) -> Month:
    state = Month(month, folder)
    for child in sorted(folder.iterdir()):
        match = VERSION_FOLDER.fullmatch(child.name)
        if FINAL_TEMPORARY.fullmatch(child.name):
            state.problems.append(
                f"{child} is a leftover temporary of a finalize that did not finish (never read "
                "as issued; the next finalize or close removes it)"
            )
        elif match and not CANONICAL_NUMBER.fullmatch(match.group(1)):
            state.problems.append(
                f"{child} is not a version folder name a close writes (v{int(match.group(1))} "
                f"is written v{int(match.group(1))}), so it is not read as one"
            )
        elif match and (child.is_symlink() or not child.is_dir()):
            what = "a symbolic link" if child.is_symlink() else "a file"
            state.problems.append(f"{child} is {what} where a version folder belongs")
        elif match:
            version = Version(month, int(match.group(1)), child)
            problem = _version_problem(version)
            if problem:
                state.problems.append(problem)
            else:
                state.versions.append(version)
    state.versions.sort(key=lambda version: version.number)
    if os.path.lexists(folder / FINAL_FILE):
        try:
            state.final = _read_final(folder / FINAL_FILE, month)
            state.problems.extend(final_problems(state, deep))
        except BillingError as error:
            state.problems.append(error.message.rstrip("."))
    return state


def _version_problem(version: Version) -> str | None:
    planted = links_or_special(version.folder, limit=1)
    if planted:
        return f"{planted[0]} is a symbolic link or special file inside the version {version.label}"
    try:
        manifest = version.manifest()
    except BillingError as error:
        return error.message.rstrip(".")
    month, number = manifest.get("month"), manifest.get("version")
    if month != format_month(version.month) or type(number) is not int or number != version.number:
        return (
            f"{version.folder / 'manifest.json'} is the manifest of {month!s:.20} v{number!s:.10}, "
            f"not of {version.label}: a copy under another name is not a close"
        )
    return None


def _read_final(path: Path, month: dt.date) -> Final:
    label = format_month(month)
    data = read_json(path, f"the issued month {label} is damaged")
    sha256, totals = data.get("sha256"), data.get("totals", {})
    version, approved_by = data.get("version"), data.get("approved_by")
    if data.get("month") != label:
        raise BillingError(
            f"{path} issues the month {str(data.get('month'))[:20]!r}, not {label}: a copy under "
            "another name is not an issued month",
            hint=RESTORE,
        )
    if (
        type(version) is not int
        or version < 1
        or not isinstance(sha256, dict)
        or not all(isinstance(sha256.get(name), str) for name in ISSUED_FILES)
        or not isinstance(totals, dict)
        or not isinstance(approved_by, str | None)
    ):
        raise BillingError(
            f"{path} lacks the version, the sha256 of the issued files or the totals a finalize "
            f"writes; the issued month {label} is damaged.",
            hint=RESTORE,
        )
    finalized_at = utc_moment(data.get("finalized_at"), path, "finalized_at")
    invoices = data.get("invoices", [])
    if not isinstance(invoices, list) or not all(
        isinstance(invoice, dict)
        and isinstance(invoice.get("invoice_number"), str)
        and isinstance(invoice.get("organization_id"), str)
        for invoice in invoices
    ):
        raise BillingError(
            f"{path} records invoices that are not as a finalize writes them; the issued month "
            f"{label} is damaged.",
            hint=RESTORE,
        )
    return Final(
        month, version, finalized_at.isoformat(), dict(sha256), totals, approved_by, tuple(invoices)
    )


def final_problems(state: Month, deep: bool = False) -> list[str]:
    """What of a final month no longer matches its final.json (and, `deep`, its manifest)."""
    final = state.final
    if final is None:
        return []
    version = next((v for v in state.versions if v.number == final.version), None)
    if version is None:
        return [
            f"{state.folder / FINAL_FILE} issues v{final.version}, and {state.folder}/"
            f"v{final.version} is missing or refused: the issued version is gone"
        ]
    expected = dict(final.sha256)
    if deep:
        outputs = version.manifest().get("outputs")
        for name, entry in (outputs if isinstance(outputs, dict) else {}).items():
            recorded = entry.get("sha256") if isinstance(entry, dict) else None
            expected.setdefault(str(name), recorded if isinstance(recorded, str) else "?")
    changed = []
    for name, digest in sorted(expected.items()):
        path = version.folder / name
        if not path.is_file() or path.is_symlink():
            changed.append(f"{name} is missing")
        elif sha256_file(path) != digest:
            changed.append(f"{name} changed")
    if changed:
        return [
            f"the issued version {version.label} ({version.folder}) no longer matches its "
            f"final.json and manifest: {', '.join(changed[:5])}"
        ]
    return []


def month_state(months: list[Month], month: dt.date) -> Month | None:
    return next((m for m in months if m.month == month), None)


def verified_file(version: Version, final: Final, name: str) -> Path:
    """The path of an issued file, after checking it still matches final.json."""
    path = version.folder / name
    expected = final.sha256.get(name)
    if expected is None or not path.is_file() or sha256_file(path) != expected:
        raise BillingError(
            f"The issued version {version.label} no longer matches its final.json: {name} "
            f"{'is missing' if not path.is_file() else 'changed'}.",
            hint="an issued month never changes: restore its folder from a backup, then run again",
        )
    return path


def issued_version(state: Month) -> Version:
    """The version a final month's final.json issues (read_output checked that it is there)."""
    assert state.final is not None
    for version in state.versions:
        if version.number == state.final.version:
            return version
    raise BillingError(
        f"{state.folder / FINAL_FILE} issues v{state.final.version}, which is not in "
        f"{state.folder}: the issued month is damaged.",
        hint=RESTORE,
    )


def check_version_files(version: Version, manifest: dict) -> None:
    outputs = manifest.get("outputs")
    outputs = outputs if isinstance(outputs, dict) else {}
    missing = [name for name in ISSUED_FILES[1:] if name not in outputs]
    if missing:
        raise BillingError(
            f"{version.label}'s manifest does not list {', '.join(missing)}; it cannot be issued.",
            hint=f"close {format_month(version.month)} again and finalize the new version",
        )
    changed = [
        name
        for name, entry in sorted(outputs.items())
        if not (version.folder / name).is_file()
        or not isinstance(entry, dict)
        or sha256_file(version.folder / name) != entry.get("sha256")
    ]
    if changed:
        raise BillingError(
            f"{version.label} cannot be issued: {', '.join(changed[:5])} no longer "
            f"match{'es' if len(changed) == 1 else ''} the sha256 in its manifest.",
            hint="a published version is never edited: close the month again and finalize the new "
            "version",
        )
