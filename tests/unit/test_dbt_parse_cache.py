"""The partial-parse cache between warehouses (dbt_runner._seed_partial_parse and
_keep_partial_parse) is used only when it is exactly the parse kept for this project state:
an edited cache (issue 17: `quantity * unit_price` became `quantity + unit_price` and the close
published it) is never handed to dbt, and no cache file is read or written through a symbolic
link."""

from __future__ import annotations

import hashlib
import shutil
from pathlib import Path

import pytest

from automq_billing.dbt_runner import _PARTIAL_PARSE, _keep_partial_parse, _seed_partial_parse
from helpers import REPO

pytestmark = pytest.mark.unit

GENUINE = b"\x81\xa4sql\xb4quantity * unit_price"  # stands for dbt's msgpack
TAMPERED = b"\x81\xa4sql\xb4quantity + unit_price"


@pytest.fixture
def cache(tmp_path, monkeypatch) -> Path:
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "cache"))
    return tmp_path / "cache" / "automq-billing"


@pytest.fixture
def project(tmp_path) -> Path:
    project = tmp_path / "project"
    for name in ("dbt_project.yml", "profiles.yml", "models", "macros", "seeds"):
        source = REPO / name
        if source.is_dir():
            shutil.copytree(source, project / name)
        else:
            project.mkdir(exist_ok=True)
            shutil.copy2(source, project / name)
    return project


def keep(project: Path, tmp_path: Path, name: str = "built") -> Path:
    built = tmp_path / name / "target"
    built.mkdir(parents=True)
    (built / _PARTIAL_PARSE).write_bytes(GENUINE)
    _keep_partial_parse(project, built)
    return built


def seeded(project: Path, tmp_path: Path, name: str) -> bytes | None:
    target = tmp_path / name / "target"
    _seed_partial_parse(project, target)
    path = target / _PARTIAL_PARSE
    return path.read_bytes() if path.exists() else None


def test_a_kept_parse_starts_the_next_warehouse(project, cache, tmp_path):
    keep(project, tmp_path)
    [kept] = cache.iterdir()
    assert kept.name.endswith(f"-{hashlib.sha256(GENUINE).hexdigest()}.msgpack")
    assert seeded(project, tmp_path, "new") == GENUINE


def test_an_edited_cache_is_never_used(project, cache, tmp_path):
    keep(project, tmp_path)
    [kept] = cache.iterdir()
    kept.write_bytes(TAMPERED)  # same name, other bytes
    assert seeded(project, tmp_path, "new") is None  # dbt parses the project itself


def test_a_parse_kept_for_another_project_state_is_not_used(project, cache, tmp_path):
    keep(project, tmp_path)
    model = project / "models" / "marts" / "finance" / "fct_statement_lines.sql"
    model.write_text(model.read_text(encoding="utf-8") + "\n", encoding="utf-8")
    assert seeded(project, tmp_path, "new") is None


def test_a_warehouse_keeps_its_own_parse(project, cache, tmp_path):
    keep(project, tmp_path)
    target = tmp_path / "own" / "target"
    target.mkdir(parents=True)
    (target / _PARTIAL_PARSE).write_bytes(b"its own")
    _seed_partial_parse(project, target)
    assert (target / _PARTIAL_PARSE).read_bytes() == b"its own"


def test_a_cache_file_that_is_a_link_is_not_followed(project, cache, tmp_path):
    keep(project, tmp_path)
    [kept] = cache.iterdir()
    elsewhere = tmp_path / "elsewhere.msgpack"
    elsewhere.write_bytes(GENUINE)  # even bytes that match the name
    kept.unlink()
    kept.symlink_to(elsewhere)
    assert seeded(project, tmp_path, "new") is None


def test_no_parse_is_written_or_read_through_a_link(project, cache, tmp_path):
    victim = tmp_path / "victim"
    victim.mkdir()
    cache.parent.mkdir(parents=True)
    cache.symlink_to(victim)  # the cache folder is a link: nothing is kept there
    keep(project, tmp_path)
    assert list(victim.iterdir()) == []
    cache.unlink()
    # the warehouse's parse is a link to some other file: it is not copied into the cache
    built = tmp_path / "linked" / "target"
    built.mkdir(parents=True)
    secret = tmp_path / "secret.txt"
    secret.write_bytes(b"not a parse")
    (built / _PARTIAL_PARSE).symlink_to(secret)
    _keep_partial_parse(project, built)
    assert not cache.exists() or list(cache.iterdir()) == []
    # a planted link where the new warehouse's parse goes is never written through
    keep(project, tmp_path, "built-again")
    target = tmp_path / "planted" / "target"
    target.mkdir(parents=True)
    (target / _PARTIAL_PARSE).symlink_to(secret)
    _seed_partial_parse(project, target)
    assert secret.read_bytes() == b"not a parse"
