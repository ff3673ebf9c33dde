"""The manifest's `marketplace` block and the summary line (SPEC 9.3-9.5): billing events no
reconciliation counts are counted per cause with their amount; an open month has no issued
usage."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pyarrow as pa
import pytest

from automq_billing.close.marketplace import marketplace_block, status_line
from automq_billing.vocabulary import RECONCILIATION_AMOUNTS, load_vocabulary
from helpers import REPO

pytestmark = pytest.mark.unit
MONTH = dt.date(2026, 10, 1)


def _reconciliation(issued: Decimal | None) -> pa.Table:
    row = {column: Decimal("1.000000") for column in RECONCILIATION_AMOUNTS}
    row.update(organization_id="org-a", status="matched", issued_usage_amount=issued)
    return pa.Table.from_pylist([row])


def _unmatched(rows: list[tuple[str, str, str]]) -> pa.Table:
    return pa.Table.from_pylist(
        [
            {"billing_event_id": event, "amount": Decimal(amount), "cause": cause}
            for event, amount, cause in rows
        ],
        schema=pa.schema(
            [
                ("billing_event_id", pa.string()),
                ("amount", pa.decimal128(38, 6)),
                ("cause", pa.string()),
            ]
        ),
    )


def _tables(issued: Decimal | None, unmatched: list[tuple[str, str, str]]) -> dict:
    return {
        "marketplace_reconciliation": _reconciliation(issued),
        "marketplace_exceptions": pa.table({"cause": pa.array([], pa.string())}),
        "marketplace_unmatched_billing_events": _unmatched(unmatched),
    }


def test_unmatched_billing_events_are_counted_with_their_amount():
    tables = _tables(
        None,
        [
            ("evt-staging", "2.400000", "unknown_customer"),
            ("evt-staging-fee", "-0.070000", "unknown_customer"),
            ("evt-aku", "5780.000000", "unknown_product"),
            ("evt-clash", "10.000000", "conflicting_event"),
            ("evt-clash", "12.000000", "conflicting_event"),
        ],
    )
    block = marketplace_block(tables, load_vocabulary(REPO))
    assert block["unmatched_billing_events"] == {
        "unknown_customer": {"events": 2, "amount": "2.330000"},
        "unknown_product": {"events": 1, "amount": "5780.000000"},
        "conflicting_event": {"events": 1, "rows": 2},
    }
    line = status_line(block)
    assert "1 matched" in line
    assert "2 billing event(s) unknown_customer (2.33 USD)" in line
    assert "1 billing event(s) conflicting_event" in line
    assert "conflicting_event (" not in line  # a conflict counts nowhere: no amount


def test_an_open_month_has_no_issued_usage_and_a_final_month_sums_it():
    vocabulary = load_vocabulary(REPO)
    open_month = marketplace_block(_tables(None, []), vocabulary)
    assert open_month["amounts"]["issued_usage_amount"] is None
    final = marketplace_block(_tables(Decimal("7.500000"), []), vocabulary)
    assert final["amounts"]["issued_usage_amount"] == "7.500000"
    assert final["unmatched_billing_events"] == {}


def test_only_unmatched_events_still_make_a_line():
    tables = _tables(None, [("evt-staging", "2.400000", "unknown_customer")])
    tables["marketplace_reconciliation"] = tables["marketplace_reconciliation"].slice(0, 0)
    line = status_line(marketplace_block(tables, load_vocabulary(REPO)))
    assert line == "Marketplace: 1 billing event(s) unknown_customer (2.40 USD)"
