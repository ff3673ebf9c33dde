"""The output folder's names (automq_billing.book.names): what each run writes into before it
publishes is exactly what the cleanup after a killed run recognises, and the numbering of
`v<N>`, `r<N>` and `documents-<k>` counts only names a run writes."""

from __future__ import annotations

import datetime as dt
import os

import pytest

from automq_billing.book import names
from automq_billing.book.publish import remove_own_temporaries
from automq_billing.errors import BillingError

pytestmark = pytest.mark.unit
OCTOBER = dt.date(2026, 10, 1)


def test_every_temporary_a_run_writes_is_one_the_cleanup_recognises(tmp_path):
    version = names.version_folder(tmp_path, OCTOBER, 3)
    assert version == tmp_path / "2026-10" / "v3"
    written = [
        names.version_temporary(tmp_path, OCTOBER, 3),
        names.reconciliation_temporary(tmp_path, OCTOBER, 2),
        names.rendering_temporary(version, 4),
    ]
    for temporary in written:
        match = names.TEMPORARY.fullmatch(temporary.name)
        assert match and int(match["pid"]) == os.getpid(), temporary.name
    assert names.FINAL_TEMPORARY.fullmatch(names.final_temporary(tmp_path / "2026-10").name)
    assert names.reconciliation_folder(tmp_path, OCTOBER) == tmp_path / "2026-10" / "reconciliation"


def test_a_killed_runs_temporaries_are_removed_and_nothing_else(tmp_path):
    version = tmp_path / "2026-10" / "v1"
    version.mkdir(parents=True)
    gone = 2**22 + 12345  # above Linux's default pid_max: no such process
    left = [
        tmp_path / f".2026-10-v2.tmp-{gone}",
        tmp_path / f".2026-10-r1.tmp-{gone}",
        version / f".documents-2.tmp-{gone}",
    ]
    running = os.getppid()  # a run still going: its temporary is its own
    kept = [tmp_path / f".2026-10-v3.tmp-{running}", version / "documents-2", tmp_path / "notes"]
    for folder in left + kept:
        folder.mkdir()
    assert sorted(remove_own_temporaries(tmp_path)) == sorted(left)
    assert all(folder.is_dir() for folder in kept)


def test_numbering_counts_only_the_names_a_run_writes(tmp_path):
    month = tmp_path / "2026-10"
    assert names.next_version_number(tmp_path, OCTOBER) == 1
    for name in ("v1", "v3", "v04", "v2x", "documents"):
        (month / name).mkdir(parents=True)
    assert names.next_version_number(tmp_path, OCTOBER) == 4  # v04 is not v4
    version = month / "v3"
    assert names.next_rendering_number(version) == 2  # documents/ is the close's own
    for name in ("documents-2", "documents-5", "documents-x"):
        (version / name).mkdir()
    assert names.next_rendering_number(version) == 6
    (month / "v5").write_text("not a folder")
    with pytest.raises(BillingError, match="is a file where a version folder belongs"):
        names.next_version_number(tmp_path, OCTOBER)
