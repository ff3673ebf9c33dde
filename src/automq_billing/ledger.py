"""The output folder as a book of record (SPEC 8): months, their versions, which one is final.

`<output>/<YYYY-MM>/v<N>/` is a draft a close wrote; `<output>/<YYYY-MM>/final.json` says which
version finance issued. An issued month never changes: `finalize` checks the version's files
against its manifest before it writes final.json, every later run checks them against final.json
before it uses them, and no command writes into a final month's folders again.
"""

from __future__ import annotations

import datetime as dt
import json
import os
import re
from dataclasses import dataclass, field
from decimal import Decimal
from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq

from automq_billing.errors import BillingError
from automq_billing.landing.load import sha256_file
from automq_billing.months import format_month, parse_month

MONTH_FOLDER = re.compile(r"\d{4}-\d{2}")
VERSION_FOLDER = re.compile(r"v(\d+)")
FINAL_FILE = "final.json"
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


@dataclass(frozen=True)
class Version:
    month: dt.date
    number: int
    folder: Path

    @property
    def label(self) -> str:
        return f"{format_month(self.month)} v{self.number}"

    def manifest(self) -> dict:
        path = self.folder / "manifest.json"
        try:
            return json.loads(path.read_text(encoding="utf-8"))
        except (OSError, ValueError) as error:
            raise BillingError(
                f"{path} cannot be read ({error}); the version {self.label} is damaged.",
                hint="restore the version folder from a backup; an issued month never changes",
            ) from None


@dataclass(frozen=True)
class Final:
    month: dt.date
    version: int
    finalized_at: str
    sha256: dict[str, str]
    totals: dict


@dataclass
class Month:
    month: dt.date
    folder: Path
    versions: list[Version] = field(default_factory=list)
    final: Final | None = None

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


def read_output(output: Path) -> list[Month]:
    """Every month folder of the output, with its versions and final.json, in month order.
    Hidden entries (temporary folders, lock files) and anything else are ignored."""
    if not output.is_dir():
        return []
    months = []
    for entry in sorted(output.iterdir()):
        if not (entry.is_dir() and MONTH_FOLDER.fullmatch(entry.name)):
            continue
        try:
            month = parse_month(entry.name)
        except BillingError:
            continue
        state = Month(month, entry)
        numbers = sorted(
            int(match.group(1))
            for child in entry.iterdir()
            if child.is_dir() and (match := VERSION_FOLDER.fullmatch(child.name))
        )
        state.versions = [Version(month, n, entry / f"v{n}") for n in numbers]
        state.final = _read_final(entry / FINAL_FILE, month)
        months.append(state)
    return months


def _read_final(path: Path, month: dt.date) -> Final | None:
    if not path.exists():
        return None
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
        return Final(
            month=month,
            version=int(data["version"]),
            finalized_at=str(data["finalized_at"]),
            sha256=dict(data["sha256"]),
            totals=dict(data.get("totals", {})),
        )
    except (OSError, ValueError, KeyError, TypeError) as error:
        raise BillingError(
            f"{path} cannot be read ({error}); the issued month {format_month(month)} is damaged.",
            hint="restore final.json from a backup; an issued month never changes",
        ) from None


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
            if match:
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


def issued_ledger(months: list[Month], before: dt.date) -> tuple[list[tuple], pa.Table]:
    """(final months before `before` as rows of ledger.final_months, the lines of their final
    versions as one table), read from the files final.json names after their sha256 is checked."""
    final_rows: list[tuple] = []
    tables: list[pa.Table] = []
    for state in months:
        if state.final is None or state.month >= before:
            continue
        version = state.version(state.final.version)
        path = verified_file(version, state.final, "statement_lines.parquet")
        manifest = version.manifest()
        final_rows.append(
            (
                state.month,
                version.number,
                dt.datetime.fromisoformat(state.final.finalized_at),
                dt.datetime.fromisoformat(manifest["closed_at"]),
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
        version = state.version(state.final.version)
        verified_file(version, state.final, "manifest.json")
        entry = (version.manifest().get("outputs") or {}).get("rate_card.parquet")
        if not isinstance(entry, dict):
            continue  # an older version: the fallback above
        path = version.folder / "rate_card.parquet"
        if not path.is_file() or sha256_file(path) != entry.get("sha256"):
            raise BillingError(
                f"The issued version {version.label} no longer matches its manifest: "
                f"rate_card.parquet {'is missing' if not path.is_file() else 'changed'}.",
                hint="an issued month never changes: restore its folder from a backup, then run "
                "again",
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


def finalize(output: Path, month: dt.date, number: int | None = None) -> tuple[Path, dict]:
    """Writes `<output>/<YYYY-MM>/final.json` for the version (default: the latest), or refuses
    (BillingError) saying why. The caller holds the output folder's lock."""
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
    _check_version_files(version, manifest)
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
        "sha256": {name: sha256_file(version.folder / name) for name in ISSUED_FILES},
        "totals": {
            "total_amount": manifest["totals"]["total_amount"],
            "statements": int(manifest["totals"]["organizations"]),
            "lines": int(manifest["totals"]["statement_lines"]),
        },
    }
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
        raise
    return path, final


def _check_version_files(version: Version, manifest: dict) -> None:
    outputs = manifest.get("outputs") or {}
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
        or sha256_file(version.folder / name) != entry["sha256"]
    ]
    if changed:
        raise BillingError(
            f"{version.label} cannot be issued: {', '.join(changed[:5])} no longer "
            f"match{'es' if len(changed) == 1 else ''} the sha256 in its manifest.",
            hint="a published version is never edited: close the month again and finalize the new "
            "version",
        )


def status_lines(months: list[Month]) -> list[str]:
    """One line per month: its versions with their totals, which one is final and when."""
    if not months:
        return ["No month has been closed in this output folder yet."]
    lines = []
    for state in months:
        parts = []
        for version in state.versions:
            try:
                totals = version.manifest().get("totals", {})
                total = f"{Decimal(totals['total_amount']):,.2f} {totals.get('currency', 'USD')}"
            except (BillingError, KeyError, ArithmeticError):
                total = "unreadable manifest"
            mark = " FINAL" if state.final and state.final.version == version.number else ""
            parts.append(f"v{version.number}{mark} {total}")
        if state.final:
            where = f"final: v{state.final.version}, finalized {state.final.finalized_at}"
        elif state.versions:
            where = "open (draft)"
        else:
            where = "no version"
        lines.append(f"{state.label}  {where}  |  " + "; ".join(parts))
    return lines
