"""Choosing the engine (SPEC 11): --engine, else AUTOMQ_BILLING_ENGINE, else duckdb; an unknown or
unavailable engine is an error, never a fall-back to the other; the Spark engine's paths and the
translation of the close's $-parameters into Spark's named parameters."""

from __future__ import annotations

import sys

import pytest

from automq_billing.build import DuckDbEngine, engine_name, make_engine
from automq_billing.build.spark_engine import SparkEngine
from automq_billing.build.spark_session import spark_session, spark_sql
from automq_billing.cli import build_parser
from automq_billing.errors import BillingError
from helpers import REPO

pytestmark = pytest.mark.unit


def test_the_option_wins_over_the_environment_and_duckdb_is_the_default(monkeypatch):
    monkeypatch.delenv("AUTOMQ_BILLING_ENGINE", raising=False)
    assert engine_name(None) == "duckdb"
    monkeypatch.setenv("AUTOMQ_BILLING_ENGINE", "Spark")
    assert engine_name(None) == "spark"
    assert engine_name("duckdb") == "duckdb"
    monkeypatch.setenv("AUTOMQ_BILLING_ENGINE", "postgres")
    with pytest.raises(BillingError, match="Unknown engine 'postgres'"):
        engine_name(None)


def test_engines_by_name_and_where_each_keeps_its_files(tmp_path):
    duck = make_engine("duckdb", tmp_path / "billing.duckdb", REPO)
    spark = make_engine("spark", tmp_path / "spark", REPO)
    assert isinstance(duck, DuckDbEngine) and duck.warehouse_file == tmp_path / "billing.duckdb"
    assert isinstance(spark, SparkEngine) and spark.name == "spark"
    assert spark.warehouse_file == tmp_path / "spark" / "control_store.duckdb"
    assert spark.dbt_target() == tmp_path / "spark" / ".dbt" / "target"
    (tmp_path / "file.duckdb").write_bytes(b"")
    with pytest.raises(BillingError, match="keeps its warehouse in a folder"):
        make_engine("spark", tmp_path / "file.duckdb", REPO).check_writable()


@pytest.mark.parametrize("command", ["close", "reconcile", "load", "validate"])
def test_the_commands_that_build_take_engine(command):
    args = ["--month", "2026-10"] if command in ("close", "reconcile") else []
    parsed = build_parser().parse_args([command, *args, "--engine", "spark"])
    assert parsed.engine == "spark"
    with pytest.raises(SystemExit):
        build_parser().parse_args([command, *args, "--engine", "sqlite"])


def test_spark_not_installed_is_an_error_naming_the_extra(monkeypatch, tmp_path):
    monkeypatch.setitem(sys.modules, "pyspark.sql", None)  # import fails as when not installed
    monkeypatch.setattr("automq_billing.build.spark_session._session", None)
    with pytest.raises(BillingError, match="pyspark and dbt-spark") as refused:
        spark_session(tmp_path / "spark")
    assert "make install-spark" in refused.value.hint and "--engine duckdb" in refused.value.hint


def test_dollar_parameters_become_named_parameters_bound_as_values():
    seen = {}

    class Session:
        def sql(self, text, args=None):
            seen.update(text=text, args=args)

    spark_sql(Session(), "select * from t where m = $month and x = $x", {"month": 1, "x": "'"})
    assert seen == {
        "text": "select * from t where m = :month and x = :x",
        "args": {"month": 1, "x": "'"},
    }
    spark_sql(Session(), "select 1", None)
    assert seen["text"] == "select 1" and seen["args"] is None


@pytest.mark.parametrize("command", ["finalize", "status", "documents", "close", "generate"])
def test_every_command_keeps_project_dir(command):
    args = {"finalize": ["--month", "2026-10"], "documents": ["--month", "2026-10"]}
    args |= {"close": ["--month", "2026-10"], "generate": ["--out", "x", "--months", "2026-10"]}
    parsed = build_parser().parse_args([command, *args.get(command, []), "--project-dir", "p"])
    assert parsed.project_dir == "p"
