"""Every billing rule's dbt unit tests (`unit_tests:` beside the models: record rules, tiers,
rate card versions, uptime, retention, AKU sizing, licence terms and prices, revenue schedules,
chargeback, corrections, Marketplace), run on empty parents in a scratch warehouse: the models
are built with `--empty` and no data test runs. The same build's manifest shows the layers."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from automq_billing.dbt_runner import DbtResult, run_dbt, work_dir_for
from automq_billing.errors import BillingError
from helpers import REPO

pytestmark = pytest.mark.unit

# What each layer may read (STYLE.md): staging reads sources and seeds, intermediate reads
# staging and intermediate, marts read anything but never the other way round.
MAY_READ = {
    "staging": {"source", "seed", "staging"},
    "intermediate": {"seed", "staging", "intermediate"},
    "marts": {"seed", "staging", "intermediate", "marts"},
}


@pytest.fixture(scope="module")
def empty_build(tmp_path_factory) -> tuple[DbtResult, Path]:
    warehouse = tmp_path_factory.mktemp("dbt_unit") / "unit.duckdb"
    try:
        result = run_dbt(
            ["build", "--empty", "--exclude", "test_type:data"],
            project_dir=REPO,
            warehouse=warehouse,
        )
    except BillingError as error:
        pytest.fail(str(error))
    return result, work_dir_for(warehouse) / "target" / "manifest.json"


def test_every_dbt_unit_test_passes(empty_build):
    result, _ = empty_build
    assert result.passed >= 30, result


def _layer(node: dict) -> str:
    if node["resource_type"] in {"source", "seed"}:
        return node["resource_type"]
    return Path(node["original_file_path"]).parts[1]  # models/<layer>/...


def test_no_layer_reads_a_layer_above_it(empty_build):
    _, manifest_path = empty_build
    manifest = json.loads(manifest_path.read_text(encoding="utf-8"))
    nodes = {**manifest["nodes"], **manifest["sources"]}
    models = [node for node in manifest["nodes"].values() if node["resource_type"] == "model"]
    assert {_layer(model) for model in models} == set(MAY_READ)
    wrong = [
        f"{model['name']} ({_layer(model)}) reads {nodes[parent]['name']} ({_layer(nodes[parent])})"
        for model in models
        for parent in model["depends_on"]["nodes"]
        if _layer(nodes[parent]) not in MAY_READ[_layer(model)]
    ]
    assert not wrong, wrong


def test_every_model_ends_with_select_star_from_final():
    endings = {
        path.relative_to(REPO).as_posix(): path.read_text(encoding="utf-8").split()[-4:]
        for path in (REPO / "models").rglob("*.sql")
    }
    assert (
        endings
        and {name for name, words in endings.items() if words != ["select", "*", "from", "final"]}
        == set()
    )
