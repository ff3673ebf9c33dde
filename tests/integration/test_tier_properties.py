"""Property tests of tier pricing: the compiled SQL of int_usage_split_into_tiers runs in DuckDB
against hypothesis-generated rate cards and quantities and is compared with a plain Python
reading of SPEC 3."""

from __future__ import annotations

import subprocess
import sys
from decimal import ROUND_HALF_UP, Decimal

import duckdb
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from automq_billing.dbt_runner import dbt_environment
from conftest import REPO

pytestmark = pytest.mark.slow

MODEL = "int_usage_split_into_tiers"
CENT = Decimal("0.01")
MICRO = Decimal("0.000001")


@pytest.fixture(scope="module")
def tier_sql(tmp_path_factory) -> str:
    work = tmp_path_factory.mktemp("compile")
    warehouse = work / "billing.duckdb"
    subprocess.run(
        [
            sys.executable,
            "-c",
            "import sys; from dbt.cli.main import cli; sys.exit(cli())",
            "compile",
            "--select",
            MODEL,
            "--project-dir",
            str(REPO),
            "--profiles-dir",
            str(REPO),
            "--target-path",
            str(work / "target"),
            "--log-path",
            str(work / "logs"),
            "--quiet",
        ],
        check=True,
        cwd=REPO,
        env=dbt_environment(work / "landing", warehouse),
        capture_output=True,
    )
    compiled = next((work / "target" / "compiled").rglob(f"{MODEL}.sql"))
    return compiled.read_text()


def make_connection() -> duckdb.DuckDBPyConnection:
    con = duckdb.connect()
    con.execute("attach ':memory:' as billing")
    con.execute("create schema billing.intermediate")
    con.execute("create schema billing.staging")
    con.execute(
        """
        create table billing.intermediate.int_usage_quantities_monthly (
            organization_id varchar, usage_month date, billing_item varchar,
            cluster_tier varchar, measure hugeint, quantity decimal(38, 6), unit varchar)
        """
    )
    con.execute(
        """
        create table billing.staging.stg_billing_config__rate_card_tiers (
            rate_card_version varchar, effective_from date, billing_item varchar,
            tier_mode varchar, tier integer, lower_bound decimal(38, 6),
            upper_bound decimal(38, 6), unit_price decimal(38, 6))
        """
    )
    return con


@st.composite
def rate_cards(draw):
    """Contiguous tiers from 0, last unbounded, prices that never rise."""
    widths = draw(st.lists(st.integers(1, 10**6), min_size=0, max_size=4))
    prices = sorted(
        draw(st.lists(st.integers(0, 10**6), min_size=len(widths) + 1, max_size=len(widths) + 1)),
        reverse=True,
    )
    tiers, lower = [], Decimal(0)
    for index, price in enumerate(prices):
        upper = lower + widths[index] if index < len(widths) else None
        tiers.append((index + 1, lower, upper, Decimal(price) * MICRO))
        lower = upper if upper is not None else lower
    return tiers


quantities = st.integers(1, 5 * 10**12).map(lambda micros: Decimal(micros) * MICRO)


def reference_lines(tiers, mode, quantity):
    if mode == "graduated":
        return [
            (tier, min(quantity, upper if upper is not None else quantity) - lower, price)
            for tier, lower, upper, price in tiers
            if lower < quantity
        ]
    return [
        (tier, quantity, price)
        for tier, lower, upper, price in tiers
        if lower <= quantity and (upper is None or quantity < upper)
    ]


def round2(value: Decimal) -> Decimal:
    # half away from zero; amounts here are never negative
    return value.quantize(CENT, rounding=ROUND_HALF_UP)


def price(con, sql, tiers, mode, quantity_values):
    con.execute("delete from billing.staging.stg_billing_config__rate_card_tiers")
    con.execute("delete from billing.intermediate.int_usage_quantities_monthly")
    con.executemany(
        "insert into billing.staging.stg_billing_config__rate_card_tiers values "
        "('v1', date '2026-01-01', 'data_ingress', ?, ?, ?, ?, ?)",
        [[mode, tier, lower, upper, unit] for tier, lower, upper, unit in tiers],
    )
    con.executemany(
        "insert into billing.intermediate.int_usage_quantities_monthly values "
        "(?, date '2026-10-01', 'data_ingress', null, 0, ?, 'GiB')",
        [[f"org-{index:03d}", quantity] for index, quantity in enumerate(quantity_values)],
    )
    rows = con.execute(
        # the model's own compiled SQL, not user input
        f"select organization_id, tier, quantity, unit_price, amount from ({sql}) "  # noqa: S608
        "order by organization_id, tier"
    ).fetchall()
    by_org: dict[str, list] = {}
    for org, tier, quantity, unit, amount in rows:
        by_org.setdefault(org, []).append((tier, quantity, unit, amount))
    return [by_org.get(f"org-{index:03d}", []) for index in range(len(quantity_values))]


settings.register_profile(
    "tiers", max_examples=100, deadline=None, suppress_health_check=[HealthCheck.too_slow]
)


@settings(settings.get_profile("tiers"))
@given(tiers=rate_cards(), quantity_list=st.lists(quantities, min_size=1, max_size=8))
def test_graduated_lines_are_the_piecewise_sum(tier_sql, tiers, quantity_list):
    con = make_connection()
    for quantity, lines in zip(
        quantity_list, price(con, tier_sql, tiers, "graduated", quantity_list), strict=True
    ):
        expected = reference_lines(tiers, "graduated", quantity)
        assert [(t, q, u) for t, q, u, _ in lines] == expected
        assert [a for *_, a in lines] == [round2(q * u) for _, q, u in expected]
        assert sum(q for _, q, _, _ in lines) == quantity


@settings(settings.get_profile("tiers"))
@given(tiers=rate_cards(), quantity_list=st.lists(quantities, min_size=2, max_size=8))
def test_graduated_amount_never_decreases_as_quantity_grows(tier_sql, tiers, quantity_list):
    con = make_connection()
    ordered = sorted(quantity_list)
    totals = [
        sum((a for *_, a in lines), Decimal(0))
        for lines in price(con, tier_sql, tiers, "graduated", ordered)
    ]
    # Every slice grows with the quantity and round2 is monotone, so even the rounded total
    # never decreases.
    assert totals == sorted(totals)


@settings(settings.get_profile("tiers"))
@given(tiers=rate_cards(), quantity_list=st.lists(quantities, min_size=1, max_size=8))
def test_volume_picks_exactly_one_tier(tier_sql, tiers, quantity_list):
    con = make_connection()
    for quantity, lines in zip(
        quantity_list, price(con, tier_sql, tiers, "volume", quantity_list), strict=True
    ):
        assert len(lines) == 1
        [(tier, line_quantity, unit, amount)] = lines
        assert [(tier, line_quantity, unit)] == reference_lines(tiers, "volume", quantity)
        assert amount == round2(quantity * unit)


@settings(settings.get_profile("tiers"))
@given(tiers=rate_cards().filter(lambda t: len(t) > 1), data=st.data())
def test_a_quantity_on_a_boundary_lands_in_the_upper_tier(tier_sql, tiers, data):
    con = make_connection()
    index = data.draw(st.integers(0, len(tiers) - 2))
    boundary = tiers[index][2]
    [graduated] = price(con, tier_sql, tiers, "graduated", [boundary])
    [volume] = price(con, tier_sql, tiers, "volume", [boundary])
    # volume: priced in the tier that starts at the boundary
    assert [line[0] for line in volume] == [index + 2]
    # graduated: the lower tiers are full and no zero-quantity line is emitted above them
    assert [line[0] for line in graduated] == list(range(1, index + 2))
    assert all(line[1] > 0 for line in graduated)
