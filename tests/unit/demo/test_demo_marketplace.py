"""The demo's AWS Marketplace feeds: customers, the control plane's metering log and AWS's
billing events, with each imperfection the notes name present in the data."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest
from demo_support import REPO, Demo

from automq_billing.demo.metering import whole_units
from automq_billing.vocabulary import Vocabulary, read_seed

pytestmark = pytest.mark.unit

UTC = dt.UTC
OCTOBER = "2026-10"


def _market(demo: Demo) -> dict:
    return demo.notes["marketplace"]


def _account(demo: Demo, org_id: str) -> str:
    return _market(demo)["accounts"][org_id][-1]


def _statuses(demo: Demo, account: str, hour: str, dimension: str | None = None) -> list:
    return demo.rows(
        "SELECT status, quantity, metering_record_id FROM metering WHERE "
        "customer_aws_account_id = ? AND usage_hour = ?::TIMESTAMPTZ "
        "AND (? IS NULL OR dimension = ?) ORDER BY submitted_at",
        [account, hour, dimension, dimension],
    )


def test_customers(demo: Demo) -> None:
    listing = {r["product_code"] for r in read_seed(REPO, "marketplace_dimensions")}
    rows = demo.rows("SELECT * EXCLUDE (file) FROM customers")
    assert {r[1] for r in rows} <= listing
    assert all(len(r[2]) == 12 and r[2].isdigit() for r in rows)
    subscriptions = _market(demo)["subscriptions"]
    mid = subscriptions["mid_month_subscriber"]
    subscribed = demo.one(
        "SELECT subscribed_at FROM customers WHERE organization_id = ?", [mid["organization_id"]]
    )
    assert dt.datetime(2026, 10, 2, tzinfo=UTC) < subscribed < dt.datetime(2026, 10, 31, tzinfo=UTC)
    two = demo.rows(
        "SELECT subscribed_at, unsubscribed_at FROM customers WHERE organization_id = ? "
        "ORDER BY subscribed_at",
        [subscriptions["two_accounts"]["organization_id"]],
    )
    assert len(two) == 2 and two[0][1] is not None and two[0][1] <= two[1][0]
    assert two[1][1] is None
    never = subscriptions["never_subscribed"]["organization_id"]
    assert demo.one("SELECT count(*) FROM customers WHERE organization_id = ?", [never]) == 0


def test_metering_log_shape(demo: Demo, vocabulary: Vocabulary) -> None:
    statuses = dict(demo.rows("SELECT status, count(*) FROM metering GROUP BY 1"))
    assert set(vocabulary.marketplace_metering_statuses) <= set(statuses)
    assert "TimestampOutOfBoundsException" in statuses
    assert (
        demo.one(
            "SELECT count(*) FROM metering WHERE (status = 'Success') <> "
            "(metering_record_id IS NOT NULL) OR quantity < 0 OR minute(usage_hour) <> 0 "
            "OR submitted_at <= usage_hour"
        )
        == 0
    )
    assert (
        demo.one(
            "SELECT count(*) - count(DISTINCT metering_record_id) FROM metering "
            "WHERE metering_record_id IS NOT NULL"
        )
        == 0
    )


def test_hours_never_sent_and_a_batch_never_accepted(demo: Demo) -> None:
    month = _market(demo)["metering"]["by_month"][OCTOBER]
    account = _account(demo, _market(demo)["metering"]["sender_issues"]["tier3"])
    for hour in month["not_sent"]["hours"]:
        assert _statuses(demo, account, hour) == []
    rejected = _statuses(demo, account, month["rejected"]["usage_hour"])
    assert {s for s, _, _ in rejected} == set(month["rejected"]["statuses"])
    assert len(rejected) == 2 * month["rejected"]["records"]


def test_a_retried_batch_and_a_duplicate_record(demo: Demo) -> None:
    month = _market(demo)["metering"]["by_month"][OCTOBER]
    account = _account(demo, _market(demo)["metering"]["sender_issues"]["tier2"])
    retried = _statuses(demo, account, month["retried"]["usage_hour"])
    assert [s for s, _, _ in retried][: month["retried"]["records"]] == [
        "TimestampOutOfBoundsException"
    ] * month["retried"]["records"]
    assert [s for s, _, _ in retried][month["retried"]["records"] :] == ["Success"] * month[
        "retried"
    ]["records"]
    duplicate = month["duplicate_record"]
    rows = _statuses(demo, account, duplicate["usage_hour"], duplicate["dimension"])
    assert [(s, q) for s, q, _ in rows] == [
        ("Success", duplicate["accepted_quantity"]),
        ("DuplicateRecord", duplicate["resent_quantity"]),
    ]
    assert rows[1][2] is None


def test_a_record_stamped_an_hour_late(demo: Demo) -> None:
    skew = _market(demo)["metering"]["by_month"][OCTOBER]["clock_skew"]
    account = _account(demo, _market(demo)["metering"]["sender_issues"]["clock_skew"])
    assert _statuses(demo, account, skew["measured_hour"], skew["dimension"]) == []
    assert [s for s, _, _ in _statuses(demo, account, skew["stamped_hour"], skew["dimension"])] == [
        "Success"
    ]


def test_records_nobody_expects(demo: Demo) -> None:
    dimensions = {r["dimension"] for r in read_seed(REPO, "marketplace_dimensions")}
    month = _market(demo)["metering"]["by_month"][OCTOBER]
    unknown = month["unknown_dimension"]
    assert unknown["dimension"] not in dimensions
    assert (
        demo.one("SELECT count(*) FROM metering WHERE dimension = ?", [unknown["dimension"]])
        >= unknown["rows"]
    )
    staging = _market(demo)["subscriptions"]["staging_account"]
    assert (
        demo.one("SELECT count(*) FROM customers WHERE customer_aws_account_id = ?", [staging]) == 0
    )
    assert {
        r[0]
        for r in demo.rows(
            "SELECT DISTINCT status FROM metering WHERE customer_aws_account_id = ?", [staging]
        )
    } == {"Success"}


def test_customers_not_subscribed(demo: Demo) -> None:
    subscriptions = _market(demo)["subscriptions"]
    never = subscriptions["never_subscribed"]["accounts"][0]["customer_aws_account_id"]
    statuses = {
        r[0]
        for r in demo.rows(
            "SELECT DISTINCT status FROM metering WHERE customer_aws_account_id = ?", [never]
        )
    }
    assert statuses == {"CustomerNotSubscribed"}
    mid = subscriptions["mid_month_subscriber"]["accounts"][0]
    before, after = demo.rows(
        "SELECT bool_and(status = 'CustomerNotSubscribed') FILTER (WHERE usage_hour < "
        "?::TIMESTAMPTZ), bool_and(status = 'Success') FILTER (WHERE usage_hour >= "
        "?::TIMESTAMPTZ) "
        "FROM metering WHERE customer_aws_account_id = ?",
        [mid["subscribed_at"], mid["subscribed_at"], mid["customer_aws_account_id"]],
    )[0]
    assert before and after


def test_whole_units_are_floors_of_graduated_slices() -> None:
    gib = 2**30
    cumulative = [int(x * gib) for x in (0.4, 1.0, 9.9, 10.2, 25.0, 25.0)]
    assert whole_units(cumulative, gib, Decimal(0), Decimal(10)).tolist() == [0, 1, 9, 10, 10, 10]
    assert whole_units(cumulative, gib, Decimal(10), None).tolist() == [0, 0, 0, 0, 15, 15]
    assert whole_units(cumulative, gib, Decimal("9.5"), Decimal("20.25")).tolist() == [
        0,
        0,
        0,
        0,
        10,
        10,
    ]
    assert whole_units([], gib, Decimal(0), None).tolist() == []


def _current(demo: Demo) -> str:
    return (
        "(SELECT * FROM billing_events QUALIFY row_number() OVER (PARTITION BY billing_event_id "
        "ORDER BY update_date DESC) = 1)"
    )


def test_invoices_and_listing_fees(demo: Demo) -> None:
    fees = demo.rows(
        "SELECT s.amount::DECIMAL(38,6), f.amount::DECIMAL(38,6) FROM billing_events s "
        "JOIN billing_events f USING (invoice_id) WHERE s.transaction_type = 'SELLER_REV_SHARE' "
        "AND f.transaction_type = 'AWS_REV_SHARE'"
    )
    assert fees and all(f < 0 and -f < Decimal("0.1") * s for s, f in fees)
    first_delivery = demo.rows(
        "SELECT usage_period_start_date, min(update_date) FROM billing_events "
        "WHERE action = 'INVOICED' GROUP BY 1 ORDER BY 1"
    )
    assert first_delivery == [
        ("2026-09-01T00:00:00Z", "2026-10-03T06:00:37Z"),
        ("2026-10-01T00:00:00Z", "2026-11-03T06:00:37Z"),
    ]


def test_updated_deleted_and_refunded_events(demo: Demo) -> None:
    billing = _market(demo)["billing_events"]
    versions = demo.rows(
        "SELECT amount FROM billing_events WHERE billing_event_id = ? ORDER BY update_date",
        [billing["invoice_mismatch"]["billing_event_id"]],
    )
    assert [v for (v,) in versions][:2] == billing["invoice_mismatch"]["amounts"]
    deleted = demo.rows(
        f"SELECT delete_date FROM {_current(demo)} WHERE billing_event_id = ?",  # noqa: S608
        [billing["deleted_event"]["billing_event_id"]],
    )
    assert deleted[0][0]
    refund = demo.rows(
        "SELECT transaction_type, amount::DECIMAL(38,6), parent_billing_event_id FROM "
        "billing_events WHERE billing_event_id = ? ORDER BY update_date LIMIT 1",
        [billing["refund"]["billing_event_id"]],
    )[0]
    assert refund[0] == "SELLER_REV_SHARE_REFUND" and refund[1] < 0
    assert refund[2] == billing["refund"]["parent_billing_event_id"]


def test_disbursements(demo: Demo) -> None:
    for month, disbursement in _market(demo)["billing_events"]["disbursements"].items():
        assert (
            demo.one(
                "SELECT transaction_type FROM billing_events WHERE billing_event_id = ?",
                [disbursement],
            )
            == "DISBURSEMENT"
        )
        carried = demo.one(
            f"SELECT count(*) FROM {_current(demo)} WHERE disbursement_billing_event_id = ? "  # noqa: S608
            "AND action = 'INVOICED' AND usage_period_start_date LIKE ?",
            [disbursement, f"{month}%"],
        )
        assert carried > 0


def test_one_customer_is_not_invoiced_for_the_last_month(demo: Demo) -> None:
    missing = _market(demo)["billing_events"]["not_invoiced"]
    assert missing["month"] == OCTOBER
    invoices = dict(
        demo.rows(
            "SELECT usage_period_start_date, count(*) FROM billing_events "
            "WHERE action = 'INVOICED' AND end_user_account_id = ? GROUP BY 1",
            [missing["customer_aws_account_id"]],
        )
    )
    assert invoices.get("2026-09-01T00:00:00Z", 0) > 0
    assert "2026-10-01T00:00:00Z" not in invoices
