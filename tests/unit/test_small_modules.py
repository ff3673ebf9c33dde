"""Months, the vocabulary's one home, the manifest's conservation counts and dbt's log."""

from __future__ import annotations

import datetime as dt
import json
import re
from decimal import Decimal

import pytest
import yaml

from automq_billing.close.manifest import Conservation, Totals
from automq_billing.dbt_runner import DbtResult, _handle_line
from automq_billing.errors import BillingError
from automq_billing.months import format_month, parse_month
from automq_billing.vocabulary import RECONCILIATION_AMOUNTS, load_vocabulary, read_seed
from helpers import REPO

pytestmark = pytest.mark.unit


@pytest.mark.parametrize("text", ["2026-10'; drop", "2026-00", "2026-13", "2026-10 ", "26-10", ""])
def test_a_malformed_month_is_refused(text):
    with pytest.raises(BillingError, match="YYYY-MM"):
        parse_month(text)


def test_months_round_trip():
    assert parse_month("2026-10") == dt.date(2026, 10, 1)
    assert format_month(dt.date(2026, 1, 1)) == "2026-01"


def test_the_vocabulary_is_read_from_the_dbt_project():
    vocabulary = load_vocabulary(REPO)
    project = yaml.safe_load((REPO / "dbt_project.yml").read_text())
    assert vocabulary.usage_meters == project["vars"]["usage_meters"]
    assert vocabulary.usage_quarantine_reasons[:2] == ["missing_field", "invalid_id"]
    usage = vocabulary.dataset("usage_events")
    assert usage.required and usage.format == "parquet"
    assert [c.name for c in usage.landed_columns][:3] == [
        "event_id",
        "organization_id",
        "environment_id",
    ]
    licenses = vocabulary.dataset("licenses")
    [secret] = [c for c in licenses.columns if c.transform]
    assert (secret.landed_name, secret.name) == ("product_secret", "product_secret_sha256")
    assert vocabulary.dataset("marketplace_billing_events").format == "csv"


def test_no_python_module_restates_a_vocabulary():
    """The lists live in dbt_project.yml: a Python source that spells out one of them (three or
    more of its values in a row) restates it."""
    vocabulary = load_vocabulary(REPO)
    lists = [v for v in vocabulary.vars.values() if isinstance(v, list) and len(v) >= 3]
    sources = [p for p in (REPO / "src").rglob("*.py")]
    for path in sources:
        text = path.read_text()
        for values in lists:
            quoted = [f'"{v}"' for v in values[:3]]
            pattern = r",\s*".join(re.escape(q) for q in quoted)
            assert not re.search(pattern, text), f"{path} restates {values[:3]}"


def test_seeds_are_read_with_exact_decimals():
    tiers = read_seed(REPO, "rate_card_tiers")
    assert tiers[0]["unit_price"] == Decimal("0.050000") and tiers[0]["upper_bound"] == 10240
    assert isinstance(tiers[0]["effective_from"], dt.date)


def test_conservation_counts_have_spec_6s_shape():
    outcomes = [
        (dt.date(2026, 10, 1), "ingress_bytes", "rated", None, 3, 30),
        (dt.date(2026, 10, 1), "ingress_bytes", "quarantined", "negative_quantity", 1, -5),
        (None, None, "quarantined", "missing_field", 2, 0),
    ]
    counts = Conservation.from_outcomes(outcomes)
    assert counts.as_dict() == {
        "rows": {
            "landed": 6,
            "rated": 3,
            "duplicate": 0,
            "superseded": 0,
            "quarantined": {"missing_field": 2, "negative_quantity": 1},
        },
        "quantity": {
            "(null)": {
                "landed": 0,
                "rated": 0,
                "duplicate": 0,
                "superseded": 0,
                "quarantined": {"missing_field": 0},
            },
            "ingress_bytes": {
                "landed": 25,
                "rated": 30,
                "duplicate": 0,
                "superseded": 0,
                "quarantined": {"negative_quantity": -5},
            },
        },
    }
    assert (counts.month_rows, counts.rows_without_month) == (4, 2)
    assert Totals(total_amount=Decimal("-1.5")).as_dict()["total_amount"] == "-1.50"


def test_dbt_log_lines_become_progress_and_failures():
    result, errors, seen = DbtResult(), [], []
    event = {
        "info": {"name": "LogTestResult", "msg": "FAIL 2 x", "level": "error"},
        "data": {
            "status": "fail",
            "index": 3,
            "total": 9,
            "node_info": {"node_name": "t1", "resource_type": "test"},
        },
    }
    _handle_line(json.dumps(event), result, errors, seen.append)
    _handle_line("\x1b[31mplain error\x1b[0m\n", result, errors, seen.append)
    assert result.failed == ["t1: FAIL 2 x"] and result.nodes == 9
    assert errors == ["plain error"] and seen == ["[3/9] FAIL t1"]


def _project_with_seed(tmp_path, text: bytes):
    (tmp_path / "seeds").mkdir()
    (tmp_path / "seeds" / "rate_card_uptime.csv").write_bytes(text)
    return tmp_path


def test_seeds_with_one_kind_of_line_ending_pass(tmp_path):
    from automq_billing.vocabulary import check_seed_files

    check_seed_files(_project_with_seed(tmp_path, b"a,b\r\n1,2\r\n3,4\r\n"))


@pytest.mark.parametrize(
    ("text", "says"),
    [
        (b"a,b\r\n1,2\r\n3,4\n", "line 3 ends with LF where line 1 ends with CRLF"),
        (b"a,b\n1,2\n3\n", "line 3 has 1 field(s) where the header has 2"),
        (b"a,b\n1,\xff\n", "line 2 is not UTF-8"),
    ],
)
def test_a_seed_that_would_not_load_is_refused_naming_file_and_line(tmp_path, text, says):
    from automq_billing.vocabulary import check_seed_files

    with pytest.raises(BillingError, match=re.escape(says)) as refused:
        check_seed_files(_project_with_seed(tmp_path, text))
    assert "seeds/rate_card_uptime.csv" in str(refused.value)


def test_the_reconciliation_amounts_are_the_models_declared_decimals():
    models = yaml.safe_load(
        (REPO / "models" / "marts" / "marketplace" / "_marketplace__models.yml").read_text()
    )["models"]
    model = next(m for m in models if m["name"] == "rpt_marketplace_reconciliation")
    checks = next(
        t["model_checks"]
        for t in model["data_tests"]
        if "model_checks" in t and "data_types" in t["model_checks"]["arguments"]
    )
    assert tuple(checks["arguments"]["data_types"]) == RECONCILIATION_AMOUNTS
