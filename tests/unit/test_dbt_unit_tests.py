"""Every billing rule's dbt unit tests (`unit_tests:` beside the models: record rules, tiers,
rate card versions, uptime, retention, AKU sizing, licence terms and prices, revenue schedules,
chargeback, corrections, Marketplace), run on empty parents in a scratch warehouse: the models
are built with `--empty` and no data test runs."""

from __future__ import annotations

import pytest

from automq_billing.dbt_runner import run_dbt
from automq_billing.errors import BillingError
from helpers import REPO

pytestmark = pytest.mark.unit


def test_every_dbt_unit_test_passes(tmp_path):
    try:
        result = run_dbt(
            ["build", "--empty", "--exclude", "test_type:data"],
            project_dir=REPO,
            warehouse=tmp_path / "unit.duckdb",
        )
    except BillingError as error:
        pytest.fail(str(error))
    assert result.passed >= 30, result
