"""build.SparkEngine on its own (SPEC 11): the load writes what the control store loaded to
Spark, one partition per load, again and again the same; a full refresh writes it all again;
`query` binds parameters as values; `write_table` replaces or appends; Arrow types read back as
DuckDB gives them."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pyarrow as pa
import pytest

pytest.importorskip("pyspark")

from automq_billing.build import make_engine  # noqa: E402
from automq_billing.landing import survey_landing  # noqa: E402
from automq_billing.vocabulary import load_vocabulary  # noqa: E402
from helpers import REPO, usage_row, write_usage  # noqa: E402

pytestmark = pytest.mark.spark
VOCABULARY = load_vocabulary(REPO)


def _counts(engine) -> tuple[dict, dict]:
    spark = {
        d.name: engine.query(f"select count(*) as n from landing.{d.name}").column("n")[0].as_py()  # noqa: S608
        for d in VOCABULARY.datasets
    }
    with engine.connect(read_only=True) as con:
        store = {
            d.name: con.execute(f"select count(*) from landing.{d.name}").fetchall()[0][0]  # noqa: S608
            for d in VOCABULARY.datasets
        }
    return spark, store


def test_the_load_writes_each_load_once_and_a_full_refresh_all_again(spark_warehouse, tmp_path):
    landing = tmp_path / "landing"
    write_usage(landing / "usage_events" / "a.parquet", [usage_row(event_id="e-1")])
    engine = make_engine("spark", spark_warehouse, REPO)
    engine.load(survey_landing(landing, VOCABULARY), full_refresh=True, progress=print)
    write_usage(landing / "usage_events" / "b.parquet", [usage_row(event_id="e-2")])
    engine.load(survey_landing(landing, VOCABULARY), full_refresh=False, progress=print)
    engine.mirror()  # nothing new: the same tables
    spark, store = _counts(engine)
    assert spark == store and spark["usage_events"] == 2
    ids = engine.query("select event_id, load_id from landing.usage_events order by event_id")
    assert ids.to_pylist() == [{"event_id": "e-1", "load_id": 1}, {"event_id": "e-2", "load_id": 2}]
    engine.load(survey_landing(landing, VOCABULARY), full_refresh=True, progress=print)
    ids = engine.query("select event_id, load_id from landing.usage_events order by event_id")
    assert ids.to_pylist() == [{"event_id": "e-1", "load_id": 1}, {"event_id": "e-2", "load_id": 1}]


def test_query_binds_values_and_reads_types_as_duckdb_gives_them(spark_warehouse):
    engine = make_engine("spark", spark_warehouse, REPO)
    table = pa.table(
        {
            "id": pa.array(["x'; drop table t; --", "b"]),
            "amount": pa.array([Decimal("1.10"), None], pa.decimal128(38, 2)),
            "month": pa.array([dt.date(2026, 9, 1), dt.date(2026, 10, 1)]),
            "at": pa.array(
                [dt.datetime(2026, 9, 1, 12, tzinfo=dt.UTC), None], pa.timestamp("us", tz="UTC")
            ),
            "wall": pa.array([dt.datetime(2026, 9, 1), None], pa.timestamp("us")),
        }
    )
    engine.write_table("scratch.values_read", table)
    engine.write_table("scratch.values_read", table.slice(1), mode="append")
    read = engine.query(
        "select * from scratch.values_read where id = $id or month = $month order by id",
        {"id": "x'; drop table t; --", "month": dt.date(2026, 10, 1)},
    )
    assert read.schema == table.schema
    assert [str(v) for v in read.column("amount").to_pylist()] == ["None", "None", "1.10"]
    assert read.column("id").to_pylist() == ["b", "b", "x'; drop table t; --"]
    engine.write_table("scratch.values_read", table.slice(0, 1))
    assert engine.query("select count(*) as n from scratch.values_read").column("n")[0].as_py() == 1
