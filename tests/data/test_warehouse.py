"""Data-level checks of one close over the fixture landing: each case's outcome, conservation,
exact BIGINT billing against an independent reading of SPEC 3, odd and hostile ids kept verbatim
and harmless, the product secret nowhere, the reports of SPEC 1.3 and 4.3."""

from __future__ import annotations

import datetime as dt
import json
import shutil
from decimal import ROUND_HALF_UP, Decimal, localcontext

import duckdb
import pyarrow as pa
import pyarrow.csv as pacsv
import pyarrow.parquet as pq
import pytest

from automq_billing.dbt_runner import run_dbt, work_dir_for
from automq_billing.errors import BillingError
from automq_billing.vocabulary import read_seed
from helpers import GIB, REPO, assert_conservation

from .conftest import BIGINT_MAX, CASES, LONG_ID, SECRETS, SQL_ORGS, UNICODE_ORGS

pytestmark = pytest.mark.dbt
HOURS_IN_OCTOBER = 744


def _manifest(closed) -> dict:
    return json.loads((closed.folder / "manifest.json").read_text())


def test_the_fixture_month_is_published(closed):
    assert (closed.folder / "manifest.json").is_file()
    assert closed.result.version == 1


@pytest.mark.parametrize("case", CASES, ids=lambda case: case.key)
def test_each_case_gets_its_outcome(closed, case):
    rows = closed.con.execute(
        """
        select outcome, quarantine_reason from intermediate.int_usage_events_classified
        where instance_id is not distinct from ? and event_id is not distinct from ?
        order by outcome
        """,
        [case.row["instance_id"], case.row["event_id"]],
    ).fetchall()
    assert rows == case.expected


def test_every_landed_row_is_counted_once(closed):
    manifest = _manifest(closed)
    assert_conservation(manifest)
    landed = sum(len(case.files) for case in CASES) + 4  # the prepaid rows
    assert manifest["usage_events"]["rows"]["landed"] == landed
    assert manifest["usage_events_scope"] == {"month_rows": landed - 1, "rows_without_month": 1}
    [(balanced,)] = closed.con.execute(
        "select bool_and(is_balanced) from marts.rpt_usage_conservation"
    ).fetchall()
    assert balanced


def test_the_quarantine_file_holds_every_quarantined_case_with_its_key(closed):
    quarantine = closed.table("quarantine")
    got = {(row["instance_id"], row["event_id"], row["reason"]) for row in quarantine}
    expected = {
        (case.row["instance_id"], case.row["event_id"], reason)
        for case in CASES
        for outcome, reason in case.expected
        if outcome == "quarantined"
    }
    assert got == expected
    assert all(row["source_file"].startswith("usage_events/") for row in quarantine)
    [no_month] = [row for row in quarantine if row["hour_start"] is None]
    assert no_month["source_file"] == "usage_events/month=2026-10/main.parquet"
    assert _manifest(closed)["quarantine"]["rows"] == len(quarantine)


def test_rows_of_other_months_stay_out_and_a_stray_1970_row_blocks_nothing(closed):
    organizations = {row["organization_id"] for row in closed.table("statements")}
    assert not {"org-september", "org-1970"} & organizations
    [(unpriced,)] = closed.con.execute(
        "select count(*) from intermediate.int_usage_unpriced where usage_month = '1970-01-01'"
    ).fetchall()
    assert unpriced >= 1
    # a prepaid hour no capacity spec sizes is kept unsized; only a close of 1970 is refused
    assert closed.con.execute(
        "select spec_version, required_aku from marts.fct_instance_aku_hourly"
        " where instance_id = 'stray-1970-prepaid'"
    ).fetchall() == [(None, None)]


def test_invalid_ids_never_get_a_statement_or_restart_tiers(closed):
    organizations = {row["organization_id"] for row in closed.table("statements")}
    assert not {"", " ", "org-a "} & organizations


# --------------------------------------------------------------------------------------------
# Exact billing at the BIGINT limit, against a plain reading of SPEC 3 with the seed's prices


def _round(value: Decimal, places: str) -> Decimal:
    return value.quantize(Decimal(places), rounding=ROUND_HALF_UP)


def _ratio6(numerator: int, denominator: int) -> Decimal:
    with localcontext() as context:
        context.prec = 80
        return _round(Decimal(numerator) / Decimal(denominator), "0.000001")


def _graduated(quantity: Decimal, billing_item: str) -> list[tuple[Decimal, Decimal]]:
    month = dt.date(2026, 10, 1)
    tiers = [t for t in read_seed(REPO, "rate_card_tiers") if t["billing_item"] == billing_item]
    in_force = max(t["effective_from"] for t in tiers if t["effective_from"] <= month)
    lines = []
    for tier in sorted(
        (t for t in tiers if t["effective_from"] == in_force), key=lambda t: t["tier"]
    ):
        upper = tier["upper_bound"]
        top = quantity if upper is None else min(quantity, upper)
        if top > tier["lower_bound"]:
            piece = top - tier["lower_bound"]
            lines.append((piece, _round(piece * tier["unit_price"], "0.01")))
    return lines


@pytest.mark.parametrize(
    ("organization_id", "billing_item", "quantity"),
    [
        ("org-huge-ingress", "data_ingress", _ratio6(BIGINT_MAX, GIB)),
        ("org-huge-twice", "data_ingress", _ratio6(2 * BIGINT_MAX, GIB)),
        ("org-huge-egress", "data_egress", _ratio6(BIGINT_MAX, GIB)),
        ("org-huge-retained", "data_retention", _ratio6(BIGINT_MAX, GIB * HOURS_IN_OCTOBER)),
    ],
)
def test_quantities_at_the_bigint_limit_are_billed_exactly(
    closed, organization_id, billing_item, quantity
):
    lines = [
        line
        for line in closed.table("statement_lines")
        if line["organization_id"] == organization_id
    ]
    assert {line["billing_item"] for line in lines} == {billing_item}
    got = [(line["quantity"], line["amount"]) for line in sorted(lines, key=lambda x: x["tier"])]
    assert got == _graduated(quantity, billing_item)
    [statement] = [s for s in closed.table("statements") if s["organization_id"] == organization_id]
    assert statement["total_amount"] == sum(amount for _, amount in got)


def test_a_prepaid_peak_at_the_bigint_limit_is_sized_without_overflow(closed):
    rows = closed.con.execute(
        "select instance_id, required_aku, exceeds_max_aku from marts.fct_instance_aku_hourly "
        "where organization_id = 'org-prepaid' order by instance_id"
    ).fetchall()
    [(instance, required, exceeds)] = rows  # the stopped instance needs no capacity
    assert instance == "peaks" and required > 2**31 and exceeds


# --------------------------------------------------------------------------------------------
# Hostile and odd ids


@pytest.mark.parametrize("organization_id", SQL_ORGS, ids=lambda org: org[:20])
def test_sql_looking_ids_are_data_verbatim(closed, organization_id):
    assert organization_id in {row["organization_id"] for row in closed.table("statements")}
    csv = pacsv.read_csv(
        closed.folder / "statements.csv",
        convert_options=pacsv.ConvertOptions(column_types={"organization_id": pa.string()}),
    )
    assert organization_id in csv.column("organization_id").to_pylist()
    [(count,)] = closed.con.execute(
        "select count(*) from marts.fct_statements where statement_month = '2026-10-01'"
    ).fetchall()
    assert count == len(closed.table("statements"))


@pytest.mark.parametrize(
    "organization_id", [*UNICODE_ORGS.values(), LONG_ID], ids=[*UNICODE_ORGS, "long"]
)
def test_unicode_and_long_ids_are_kept_verbatim(closed, organization_id):
    assert organization_id in {row["organization_id"] for row in closed.table("statement_lines")}


def test_a_formula_id_is_neutralised_in_csv_only(closed):
    assert '=HYPERLINK("x")' in {row["organization_id"] for row in closed.table("statements")}
    text = (closed.folder / "statements.csv").read_text()
    assert "'=HYPERLINK" in text and ',"=HYPERLINK' not in text


def test_a_file_name_with_a_quote_a_semicolon_and_brackets_is_read(closed):
    inputs = {entry["path"] for entry in _manifest(closed)["inputs"]}
    assert "usage_events/it's;odd [1].parquet" in inputs
    [(source,)] = closed.con.execute(
        "select source_file from intermediate.int_usage_events_classified "
        "where instance_id = 'odd-file-name'"
    ).fetchall()
    assert source == "usage_events/it's;odd [1].parquet"


def test_a_file_landed_twice_counts_once(closed):
    rated = closed.con.execute(
        "select sum(quantity) from intermediate.int_usage_events_classified "
        "where instance_id = 'copied-file' and outcome = 'rated'"
    ).fetchall()
    assert rated == [(7 * GIB,)]


# --------------------------------------------------------------------------------------------
# The product secret, licences and allocations


def test_the_product_secret_is_nowhere(closed):
    [(hashes,)] = closed.con.execute(
        "select count(*) from marts.dim_licenses where product_secret_sha256 is not null"
    ).fetchall()
    assert hashes == len(SECRETS)
    relations = closed.con.execute(
        "select table_schema, table_name from information_schema.tables"
    ).fetchall()
    searched = 0
    for schema, table in relations:
        columns = closed.con.execute(
            "select column_name from information_schema.columns "
            "where table_schema = ? and table_name = ? and data_type = 'VARCHAR'",
            [schema, table],
        ).fetchall()
        for (column,) in columns:
            condition = " or ".join(f'contains("{column}", ?)' for _ in SECRETS)
            [(found,)] = closed.con.execute(
                f'select count(*) from "{schema}"."{table}" where {condition}',  # noqa: S608
                SECRETS,
            ).fetchall()
            searched += 1
            assert found == 0, f"a secret is in {schema}.{table}.{column}"
    assert searched > 100
    files = [
        p
        for base in (closed.root / "output", closed.root / "wh")
        for p in base.rglob("*")
        if p.is_file()
    ]
    assert any(p.suffix == ".parquet" for p in files) and any(
        p.name == "dbt-run.jsonl" for p in files
    )
    for path in files:
        data = path.read_bytes()
        for secret in SECRETS:
            assert secret.encode() not in data, f"a secret is in {path}"


def test_identical_allocations_count_once_and_an_invalid_one_is_reported(closed):
    compliance = closed.table("license_compliance")
    assert [
        (row["kind"], row["detail"]) for row in compliance if row["kind"] == "invalid_allocation"
    ] == [("invalid_allocation", "aku_allocated is below 1")]
    [(allocated,)] = closed.con.execute(
        "select max(allocated_aku) from marts.fct_environment_capacity_hourly "
        "where environment_id = 'env-a'"
    ).fetchall()
    assert allocated == 2
    assert _manifest(closed)["license_compliance"]["invalid_allocation"] == 1


def test_every_output_has_a_csv_twin_and_a_hash_in_the_manifest(closed):
    manifest = _manifest(closed)
    files = sorted(p.name for p in closed.folder.iterdir() if p.suffix in (".parquet", ".csv"))
    assert sorted(manifest["outputs"]) == files
    for parquet in (p for p in closed.folder.glob("*.parquet")):
        assert (closed.folder / f"{parquet.stem}.csv").is_file()
        assert manifest["outputs"][parquet.name]["rows"] == pq.read_metadata(parquet).num_rows


def test_outputs_are_utc_whatever_the_host_zone(closed):
    quarantine = pq.read_table(closed.folder / "quarantine.parquet")
    assert quarantine.schema.field("hour_start").type.tz in ("UTC", "Etc/UTC")


# --------------------------------------------------------------------------------------------
# Analyses (analysis/): they compile and run against a closed warehouse, and an id with quotes
# passed as a var stays a string literal


def test_the_analyses_compile_and_run_and_trace_a_hostile_id(closed, tmp_path):
    organization_id = SQL_ORGS[0]
    scratch = tmp_path / "billing.duckdb"  # same database name as the fixture's warehouse
    variables = {"month": "2026-10-01", "organization_id": organization_id, "limit": 5}
    run_dbt(
        ["compile", "--select", "resource_type:analysis", "--vars", json.dumps(variables)],
        project_dir=REPO,
        warehouse=scratch,
    )
    compiled = work_dir_for(scratch) / "target" / "compiled" / "automq_billing" / "analysis"
    results = {
        path.stem: closed.con.execute(path.read_text(encoding="utf-8")).fetchall()
        for path in sorted(compiled.glob("*.sql"))
    }
    assert set(results) == {path.stem for path in (REPO / "analysis").glob("*.sql")}
    quarantined = sum(row[3] for row in results["quarantine_by_reason"])
    [(landed_quarantine,)] = closed.con.execute(
        "select count(*) from marts.fct_usage_quarantine"
    ).fetchall()
    assert quarantined == landed_quarantine > 0
    traced = [row for row in results["trace_statement_line"] if row[0] == "line"]
    lines = [
        line
        for line in closed.table("statement_lines")
        if line["organization_id"] == organization_id and line["billing_item"] == "data_ingress"
    ]
    assert lines and sorted(row[6] for row in traced) == sorted(line["amount"] for line in lines)


# --------------------------------------------------------------------------------------------
# model_checks (macros/tests/generic_tests.sql): each rule it folds still fails, naming itself


def test_each_folded_rule_of_model_checks_fails_and_names_itself(closed, tmp_path):
    tampered = tmp_path / "billing.duckdb"  # same database name as the fixture's warehouse
    shutil.copyfile(closed.warehouse, tampered)
    con = duckdb.connect(str(tampered))
    con.execute("""
        insert into marts.fct_usage_monthly select * from marts.fct_usage_monthly limit 1;
        update marts.fct_usage_monthly set billing_item = 'bogus_item' where rowid = 1;
        update marts.fct_usage_monthly set amount = null where rowid = 2;
        alter table marts.fct_usage_monthly alter amount type decimal(38, 3);
        update intermediate.int_usage_hours_pivoted set uptime_seconds = 4000 where rowid = 0;
        update intermediate.int_usage_hours_pivoted set rated_meters = rated_meters + 1
            where rowid = 1;
    """)
    con.close()
    with pytest.raises(BillingError) as failure:
        run_dbt(
            ["test", "--select", "fct_usage_monthly__checks", "int_usage_hours_pivoted__checks"],
            project_dir=REPO,
            warehouse=tampered,
        )
    message = str(failure.value)
    for rule in (
        "unique (organization_id, usage_month, billing_item)",
        "not null: amount",
        "accepted values: billing_item",
        "data type: amount",
        "range: uptime_seconds in [0, 3600]",
        "expression: rated_measurements = rated_meters",
    ):
        assert f"failed_check={rule}" in message, (rule, message)


@pytest.mark.parametrize("month", ["2026-10-01' or true --", "2026-10-15", "2026-13-01"])
def test_an_analysis_refuses_a_month_var_that_is_not_a_month(tmp_path, month):
    with pytest.raises(BillingError, match="var month must be the first day of a month"):
        run_dbt(
            [
                "compile",
                "--select",
                "marketplace_reconciliation_by_status",
                "--vars",
                json.dumps({"month": month}),
            ],
            project_dir=REPO,
            warehouse=tmp_path / "billing.duckdb",
        )
