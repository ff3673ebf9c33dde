"""The output folder as a book of record (SPEC 8): months, their versions, which one is final.

`<output>/<YYYY-MM>/v<N>/` is a draft a close wrote; `<output>/<YYYY-MM>/final.json` says which
version finance issued, when and who approved it. An issued month never changes: `finalize`
checks the version's files against its manifest before it writes final.json, every later run
checks them against final.json before it uses them, and no command writes into a final month's
folders again (finalize's own stamp on the issued version's HTML pages aside, see `finalize`).

The output folder is trusted only as it was written (`read_output`): a month folder, a version
folder or final.json counts only when its name, the month and version inside its manifest and
final.json, and its files' sha256 agree. A symbolic link, a copy under another name (`v02` is not
`v2`, a copy of 2026-10 named 2026-11 is not November), a leftover temporary or a damaged file is
refused naming the path, never read as issued.
"""

from __future__ import annotations

import datetime as dt
import getpass
import json
import os
import re
import stat
import unicodedata
from collections.abc import Callable
from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation
from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq

from automq_billing.errors import BillingError
from automq_billing.landing.load import sha256_file
from automq_billing.months import format_month, parse_month
from automq_billing.safe_files import links_or_special

MONTH_FOLDER = re.compile(r"\d{4}-\d{2}")
VERSION_FOLDER = re.compile(r"v(\d+)")
CANONICAL_NUMBER = re.compile(r"[1-9]\d*")
FINAL_FILE = "final.json"
FINAL_TEMPORARY = re.compile(r"\.final\.json\.tmp-\d+")
STAMP_TEMPORARY = re.compile(r"\.(?P<name>[a-z_]+\.html)\.stamp-\d+")
MAX_JSON_BYTES = 16 * 2**20
ISSUED_FILES = (
    "manifest.json",
    "statement_lines.parquet",
    "statement_lines.csv",
    "statements.parquet",
    "statements.csv",
)
STATEMENT_LINE_TYPES = pa.schema(
    [
        ("statement_month", pa.date32()),
        ("organization_id", pa.string()),
        ("line_type", pa.string()),
        ("billing_item", pa.string()),
        ("tier", pa.int32()),
        ("cluster_tier", pa.string()),
        ("license_id", pa.string()),
        ("adjusted_month", pa.date32()),
        ("quantity", pa.decimal128(38, 6)),
        ("unit", pa.string()),
        ("unit_price", pa.decimal128(38, 6)),
        ("amount", pa.decimal128(38, 2)),
        ("currency", pa.string()),
        ("rate_card_version", pa.string()),
    ]
)
RESTORE = (
    "move what is named out of the output folder (a copy, a link or a leftover is never read as "
    "issued); an issued month's folder is restored from a backup, a damaged draft is closed again"
)


def read_json(path: Path, what: str) -> dict:
    """A JSON object this project wrote at `path`, or BillingError naming the path: a link, a
    FIFO or anything but a regular file is refused before it is opened (so nothing hangs), and
    a damaged, oversized or too deeply nested file is refused, never half-read."""
    try:
        info = path.lstat()
    except OSError as error:
        raise BillingError(
            f"{path} cannot be read ({error.strerror or error}); {what}.", hint=RESTORE
        ) from None
    if not stat.S_ISREG(info.st_mode):
        kind = "a symbolic link" if stat.S_ISLNK(info.st_mode) else "not a regular file"
        raise BillingError(f"{path} is {kind}; {what}.", hint=RESTORE)
    if info.st_size > MAX_JSON_BYTES:
        raise BillingError(f"{path} is larger than any file a run writes; {what}.", hint=RESTORE)
    try:
        descriptor = os.open(path, os.O_RDONLY | os.O_NOFOLLOW | os.O_NONBLOCK)
        with os.fdopen(descriptor, "rb") as handle:
            data = json.loads(handle.read().decode("utf-8"))
    except RecursionError:
        raise BillingError(
            f"{path} is nested too deeply to be JSON a run wrote; {what}.", hint=RESTORE
        ) from None
    except (OSError, ValueError) as error:
        raise BillingError(f"{path} cannot be read ({error}); {what}.", hint=RESTORE) from None
    if not isinstance(data, dict):
        raise BillingError(f"{path} does not hold a JSON object; {what}.", hint=RESTORE)
    return data


def utc_moment(value: object, path: Path, key: str) -> dt.datetime:
    """An ISO 8601 time with its UTC offset, as final.json and a manifest record them."""
    try:
        moment = dt.datetime.fromisoformat(value) if isinstance(value, str) else None
    except ValueError:
        moment = None
    if moment is None or moment.tzinfo is None:
        raise BillingError(
            f"{path} records {key} {str(value)[:60]!r}, which is not an ISO 8601 time with its "
            "UTC offset; the file is damaged.",
            hint=RESTORE,
        )
    return moment


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
    return Final(month, version, finalized_at.isoformat(), dict(sha256), totals, approved_by)


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


def remove_final_temporaries(output: Path) -> None:
    """What a finalize killed half-way left in the month folders: its `.final.json.tmp-<pid>`
    (removed) and its stamped pages (`.<page>.html.stamp-<pid>`: put in place when final.json
    was written, which is the moment a month is issued, else removed). The caller holds the
    output folder's lock, so no finalize is running."""
    if not output.is_dir():
        return
    for folder in output.iterdir():
        if not MONTH_FOLDER.fullmatch(folder.name) or folder.is_symlink() or not folder.is_dir():
            continue
        issued = os.path.lexists(folder / FINAL_FILE)
        for entry in folder.iterdir():
            if FINAL_TEMPORARY.fullmatch(entry.name):
                entry.unlink(missing_ok=True)
        for entry in folder.glob("v*/documents*/.*.stamp-*"):
            match = STAMP_TEMPORARY.fullmatch(entry.name)
            linked = entry.parent.is_symlink() or entry.parent.parent.is_symlink()
            if match and issued and not linked:
                os.replace(entry, entry.parent / match["name"])
            elif match and not linked:
                entry.unlink(missing_ok=True)


def month_state(months: list[Month], month: dt.date) -> Month | None:
    return next((m for m in months if m.month == month), None)


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


# ---------------------------------------------------------------------------------------------
# What a close may do, and what it compares with


def refuse_if_issued(months: list[Month], month: dt.date) -> None:
    """SPEC 8: a close of M is refused when M or any later month is final."""
    final = [m for m in months if m.final is not None and m.month >= month]
    if final:
        which = ", ".join(m.label for m in final)
        raise BillingError(
            f"{format_month(month)} cannot be closed: {which} "
            f"{'is' if len(final) == 1 else 'are'} final, and an issued month never changes.",
            hint="late or corrected usage of an issued month is booked as adjustment lines on the "
            "next open month: close the first month after the last final one",
        )


def issued_basis(months: list[Month], before: dt.date) -> dict[str, int]:
    """Every final month before `before`, with the version that was issued."""
    return {m.label: m.final.version for m in months if m.final and m.month < before}


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


def issued_ledger(months: list[Month], before: dt.date) -> tuple[list[tuple], pa.Table]:
    """(final months before `before` as rows of ledger.final_months, the lines of their final
    versions as one table), read from the files final.json names after their sha256 is checked."""
    refuse_problems(months)  # only an output folder as the runs wrote it counts
    final_rows: list[tuple] = []
    tables: list[pa.Table] = []
    for state in months:
        if state.final is None or state.month >= before:
            continue
        version = issued_version(state)
        path = verified_file(version, state.final, "statement_lines.parquet")
        manifest = version.manifest()
        final_rows.append(
            (
                state.month,
                version.number,
                dt.datetime.fromisoformat(state.final.finalized_at),
                utc_moment(
                    manifest.get("closed_at"), version.folder / "manifest.json", "closed_at"
                ),
            )
        )
        table = pq.read_table(path)
        columns = []
        for column in STATEMENT_LINE_TYPES:
            if column.name in table.column_names:
                columns.append(table.column(column.name).cast(column.type))
            else:  # written before the column existed
                columns.append(pa.nulls(table.num_rows, column.type))
        table = pa.Table.from_arrays(columns, schema=STATEMENT_LINE_TYPES)
        tables.append(
            table.append_column(
                "issued_version", pa.array([version.number] * table.num_rows, pa.int32())
            )
        )
    if tables:
        return final_rows, pa.concat_tables(tables)
    empty = STATEMENT_LINE_TYPES.append(pa.field("issued_version", pa.int32())).empty_table()
    return final_rows, empty


ISSUED_RATE_CARD_TYPES = pa.schema(
    [
        ("statement_month", pa.date32()),
        ("billing_item", pa.string()),
        ("tier", pa.int32()),
        ("cluster_tier", pa.string()),
        ("tier_mode", pa.string()),
        ("lower_bound", pa.decimal128(38, 6)),
        ("upper_bound", pa.decimal128(38, 6)),
        ("unit_price", pa.decimal128(38, 6)),
        ("unit", pa.string()),
        ("rate_card_version", pa.string()),
    ]
)


def issued_rate_cards(months: list[Month], before: dt.date) -> pa.Table:
    """The rate card each final month before `before` was issued at (SPEC 8: the reference data
    that priced an issued month never changes), as one table for ledger.issued_rate_cards: the
    version's `rate_card.parquet`, read after final.json vouches for the manifest and the manifest
    for the file. A version closed before the rate card was published has no such file: it is
    left out, and rpt_correction_price_changes falls back to comparing the unit prices of its
    issued lines (and its unpriced usage) for that month."""
    tables: list[pa.Table] = []
    for state in months:
        if state.final is None or state.month >= before:
            continue
        version = issued_version(state)
        verified_file(version, state.final, "manifest.json")
        entry = (version.manifest().get("outputs") or {}).get("rate_card.parquet")
        if not isinstance(entry, dict):
            continue  # an older version: the fallback above
        path = version.folder / "rate_card.parquet"
        if not path.is_file() or sha256_file(path) != entry.get("sha256"):
            raise BillingError(
                f"The issued version {version.label} no longer matches its manifest: "
                f"rate_card.parquet {'is missing' if not path.is_file() else 'changed'}.",
                hint=RESTORE,
            )
        table = pq.read_table(path)
        columns = [pa.array([state.month] * table.num_rows, pa.date32())] + [
            table.column(column.name).cast(column.type)
            for column in list(ISSUED_RATE_CARD_TYPES)[1:]
        ]
        tables.append(pa.Table.from_arrays(columns, schema=ISSUED_RATE_CARD_TYPES))
    return pa.concat_tables(tables) if tables else ISSUED_RATE_CARD_TYPES.empty_table()


# ---------------------------------------------------------------------------------------------
# finalize and status


Stamp = Callable[[Month, Version, dict], list[tuple[Path, Path]]]


def finalize(
    output: Path,
    month: dt.date,
    number: int | None = None,
    *,
    approved_by: str | None = None,
    stamp: Stamp | None = None,
) -> tuple[Path, dict]:
    """Writes `<output>/<YYYY-MM>/final.json` for the version (default: the latest), recording
    who approved it (default: the operating-system user), or refuses (BillingError) saying why.

    `stamp` prepares the issued version's pages that say so (the HTML documents no manifest
    hashes) as temporary files; they are put in place right after final.json is written, the
    moment the month is issued, so a page never says issued before it is (a finalize killed in
    between is completed by the next run: `remove_final_temporaries`). The version's data files,
    its manifest and everything final.json hashes are never touched. The caller holds the
    output folder's lock."""
    approver = approver_name(approved_by)
    remove_final_temporaries(output)
    months = read_output(output)
    state = month_state(months, month)
    label = format_month(month)
    if state is None or not state.versions:
        raise BillingError(
            f"{label} has no version in {output} to finalize.",
            hint=f"close it first: automq-billing close --month {label} --output {output}",
        )
    if state.final is not None:
        raise BillingError(
            f"{label} is already final (v{state.final.version}, finalized "
            f"{state.final.finalized_at}); an issued month never changes.",
            hint="book late usage on the next open month; nothing to do for this one",
        )
    version = state.version(number)
    later = [m.label for m in months if m.month > month and m.final is not None]
    if later:
        raise BillingError(
            f"{label} cannot be finalized: the later month {later[0]} is already final "
            "(months are issued in order).",
            hint=f"its usage belongs to the next open month's corrections; {label}'s draft will "
            "not be issued",
        )
    skipped = [m.label for m in months if m.month < month and m.versions and m.final is None]
    if skipped:
        raise BillingError(
            f"{label} cannot be finalized before {skipped[0]}, which has a draft but is not final "
            "(months are issued in order: a skipped draft would never be billed).",
            hint=f"review and finalize {skipped[0]} first: automq-billing finalize --month "
            f"{skipped[0]}",
        )
    manifest = version.manifest()
    _refuse_never_closed(months, version, manifest)
    check_version_files(version, manifest)
    basis_then = (manifest.get("corrections") or {}).get("issued_basis", {})
    basis_now = issued_basis(months, month)
    if basis_then != basis_now:
        raise BillingError(
            f"{version.label} is stale: it was closed against the issued months "
            f"{basis_then or '{}'}, and the issued months before it are now {basis_now or '{}'}, "
            "so its corrections "
            "were computed against another issued position.",
            hint=f"close the month again (automq-billing close --month {label}) and finalize the "
            "new version",
        )
    final = {
        "month": label,
        "version": version.number,
        "finalized_at": dt.datetime.now(dt.UTC).replace(microsecond=0).isoformat(),
        "approved_by": approver,
        "sha256": {name: sha256_file(version.folder / name) for name in ISSUED_FILES},
        "totals": _final_totals(version, manifest),
    }
    stamped = stamp(state, version, final) if stamp else []
    path = state.folder / FINAL_FILE
    temporary = state.folder / f".{FINAL_FILE}.tmp-{os.getpid()}"
    try:
        with temporary.open("x", encoding="utf-8") as handle:
            handle.write(json.dumps(final, indent=2) + "\n")
            handle.flush()
            os.fsync(handle.fileno())
        os.rename(temporary, path)
    except BaseException:
        temporary.unlink(missing_ok=True)
        for page, _ in stamped:
            page.unlink(missing_ok=True)
        raise
    for page, target in stamped:
        os.replace(page, target)
    return path, final


def approver_name(given: str | None) -> str:
    """Who approves a finalize: `--approved-by`, else the operating-system user."""
    if given is None:
        try:
            given = getpass.getuser()
        except (OSError, KeyError):  # no login name, no passwd entry (a container)
            given = f"uid {os.getuid()}"
    name = given.strip()
    if not name or len(name) > 200 or any(unicodedata.category(c)[0] == "C" for c in name):
        raise BillingError(
            f"--approved-by {given[:60]!r} is not a name: it is empty, longer than 200 "
            "characters or holds control or format characters.",
            hint="pass the approver's name as finance knows it, e.g. --approved-by 'Jane Doe'",
        )
    return name


def recorded_landed_months(manifest: dict) -> dict[str, dict] | None:
    """The months with landed inputs a close recorded (None when its manifest has none)."""
    landed = manifest.get("landed_months")
    if not isinstance(landed, dict) or not all(MONTH_FOLDER.fullmatch(str(k)) for k in landed):
        return None
    return landed


def never_closed(months: list[Month], landed: dict, month: dt.date) -> list[str]:
    """SPEC 8: the months before `month`, from the first closed month of the output folder on,
    that have landed usage or a licence starting in them (`landed`, keyed YYYY-MM) but no
    version at all: never closed, they would never be billed."""
    closed = {m.label for m in months if m.versions}
    first = min([*closed, format_month(month)])
    return sorted(m for m in landed if first <= m < format_month(month) and m not in closed)


def _refuse_never_closed(months: list[Month], version: Version, manifest: dict) -> None:
    landed = recorded_landed_months(manifest)
    label = format_month(version.month)
    if landed is None:
        raise BillingError(
            f"{version.label}'s manifest does not record which months have landed usage "
            "(closed by an older release), so finalize cannot tell whether an earlier month was "
            "never closed.",
            hint=f"close {label} again and finalize the new version",
        )
    missing = never_closed(months, landed, version.month)
    if missing:
        raise BillingError(
            f"{label} cannot be finalized: {', '.join(missing)} "
            f"{'has' if len(missing) == 1 else 'have'} landed usage or a licence starting in it "
            "but no version at all (a month never closed would never be billed).",
            hint=f"close {missing[0]} first (automq-billing close --month {missing[0]}), "
            "finalize it, then close and finalize the months after it again",
        )


def _final_totals(version: Version, manifest: dict) -> dict:
    totals = manifest.get("totals")
    try:
        return {
            "total_amount": str(Decimal(totals["total_amount"])),
            "statements": int(totals["organizations"]),
            "lines": int(totals["statement_lines"]),
        }
    except (TypeError, KeyError, ValueError, InvalidOperation):
        raise BillingError(
            f"{version.folder / 'manifest.json'} lacks the totals a close writes; "
            f"{version.label} cannot be issued.",
            hint=f"close {format_month(version.month)} again and finalize the new version",
        ) from None


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


def status_lines(months: list[Month]) -> list[str]:
    """One line per month: its versions with their totals, which one is final, when and by
    whom; under it, what no longer matches what was written (`read_output(strict=False,
    deep=True)` found it)."""
    if not months:
        return ["No month has been closed in this output folder yet."]
    lines = []
    for state in months:
        parts = []
        for version in state.versions:
            try:
                totals = version.manifest().get("totals", {})
                total = f"{Decimal(totals['total_amount']):,.2f} {totals.get('currency', 'USD')}"
            except (BillingError, KeyError, TypeError, ValueError, ArithmeticError):
                total = "unreadable manifest"
            mark = ""
            if state.final and state.final.version == version.number:
                mark = " FINAL (DOES NOT MATCH)" if state.problems else " FINAL"
            parts.append(f"v{version.number}{mark} {total}")
        if state.final:
            where = (
                f"final: v{state.final.version}, finalized {state.final.finalized_at} by "
                f"{state.final.approved_by or '(approver not recorded)'}"
            )
        elif state.versions:
            where = "open (draft)"
        else:
            where = "no version"
        if state.problems:
            where += ", NOT AS WRITTEN"
        lines.append(f"{state.label}  {where}  |  " + ("; ".join(parts) or "-"))
        lines.extend(f"    does not match: {problem}" for problem in state.problems)
    return lines
