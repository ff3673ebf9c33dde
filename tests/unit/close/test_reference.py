"""The close's reference gates (close/reference.py): every "problems" model is in the close's
selection (issue 16: the reference checks were outside it), and a gate with rows refuses the
close naming the seed and the problem. What the close builds (the exposure) and what it reads
(its SQL) are the same list (issue 22)."""

from __future__ import annotations

import json
import re
from pathlib import Path

import duckdb
import pytest
import yaml

from automq_billing.build import DuckDbEngine
from automq_billing.close import queries
from automq_billing.close.reference import (
    PROBLEM_MODELS,
    built_problem_models,
    refuse_reference_problems,
)
from automq_billing.errors import BillingError
from helpers import REPO

pytestmark = pytest.mark.unit

# the gates the close reads after its build: the seeds' problems, the month's unpriced usage and
# the issued months' edited reference data
GATES = {path.stem for path in (REPO / "models").rglob("*_problems.sql")} | {
    "int_usage_unpriced",
    "fct_instance_aku_hourly",  # prepaid hours no capacity spec sizes
    "rpt_correction_price_changes",
}
# the SQL a close runs on the warehouse once its build has finished
CLOSE_READERS = [
    *sorted((REPO / "src" / "automq_billing" / "close").glob("*.py")),
    REPO / "src" / "automq_billing" / "validation" / "mart_suites.py",
]
RELATION = re.compile(r"\b(?:staging|intermediate|marts)\.([a-z_][a-z0-9_]*)\b")
# in the exposure though no close query reads it: every usage charge of a closed month traces to
# its instances (analysis/trace_statement_line.sql), as the exposure's description says
BUILT_FOR_TRACING = {"fct_instance_usage_monthly"}


def _close_selection() -> set[str]:
    exposures = [
        exposure
        for path in (REPO / "models").rglob("_*__models.yml")
        for exposure in (yaml.safe_load(path.read_text(encoding="utf-8")).get("exposures") or [])
    ]
    [close] = [e for e in exposures if e["name"] == queries.CLOSE_EXPOSURE]
    return {ref.removeprefix("ref('").removesuffix("')") for ref in close["depends_on"]}


def test_every_gate_model_is_in_the_close_selection():
    assert set(PROBLEM_MODELS) == {p.stem for p in (REPO / "models").rglob("*_problems.sql")}
    assert GATES - _close_selection() == set()


def test_the_close_builds_exactly_what_it_reads():
    """The exposure is the close's selection (`dbt build --select +exposure:...`), and its
    depends_on is what the close's SQL reads: a relation read but not listed could be stale or
    missing when the close reads it, and one listed but not read is built for nothing."""
    assert queries.CLOSE_SELECTION == f"+exposure:{queries.CLOSE_EXPOSURE}"
    reads = {name for path in CLOSE_READERS for name in RELATION.findall(path.read_text("utf-8"))}
    reads |= set(PROBLEM_MODELS)  # read as intermediate.<name>
    assert reads - _close_selection() == set(), "read by the close but not in its exposure"
    assert _close_selection() - reads == BUILT_FOR_TRACING, "in the exposure but not read"


def _warehouse(tmp_path: Path) -> Path:
    path = tmp_path / "billing.duckdb"
    with duckdb.connect(str(path)) as con:
        con.execute("""
            create schema intermediate;
            create table intermediate.int_rate_card_problems (
                seed_name varchar, rate_card_version varchar, item varchar, tier integer,
                problem varchar);
            insert into intermediate.int_rate_card_problems values
                ('rate_card_tiers', '2026-01', 'data_ingress', 2,
                 'gap or overlap with the previous tier');
            create table intermediate.int_aku_reference_problems (
                seed_name varchar, item varchar, problem varchar);
            create table intermediate.int_marketplace_listing_problems (
                seed_name varchar, dimension varchar, problem varchar);
        """)
    return path


def _run_results(target: Path, statuses: dict[str, str]) -> Path:
    target.mkdir(parents=True)
    results = [
        {"unique_id": f"model.automq_billing.{name}", "status": status}
        for name, status in statuses.items()
    ]
    (target / "run_results.json").write_text(json.dumps({"results": results}), encoding="utf-8")
    return target


def test_a_gap_between_tiers_is_refused_naming_the_seed_and_the_problem(tmp_path):
    target = _run_results(tmp_path / "target", dict.fromkeys(PROBLEM_MODELS, "success"))
    with pytest.raises(BillingError) as refusal:
        refuse_reference_problems(DuckDbEngine(_warehouse(tmp_path), REPO), target)
    assert (
        "seeds/rate_card_tiers.csv: gap or overlap with the previous tier (rate_card_version "
        "2026-01, item data_ingress, tier 2)" in str(refusal.value)
    )


def test_a_gate_the_build_did_not_run_is_not_read(tmp_path):
    """Its table may hold an earlier build's rows (its seed failed to load this time)."""
    target = _run_results(
        tmp_path / "target",
        {"int_rate_card_problems": "skipped", "int_aku_reference_problems": "success"},
    )
    assert built_problem_models(target) == ["int_aku_reference_problems"]
    refuse_reference_problems(DuckDbEngine(_warehouse(tmp_path), REPO), target)  # nothing to refuse


def test_the_results_of_an_earlier_run_are_not_read(tmp_path):
    """dbt stopped before writing its results (a parse error): the problems an earlier run
    found are not reported again."""
    target = _run_results(tmp_path / "target", dict.fromkeys(PROBLEM_MODELS, "success"))
    since = (target / "run_results.json").stat().st_mtime + 1
    assert built_problem_models(target, since) == []
    refuse_reference_problems(
        DuckDbEngine(_warehouse(tmp_path), REPO), target, since
    )  # nothing to refuse
