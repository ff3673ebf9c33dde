"""The issued ledger a close or a reconciliation feeds to the warehouse (SPEC 8): the final
months, the lines and the rate cards of their final versions, read from the files final.json
names after their sha256 is checked; and what a close may do given what is issued."""

from __future__ import annotations

import datetime as dt

import pyarrow as pa
import pyarrow.parquet as pq

from automq_billing.book.files import RESTORE, utc_moment
from automq_billing.book.folder import (
    Month,
    issued_version,
    refuse_problems,
    verified_file,
)
from automq_billing.book.names import MONTH_FOLDER
from automq_billing.errors import BillingError
from automq_billing.landing.hashing import sha256_file
from automq_billing.months import format_month

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
    that priced an issued month never changes), as one table for ledger.issued_rate_cards. A
    version closed before the rate card was published has no such file: it is left out, and
    rpt_correction_price_changes falls back to comparing the unit prices of its issued lines
    (and its unpriced usage) for that month."""
    return _issued_files(months, before, "rate_card.parquet", ISSUED_RATE_CARD_TYPES)


ISSUED_DEFERRED_REVENUE_TYPES = pa.schema(
    [
        ("statement_month", pa.date32()),
        ("license_id", pa.string()),
        ("organization_id", pa.string()),
        ("opening_balance", pa.decimal128(38, 2)),
        ("invoiced_amount", pa.decimal128(38, 2)),
        ("recognised_amount", pa.decimal128(38, 2)),
        ("closing_balance", pa.decimal128(38, 2)),
    ]
)


def issued_deferred_revenue(months: list[Month], before: dt.date) -> pa.Table:
    """The deferred revenue roll-forward each final month before `before` was issued with
    (SPEC 12.3: what its journal recognised, and its closing balances), as one table for
    ledger.issued_deferred_revenue. A version closed before the journal was published has no
    such file and is left out (its journal recognised nothing this book knows of)."""
    return _issued_files(months, before, "deferred_revenue.parquet", ISSUED_DEFERRED_REVENUE_TYPES)


def _issued_files(months: list[Month], before: dt.date, name: str, schema: pa.Schema) -> pa.Table:
    """The issued versions' file `name` of every final month before `before`, one table typed
    `schema` (its first column the month): each file read after final.json vouches for the
    manifest and the manifest for the file; a version whose manifest lists no such file (closed
    by an older release) is left out."""
    tables: list[pa.Table] = []
    for state in months:
        if state.final is None or state.month >= before:
            continue
        version = issued_version(state)
        verified_file(version, state.final, "manifest.json")
        entry = (version.manifest().get("outputs") or {}).get(name)
        if not isinstance(entry, dict):
            continue
        path = version.folder / name
        if not path.is_file() or sha256_file(path) != entry.get("sha256"):
            raise BillingError(
                f"The issued version {version.label} no longer matches its manifest: "
                f"{name} {'is missing' if not path.is_file() else 'changed'}.",
                hint=RESTORE,
            )
        table = pq.read_table(path)
        columns = [pa.array([state.month] * table.num_rows, pa.date32())] + [
            table.column(column.name).cast(column.type) for column in list(schema)[1:]
        ]
        tables.append(pa.Table.from_arrays(columns, schema=schema))
    return pa.concat_tables(tables) if tables else schema.empty_table()


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
