"""The demo's licences and allocations: every term and channel of the vocabulary, and each
licence scenario present where the notes say."""

from __future__ import annotations

import datetime as dt
import re

import pytest
from demo_support import Demo

from automq_billing.months import add_months
from automq_billing.vocabulary import Vocabulary

pytestmark = pytest.mark.unit

UTC = dt.UTC


def test_every_term_and_channel_of_the_vocabulary(demo: Demo, vocabulary: Vocabulary) -> None:
    terms = {r[0] for r in demo.rows("SELECT DISTINCT term FROM licenses")}
    channels = {r[0] for r in demo.rows("SELECT DISTINCT channel FROM licenses")}
    assert terms == set(vocabulary.license_terms)
    assert channels == set(vocabulary.license_channels)
    scenarios = demo.notes["license_scenarios"]
    assert set(scenarios["by_term"]) == terms and set(scenarios["by_channel"]) == channels
    currencies = {r[0] for r in demo.rows("SELECT DISTINCT currency FROM licenses")}
    assert currencies <= set(vocabulary.currencies)


def test_licences_land_in_daily_exports_of_their_purchase(demo: Demo) -> None:
    landed = {str(f.path): f.landed_at for f in demo.summary.files_of("licenses")}
    rows = demo.rows("SELECT license_id, purchased_at, file FROM licenses")
    late = {v["license_id"] for v in demo.notes["license_scenarios"]["lost_exports"].values()}
    for license_id, purchased, file in rows:
        assert purchased < landed[file]
        if license_id in late:
            assert landed[file] - purchased > dt.timedelta(days=20)
        else:
            assert landed[file] - purchased < dt.timedelta(days=2) or "history" in file


def test_trial_and_its_conversion(demo: Demo) -> None:
    trial = demo.notes["license_scenarios"]["trial"]
    row = demo.rows(
        "SELECT channel, term, aku_quota, end_date - start_date, price_per_aku FROM licenses "
        "WHERE license_id = ?",
        [trial["license_id"]],
    )
    assert row == [("trial", "trial", 14, 14, None)]
    converted = demo.rows(
        "SELECT min(start_date) FROM licenses WHERE license_id IN (SELECT unnest(?))",
        [trial["converted_to"]],
    )
    assert converted[0][0] == dt.date.fromisoformat(trial["end_date"])
    clamped = demo.notes["license_scenarios"]["clamped_end"]
    assert (clamped["start_date"], clamped["end_date"]) == ("2026-10-31", "2026-11-30")


def test_negotiated_contract_without_product_secret(demo: Demo) -> None:
    negotiated = demo.notes["negotiated_license"]
    channel, price, secret = demo.rows(
        "SELECT channel, price_per_aku, product_secret FROM licenses WHERE license_id = ?",
        [negotiated],
    )[0]
    assert channel == "offline_contract" and price > 0 and secret is None
    assert demo.notes["null_secret_license"] == negotiated
    priced = {r[0] for r in demo.rows("SELECT license_id FROM licenses WHERE price_per_aku > 0")}
    assert priced == set(demo.notes["license_scenarios"]["negotiated"]["license_ids"])


def test_product_secrets(demo: Demo) -> None:
    secrets = [r[0] for r in demo.rows("SELECT product_secret FROM licenses")]
    landed = sorted(s for s in secrets if s is not None)
    assert landed == demo.notes["secrets"]
    assert len(set(landed)) == len(landed) == len(secrets) - 1
    assert all(re.fullmatch(r"amq_sk_[0-9a-f]{32}", s) for s in landed)


def test_split_licence_and_renewals(demo: Demo) -> None:
    quota, envs, total = demo.rows(
        "SELECT any_value(aku_quota), count(DISTINCT environment_id), sum(aku_allocated) "
        "FROM allocations JOIN licenses USING (license_id) WHERE license_id = ? "
        "AND aku_allocated > 0",
        [demo.notes["split_license"]],
    )[0]
    assert envs == 2 and total <= quota
    renewals = demo.rows(
        "SELECT start_date, end_date FROM licenses WHERE license_id IN (SELECT unnest(?)) "
        "ORDER BY start_date",
        [demo.notes["license_scenarios"]["renewal"]["license_ids"]],
    )
    assert len(renewals) >= 3
    assert all(a[1] == b[0] for a, b in zip(renewals, renewals[1:], strict=False))


def test_the_quota_breach_and_the_invalid_term(demo: Demo) -> None:
    breach = demo.notes["license_scenarios"]["breach"]
    allocated = demo.rows(
        "SELECT aku_allocated, valid_from, valid_to FROM allocations WHERE license_id = ? "
        "ORDER BY valid_from",
        [breach["license_id"]],
    )
    assert sum(a for a, _, _ in allocated) > breach["aku_quota"]
    assert allocated[-1][2] is None  # left open after the licence ended
    invalid = demo.notes["license_scenarios"]["invalid"]
    term, start, end = demo.rows(
        "SELECT term, start_date, end_date FROM licenses WHERE license_id = ?",
        [invalid["license_id"]],
    )[0]
    assert term == "yearly" and end == add_months(start, 6)


def test_invalid_allocations_and_allocations_landed_twice(demo: Demo) -> None:
    for row in demo.notes["license_scenarios"]["invalid_allocations"]:
        found = demo.rows(
            "SELECT aku_allocated, valid_from::DATE, valid_to::DATE FROM allocations "
            "WHERE license_id = ? AND environment_id = ? AND valid_from::DATE = ?::DATE",
            [row["license_id"], row["environment_id"], row["valid_from"]],
        )
        assert (row["aku_allocated"], row["valid_to"]) in {(a, v.isoformat()) for a, _, v in found}
        assert row["aku_allocated"] == 0 or row["valid_to"] <= row["valid_from"]
    twice = demo.notes["license_scenarios"]["duplicate_allocations"]
    first, second = (demo.root / f for f in twice["files"])
    copies = demo.rows(
        "SELECT count(DISTINCT file) FROM allocations WHERE file IN (?, ?) "
        "GROUP BY license_id, environment_id, aku_allocated, valid_from, valid_to",
        [str(first), str(second)],
    )
    assert copies and all(n == 2 for (n,) in copies)


def test_the_heavy_environment_is_allocated_below_its_peaks(demo: Demo) -> None:
    over = demo.notes["license_scenarios"]["over_capacity"]
    assert over["environment_id"] == demo.notes["over_capacity_environment"]
    assert over["environment_id"] == demo.notes["prepaid_heavy_environment"]
    allocated = demo.one(
        "SELECT max(aku_allocated) FROM allocations WHERE license_id IN (SELECT unnest(?))",
        [over["license_ids"]],
    )
    assert allocated == over["aku_allocated"]
    assert set(demo.notes["within_capacity_environments"]) | {over["environment_id"]} == set(
        demo.notes["prepaid_environments"]
    )
