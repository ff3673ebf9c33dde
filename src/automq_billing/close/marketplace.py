"""The AWS Marketplace part of a close and of `reconcile` (SPEC 9.4-9.5): the month's
reconciliation and metering exceptions, the manifest's `marketplace` block, the summary line and
the Great Expectations suite that gates them."""

from __future__ import annotations

import datetime as dt
from collections import Counter
from collections.abc import Iterator
from decimal import ROUND_HALF_UP, Decimal
from typing import Any

import duckdb
import pyarrow as pa

from automq_billing.validation.specs import Suite, expect
from automq_billing.vocabulary import RECONCILIATION_AMOUNTS, Vocabulary

# the variance each status is about, shown beside its count on the summary line
STATUS_AMOUNTS = {
    "metering_gap": "metering_variance",
    "invoice_mismatch": "invoicing_variance",
    "rating_gap": "rating_variance",
    "not_invoiced": "accepted_metered_amount",
}

MARKETPLACE_TABLES = {
    "marketplace_reconciliation": f"""
        select usage_month, organization_id, product_code, customer_aws_account_id,
            {", ".join(RECONCILIATION_AMOUNTS)}, status
        from marts.rpt_marketplace_reconciliation
        where usage_month = $month
        order by organization_id
    """,  # noqa: S608 (constant column names)
    "marketplace_exceptions": """
        select organization_id, product_code, customer_aws_account_id, dimension, usage_hour,
            expected_quantity, accepted_quantity, quantity_difference, price_per_unit,
            amount_difference, status, cause
        from marts.fct_marketplace_metering_exceptions
        where usage_month = $month
        order by organization_id nulls first, customer_aws_account_id nulls first, dimension,
            usage_hour, product_code nulls first
    """,
    # SPEC 9.3: the billing events no reconciliation counts; an event without a usage period
    # belongs to no month and is listed by every close and reconciliation
    "marketplace_unmatched_billing_events": """
        select usage_month, billing_event_id, end_user_account_id, product_id, action,
            transaction_type, amount, currency, update_date, source_file, file_row_number, cause
        from marts.fct_marketplace_unmatched_billing_events
        where usage_month = $month or usage_month is null
        order by cause, billing_event_id, source_file, file_row_number
    """,
}

# written from the warehouse a row group at a time (`close.export.write_batches`): they grow with
# the landed rows; the manifest counts the exceptions per cause with EXCEPTION_CAUSES instead
STREAMED_TABLES = ("marketplace_exceptions", "usage_daily")
# the exceptions are sorted a slice of organizations at a time, each slice at most this many
# rows (an organization with more is a slice of its own): DuckDB sorting the 9.1 million
# exceptions of a 50-million-row month at once held 1.8 GiB whatever its memory limit (issue 18)
EXCEPTION_SLICE_ROWS = 500_000
EXCEPTIONS_PER_ORGANIZATION = """
    select organization_id, count(*) as row_count
    from marts.fct_marketplace_metering_exceptions
    where usage_month = $month
    group by organization_id
    order by organization_id nulls first
"""
EXCEPTION_CAUSES = """
    select cause, count(*)
    from marts.fct_marketplace_metering_exceptions
    where usage_month = $month
    group by cause
"""


def _cents(value: str) -> str:
    return str(Decimal(value).quantize(Decimal("0.01"), rounding=ROUND_HALF_UP))


def _decimal(value: object) -> Decimal:
    return Decimal(0) if value is None else Decimal(value)


def marketplace_block(
    tables: dict[str, pa.Table], vocabulary: Vocabulary, causes: dict[str, int] | None = None
) -> dict:
    """SPEC 9.5's manifest block: counts per status and per cause (in the vocabulary's order),
    and the amounts summed over organizations. `causes` counts the exceptions per cause when
    their table is not in `tables` (a close streams it to its files: it runs to millions of
    rows at scale)."""
    reconciliation = tables["marketplace_reconciliation"].to_pylist()
    if causes is None:
        causes = Counter(tables["marketplace_exceptions"].column("cause").to_pylist())
    statuses = [row["status"] for row in reconciliation]
    amounts = {
        column: f"{sum((_decimal(row[column]) for row in reconciliation), Decimal(0)):.6f}"
        for column in RECONCILIATION_AMOUNTS
    }
    if all(row["issued_usage_amount"] is None for row in reconciliation):
        amounts["issued_usage_amount"] = None  # an open month: nothing issued (SPEC 9.4)
    by_status = {
        status: f"{sum((_decimal(r[STATUS_AMOUNTS[status]]) for r in reconciliation if r['status'] == status), Decimal(0)):.2f}"  # noqa: E501
        for status in STATUS_AMOUNTS
        if status in statuses
    }
    return {
        "status": {s: statuses.count(s) for s in vocabulary.marketplace_statuses if s in statuses},
        "cause": {c: causes[c] for c in vocabulary.marketplace_exception_causes if causes.get(c)},
        "amounts": amounts,
        "status_amounts": by_status,
        "unmatched_billing_events": unmatched_block(
            tables["marketplace_unmatched_billing_events"], vocabulary
        ),
    }


def unmatched_block(table: pa.Table, vocabulary: Vocabulary) -> dict:
    """SPEC 9.3's count of the billing events no reconciliation counts, per cause (in the
    vocabulary's order): events and their amount for unknown_customer and unknown_product;
    for conflicting_event, the events and their landed rows (neither row counts, so no
    amount)."""
    rows = table.to_pylist()
    block: dict[str, dict] = {}
    for cause in vocabulary.marketplace_unmatched_event_causes:
        listed = [row for row in rows if row["cause"] == cause]
        if not listed:
            continue
        events = len({row["billing_event_id"] for row in listed})
        if cause == "conflicting_event":
            block[cause] = {"events": events, "rows": len(listed)}
        else:
            total = sum((_decimal(row["amount"]) for row in listed), Decimal(0))
            block[cause] = {"events": events, "amount": f"{total:.6f}"}
    return block


def status_line(block: dict) -> str:
    """E.g. `Marketplace: 9 matched, 1 metering_gap (-3.15 USD), 2 not_invoiced (12.00 USD)`."""
    parts = []
    for status, count in block["status"].items():
        amount = block["status_amounts"].get(status)
        parts.append(f"{count} {status}" + (f" ({amount} USD)" if amount else ""))
    for cause, counted in (block.get("unmatched_billing_events") or {}).items():
        amount = counted.get("amount")
        parts.append(
            f"{counted['events']} billing event(s) {cause}"
            + (f" ({_cents(amount)} USD)" if amount is not None else "")
        )
    if not parts:
        return "Marketplace: no organization to reconcile"
    return "Marketplace: " + ", ".join(parts)


_SUITE_FRAME = """
    with reconciliation as (
        select * from marts.rpt_marketplace_reconciliation where usage_month = $month
    )
    select
        reconciliation.organization_id,
        reconciliation.status,
        cast((reconciliation.statement_usage_amount - reconciliation.invoiced_amount
            - reconciliation.rating_variance - reconciliation.metering_variance
            - reconciliation.invoicing_variance) * 1000000 as bigint) as identity_error_micros,
        cast(reconciliation.metering_variance * 1000000 as bigint) as metering_variance_micros,
        cast(reconciliation.expected_metered_amount * 1000000 as bigint)
            - cast(reconciliation.accepted_metered_amount * 1000000 as bigint)
            as expected_minus_accepted_micros
    from reconciliation
"""


_DIMENSIONS_FRAME = """
    with expected as (
        select organization_id, dimension, sum(quantity) as quantity
        from marts.fct_marketplace_expected_records
        where usage_month = $month
        group by all
    ),
    accepted as (
        select organization_id, dimension, sum(accepted_quantity) as quantity
        from intermediate.int_marketplace_metering_attributed
        where usage_month = $month and organization_id is not null and is_known_customer
            and is_listed
        group by all
    ),
    exceptions as (
        select organization_id, dimension, sum(quantity_difference) as quantity
        from marts.fct_marketplace_metering_exceptions
        where usage_month = $month and organization_id is not null
            and cause not in ('unknown_customer', 'unknown_dimension')
        group by all
    )
    select
        coalesce(expected.organization_id, accepted.organization_id, exceptions.organization_id)
            || '|' || coalesce(expected.dimension, accepted.dimension, exceptions.dimension)
            as organization_dimension,
        cast(coalesce(exceptions.quantity, 0) as bigint) as exception_difference,
        cast(coalesce(expected.quantity, 0) - coalesce(accepted.quantity, 0) as bigint)
            as expected_minus_accepted
    from expected
    full outer join accepted
        on expected.organization_id = accepted.organization_id
        and expected.dimension = accepted.dimension
    full outer join exceptions
        on coalesce(expected.organization_id, accepted.organization_id) = exceptions.organization_id
        and coalesce(expected.dimension, accepted.dimension) = exceptions.dimension
"""


def marketplace_suites(
    con: duckdb.DuckDBPyConnection, month: dt.date, vocabulary: Vocabulary
) -> list[Suite]:
    """The reconciliation suite and the exceptions suite: the quantity differences of the
    exceptions of an organization and dimension add up to expected minus accepted."""
    frame = con.sql(_DIMENSIONS_FRAME, params={"month": month}).to_arrow_table().to_pandas()
    exceptions = Suite(
        "marketplace_exceptions",
        frame,
        [
            expect(
                "ExpectColumnPairValuesToBeEqual",
                column_A="exception_difference",
                column_B="expected_minus_accepted",
            ),
            expect("ExpectColumnValuesToBeUnique", column="organization_dimension"),
        ],
        key="organization_dimension",
        description="per organization and dimension: the exceptions add up to expected - accepted",
    )
    return [marketplace_suite(con, month, vocabulary), exceptions]


def marketplace_suite(
    con: duckdb.DuckDBPyConnection, month: dt.date, vocabulary: Vocabulary
) -> Suite:
    """The month's reconciliation, one row per organization: the identity statement = invoiced +
    variances holds to the micro-dollar, the status is one of SPEC 9.4's, and the metering
    variance is expected minus accepted."""
    frame = con.sql(_SUITE_FRAME, params={"month": month}).to_arrow_table().to_pandas()
    statuses = list(vocabulary.marketplace_statuses)
    return Suite(
        "marketplace_reconciliation",
        frame,
        [
            expect("ExpectColumnValuesToBeInSet", column="identity_error_micros", value_set=[0]),
            expect("ExpectColumnValuesToBeInSet", column="status", value_set=statuses),
            expect(
                "ExpectColumnPairValuesToBeEqual",
                column_A="metering_variance_micros",
                column_B="expected_minus_accepted_micros",
            ),
            expect("ExpectColumnValuesToBeUnique", column="organization_id"),
        ],
        key="organization_id",
        description="the month's AWS Marketplace reconciliation: identity, statuses, variances",
    )


def exception_batches(
    con: Any, month: dt.date, batch_rows: int, slice_rows: int = EXCEPTION_SLICE_ROWS
) -> pa.RecordBatchReader:
    """The month's Marketplace exceptions in the order of MARKETPLACE_TABLES' query, read a
    slice of organizations at a time (each slice the same query for an organization range, its
    bounds bound as values): the same rows in the same order as the whole query, sorted in
    slices of at most `slice_rows` rows."""
    base = MARKETPLACE_TABLES["marketplace_exceptions"]
    where = "where usage_month = $month"
    counts = con.execute(EXCEPTIONS_PER_ORGANIZATION, {"month": month}).fetchall()
    slices: list[tuple[str, dict[str, Any]]] = []
    current: list[str] = []  # the organizations of the slice being filled, and its rows
    held = 0
    for organization, rows in counts:
        if organization is None:
            slices.append(("organization_id is null", {"month": month}))
            continue
        if current and held + rows > slice_rows:
            slices.append(_range_slice(current, month))
            current, held = [], 0
        current.append(organization)
        held += rows
    if current:
        slices.append(_range_slice(current, month))
    if not slices:  # no exception: the whole query gives the empty table and its schema
        return con.sql(base, params={"month": month}).to_arrow_reader(batch_rows)
    readers = [
        con.sql(base.replace(where, f"{where} and {condition}"), params=params)
        for condition, params in slices
    ]
    first = readers[0].to_arrow_reader(batch_rows)

    def batches() -> Iterator[pa.RecordBatch]:
        yield from first
        for reader in readers[1:]:
            yield from reader.to_arrow_reader(batch_rows)

    return pa.RecordBatchReader.from_batches(first.schema, batches())


def _range_slice(organizations: list[str], month: dt.date) -> tuple[str, dict]:
    condition = "organization_id between $first and $last"
    return condition, {"month": month, "first": organizations[0], "last": organizations[-1]}


def streamed_batches(
    con: Any, name: str, sql: str, month: dt.date, batch_rows: int
) -> pa.RecordBatchReader:
    """A streamed table's rows for its files: the exceptions a slice of organizations at a time
    (exception_batches), any other table straight from its query."""
    if name == "marketplace_exceptions":
        return exception_batches(con, month, batch_rows)
    return con.sql(sql, params={"month": month} if "$month" in sql else None).to_arrow_reader(
        batch_rows
    )
