"""The close loads the landing in a child process (issue 18): the close process never holds what
was loaded while dbt runs; rows, progress and errors (with their hint) come back unchanged."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import duckdb
import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from automq_billing.build.load_apart import load_apart
from automq_billing.errors import BillingError
from automq_billing.landing import survey_landing
from automq_billing.vocabulary import load_vocabulary
from helpers import REPO, USAGE_SCHEMA, usage_row

pytestmark = pytest.mark.unit
VOCABULARY = load_vocabulary(REPO)


def _landing(root: Path, rows: list[dict], name: str = "usage.parquet") -> Path:
    path = root / "landing" / "usage_events" / name
    path.parent.mkdir(parents=True, exist_ok=True)
    pq.write_table(pa.Table.from_pylist(rows, schema=USAGE_SCHEMA), path)
    return root / "landing"


def test_the_load_runs_apart_and_its_rows_and_progress_come_back(tmp_path):
    landing = _landing(tmp_path, [usage_row(event_id=f"e{i}", quantity=i) for i in range(50)])
    said: list[str] = []
    survey = survey_landing(landing, VOCABULARY)
    result = load_apart(
        tmp_path / "wh.duckdb", survey, REPO, full_refresh=False, progress=said.append
    )
    assert [(f.relative, f.rows, f.new) for f in result.files] == [
        ("usage_events/usage.parquet", 50, True)
    ]
    assert result.load_id == 1 and any("loading 1 new file" in line for line in said)
    with duckdb.connect(str(tmp_path / "wh.duckdb"), read_only=True) as con:
        assert con.execute("select count(*) from landing.usage_events").fetchall() == [(50,)]
    again = load_apart(
        tmp_path / "wh.duckdb", survey, REPO, full_refresh=False, progress=said.append
    )
    assert again.new_files == []


def test_the_close_process_itself_never_loads(tmp_path):
    """In a fresh interpreter standing for the close: the load leaves a child's resource usage
    behind (an in-process load would leave none)."""
    _landing(tmp_path, [usage_row(event_id=f"e{i}") for i in range(10)])
    script = (
        "import json, resource, sys; from pathlib import Path\n"
        "from automq_billing.build.load_apart import load_apart\n"
        "from automq_billing.landing import survey_landing\n"
        "from automq_billing.vocabulary import load_vocabulary\n"
        "root, repo = Path(sys.argv[1]), Path(sys.argv[2])\n"
        "vocabulary = load_vocabulary(repo)\n"
        "survey = survey_landing(root / 'landing', vocabulary)\n"
        "load_apart(root / 'wh.duckdb', survey, repo, full_refresh=False, progress=print)\n"
        "print(json.dumps(resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss))\n"
    )
    finished = subprocess.run(
        [sys.executable, "-c", script, str(tmp_path), str(REPO)],
        capture_output=True,
        text=True,
        check=True,
        timeout=300,
    )
    children_peak_kib = json.loads(finished.stdout.strip().splitlines()[-1])
    assert children_peak_kib > 10_000  # a child interpreter that imported DuckDB and loaded


def test_a_refused_file_comes_back_as_the_same_error_with_its_hint(tmp_path):
    landing = _landing(tmp_path, [usage_row()])
    table = pa.Table.from_pylist([usage_row()], schema=USAGE_SCHEMA)
    table = table.set_column(
        table.schema.get_field_index("quantity"), "quantity", pa.array(["many"], pa.string())
    )
    pq.write_table(table, landing / "usage_events" / "bad.parquet")
    survey = survey_landing(landing, VOCABULARY)
    with pytest.raises(BillingError) as refused:
        load_apart(tmp_path / "wh.duckdb", survey, REPO, full_refresh=False, progress=print)
    assert "bad.parquet" in str(refused.value)
    assert refused.value.hint
