"""The code fingerprint (warehouse.code_fingerprint) covers every file dbt reads: a new data test,
analysis or profile change makes the next close build and test again instead of reusing the
warehouse (issue 17: a newly added data test was skipped by a re-close with nothing new)."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from automq_billing.warehouse import code_fingerprint, dbt_project_files
from helpers import REPO

pytestmark = pytest.mark.unit


@pytest.fixture
def project(tmp_path) -> Path:
    for name in ("dbt_project.yml", "profiles.yml", "models", "macros", "seeds", "analysis"):
        source = REPO / name
        if source.is_dir():
            shutil.copytree(source, tmp_path / name)
        else:
            shutil.copy2(source, tmp_path / name)
    shutil.copytree(REPO / "tests" / "dbt", tmp_path / "tests" / "dbt")
    return tmp_path


def test_every_path_dbt_project_yml_names_is_covered():
    covered = {path.relative_to(REPO).parts[0] for path in dbt_project_files(REPO)}
    assert covered >= {"dbt_project.yml", "profiles.yml", "models", "macros", "seeds", "analysis"}
    assert REPO / "tests" / "dbt" / "assert_statement_totals_equal_line_sums.sql" in set(
        dbt_project_files(REPO)
    )
    assert not any(path.suffix == ".py" for path in dbt_project_files(REPO))  # not pytest's


@pytest.mark.parametrize(
    "added",
    [
        "tests/dbt/assert_something_new.sql",
        "tests/dbt/fixtures/new_fixture.csv",
        "analysis/new_analysis.sql",
        "models/marts/finance/new_model.sql",
        "macros/new_macro.sql",
        "snapshots/new_snapshot.sql",  # dbt's default snapshot-paths
    ],
)
def test_a_new_file_dbt_reads_changes_the_fingerprint(project, added):
    before = code_fingerprint(project)
    (project / added).parent.mkdir(parents=True, exist_ok=True)
    (project / added).write_text("select 1 as one where false\n", encoding="utf-8")
    assert code_fingerprint(project) != before


def test_an_edited_profile_or_test_changes_the_fingerprint(project):
    before = code_fingerprint(project)
    profile = project / "profiles.yml"
    profile.write_text(profile.read_text(encoding="utf-8") + "\n# edited\n", encoding="utf-8")
    after_profile = code_fingerprint(project)
    test = project / "tests" / "dbt" / "assert_statement_totals_equal_line_sums.sql"
    test.write_text(test.read_text(encoding="utf-8").replace("!=", "="), encoding="utf-8")
    assert len({before, after_profile, code_fingerprint(project)}) == 3


def test_a_file_outside_what_dbt_reads_does_not(project):
    before = code_fingerprint(project)
    (project / "README.md").write_text("notes\n", encoding="utf-8")
    (project / "tests" / "unit").mkdir(parents=True)
    (project / "tests" / "unit" / "test_x.py").write_text("x = 1\n", encoding="utf-8")
    assert code_fingerprint(project) == before
