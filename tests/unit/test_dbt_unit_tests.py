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


# Model contracts (STYLE.md, "Tests and docs"): every model is described in its folder's
# `_<folder>__models.yml` with a `Grain:` line, and tests its key: a model_checks test with a
# `unique` combination (or dbt's `unique`), or `is_empty` for a list that must stay empty.
KEY_TESTS = {"unique", "is_empty"}


def _manifest(empty_build) -> dict:
    _, manifest_path = empty_build
    return json.loads(manifest_path.read_text(encoding="utf-8"))


def _models(manifest: dict) -> list[dict]:
    return sorted(
        (node for node in manifest["nodes"].values() if node["resource_type"] == "model"),
        key=lambda node: node["name"],
    )


def _is_key_test(test: dict) -> bool:
    metadata = test.get("test_metadata") or {}
    if test["config"].get("severity", "error").lower() != "error":
        return False
    if metadata.get("name") == "model_checks":
        return bool(metadata.get("kwargs", {}).get("unique"))
    return metadata.get("name") in KEY_TESTS


def test_every_model_has_yaml_in_its_folder_with_a_grain_line(empty_build):
    missing, misplaced, no_grain = [], [], []
    for model in _models(_manifest(empty_build)):
        folder = Path(model["original_file_path"]).parent
        expected = (folder / f"_{folder.name}__models.yml").as_posix()
        patch = (model.get("patch_path") or "").split("://", 1)[-1]
        if not patch:
            missing.append(model["name"])
        elif patch != expected:
            misplaced.append(f"{model['name']} (in {patch}, not {expected})")
        elif "Grain:" not in model.get("description", ""):
            no_grain.append(model["name"])
    assert not missing, f"models with no YAML: {missing}"
    assert not misplaced, f"models described outside their folder's YAML: {misplaced}"
    assert not no_grain, f"models whose description has no 'Grain:' line: {no_grain}"


def test_every_model_tests_its_key(empty_build):
    manifest = _manifest(empty_build)
    keyed = {
        test.get("attached_node")
        for test in manifest["nodes"].values()
        if test["resource_type"] == "test" and _is_key_test(test)
    }
    unkeyed = [model["name"] for model in _models(manifest) if model["unique_id"] not in keyed]
    assert not unkeyed, (
        "models with no key test (a model_checks test with `unique`, `unique`, or `is_empty` "
        f"for a list that must stay empty): {unkeyed}"
    )


def test_unit_tests_live_beside_their_model_in_the_folders_unit_test_file(empty_build):
    manifest = _manifest(empty_build)
    assert manifest["unit_tests"]
    wrong = []
    for unit_test in manifest["unit_tests"].values():
        model = manifest["nodes"][unit_test["depends_on"]["nodes"][0]]
        folder = Path(model["original_file_path"]).parent
        expected = (folder / f"_{folder.name}__unit_tests.yml").as_posix()
        if unit_test["original_file_path"] != expected:
            wrong.append(f"{unit_test['name']} ({unit_test['original_file_path']}, not {expected})")
    assert not wrong, f"unit tests outside their model's _<folder>__unit_tests.yml: {wrong}"


def test_no_test_of_a_seed_stops_its_reference_gate_from_building(empty_build):
    """A gate model (int_*_problems) lists what is wrong with the seeds it reads, and the close
    refuses naming the seed and the problem; dbt skips a model whose parent failed a test, so a
    test on a seed's staging model waits for a gate (model_checks `after`): a broken seed then
    still builds the gate."""
    manifest = _manifest(empty_build)
    gates = {m["unique_id"] for m in _models(manifest) if m["name"].endswith("_problems")}
    gate_parents = {
        parent for gate in gates for parent in manifest["nodes"][gate]["depends_on"]["nodes"]
    }
    blocking = [
        test["name"]
        for test in manifest["nodes"].values()
        if test["resource_type"] == "test"
        and test.get("attached_node") in gate_parents
        and not gates & set(test["depends_on"]["nodes"])
    ]
    assert gates and gate_parents
    assert not blocking, f"tests that would stop a reference gate from building: {blocking}"
