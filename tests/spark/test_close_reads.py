"""What the close reads once dbt has built the warehouse, read through Spark (SPEC 11): the month's
output tables, the gates, the manifest's counts and the mart suites' frames come out of Spark as
out of DuckDB, row for row and value for value, types included.

The marts and intermediate relations a DuckDB close built are copied into the Spark catalog as
they are (build.Engine.write_table), then the close's reading of the month (close.run._read_month,
the landed months, the usage priced elsewhere) runs on both. This holds the Python side of the
Spark close to DuckDB's whatever the state of the models on Spark; test_engine_parity closes on
both engines end to end.
"""

from __future__ import annotations

import datetime as dt
import re
from pathlib import Path

import pyarrow as pa
import pytest

pytest.importorskip("pyspark")

from automq_billing import warehouse  # noqa: E402
from automq_billing.build import make_engine  # noqa: E402
from automq_billing.close import CloseOptions  # noqa: E402
from automq_billing.close import warnings as noted  # noqa: E402
from automq_billing.close.book import LANDED_MONTHS  # noqa: E402
from automq_billing.close.run import CloseRun, _read_month  # noqa: E402
from automq_billing.vocabulary import load_vocabulary  # noqa: E402
from helpers import REPO  # noqa: E402

pytestmark = pytest.mark.spark

# the SQL a close runs on the warehouse once its build has finished (tests/unit/close/
# test_reference.py keeps the exposure equal to it), and the loaded tables it reads
READERS = [
    *sorted((REPO / "src" / "automq_billing" / "close").glob("*.py")),
    REPO / "src" / "automq_billing" / "validation" / "mart_suites.py",
]
RELATION = re.compile(r"\b(?:from|join)\s+((?:intermediate|marts|landing)\.[a-z_][a-z0-9_]*)\b")


def _read_relations() -> list[str]:
    names = {n for path in READERS for n in RELATION.findall(path.read_text("utf-8"))}
    return sorted(names)


def _same(duck: pa.Table, spark: pa.Table) -> list[str]:
    if duck.schema != spark.schema:
        return [
            f"{a.name}: duckdb {a.type}{'' if a.nullable else ' not null'} != spark "
            f"{b.name}: {b.type}{'' if b.nullable else ' not null'}"
            for a, b in zip(duck.schema, spark.schema, strict=False)
            if a != b
        ] or [f"columns: duckdb {duck.schema.names} != spark {spark.schema.names}"]
    a = [{k: str(v) for k, v in row.items()} for row in duck.to_pylist()]
    b = [{k: str(v) for k, v in row.items()} for row in spark.to_pylist()]
    return [] if a == b else [f"rows differ: duckdb {a[:3]} != spark {b[:3]}"]


def _rows(frame) -> list[tuple]:
    return sorted(tuple(str(v) for v in row) for row in frame.itertuples(index=False))


def test_the_close_reads_the_same_month_through_spark(spark_closed, duck_closed, spark_warehouse):
    # spark_closed first: the tier's Spark closes build the catalog before this test writes
    # DuckDB's tables into it
    duck_warehouse: Path = duck_closed["warehouse"]
    month = dt.date(2026, 10, 1)
    engine = make_engine("spark", spark_warehouse, REPO)
    with warehouse.connect(duck_warehouse, read_only=True) as con:
        for name in _read_relations():
            engine.write_table(name, con.sql(f"select * from {name}").to_arrow_table())  # noqa: S608
    options = CloseOptions(
        month=month,
        landing=duck_closed["landing"],
        output=duck_closed["root"] / "unused",
        warehouse=duck_warehouse,
        project_dir=REPO,
    )
    run = CloseRun(options, load_vocabulary(REPO), lambda message: None)
    with warehouse.connect(duck_warehouse, read_only=True) as con:
        duck = _read_month(con, run)
        duck_landed = con.execute(LANDED_MONTHS).fetchall()
        duck_unpriced = noted.unpriced_elsewhere(con, month)
    with engine.reader() as con:
        spark = _read_month(con, run)
        spark_landed = con.execute(LANDED_MONTHS).fetchall()
        spark_unpriced = noted.unpriced_elsewhere(con, month)
    assert sorted(duck.tables) == sorted(spark.tables)
    problems = {
        name: found
        for name in duck.tables
        if (found := _same(duck.tables[name], spark.tables[name]))
    }
    assert problems == {}
    assert duck.conservation == spark.conservation
    assert duck.licenses == spark.licenses
    assert duck.quarantine_value == spark.quarantine_value
    assert duck.corrections_by_month == spark.corrections_by_month
    assert duck.outside_window == spark.outside_window
    assert (duck_landed, duck_unpriced) == (spark_landed, spark_unpriced)
    frames = {s.name: _rows(s.frame) for s in duck.suites}
    for suite in spark.suites:  # the suites' frames are sets of rows: compared in one order
        assert _rows(suite.frame) == frames[suite.name], suite.name
