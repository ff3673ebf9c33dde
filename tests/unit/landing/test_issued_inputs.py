"""The inputs of an issued month stay landed (SPEC 8, issue 16): a landed file a final month's
manifest lists must still be in the landing with the same sha256, whatever the warehouse knows
(a full refresh or a new --warehouse included)."""

from __future__ import annotations

import datetime as dt
import json
import os
from pathlib import Path

import pytest

from automq_billing.book.folder import Final, Month, Version
from automq_billing.errors import BillingError
from automq_billing.landing import survey_landing
from automq_billing.landing.hashing import hash_landed, sha256_file
from automq_billing.landing.issued_inputs import check_issued_inputs
from automq_billing.vocabulary import load_vocabulary
from helpers import REPO, usage_row, write_usage

pytestmark = pytest.mark.unit
VOCABULARY = load_vocabulary(REPO)
SEPTEMBER, OCTOBER = dt.date(2026, 9, 1), dt.date(2026, 10, 1)


def _month(output: Path, month: dt.date, inputs: list | None, final: bool = True) -> Month:
    folder = output / month.strftime("%Y-%m")
    version = Version(month=month, number=1, folder=folder / "v1")
    version.folder.mkdir(parents=True)
    manifest = {"month": month.strftime("%Y-%m"), "version": 1}
    if inputs is not None:
        manifest["inputs"] = inputs
    (version.folder / "manifest.json").write_text(json.dumps(manifest), encoding="utf-8")
    issued = Final(
        month=month, version=1, finalized_at="2026-10-05T00:00:00+00:00", sha256={}, totals={}
    )
    return Month(month=month, folder=folder, versions=[version], final=issued if final else None)


@pytest.fixture
def landed(tmp_path):
    landing = tmp_path / "landing"
    september = write_usage(landing / "usage_events" / "2026-09.parquet", [usage_row()])
    october = write_usage(
        landing / "usage_events" / "2026-10.parquet", [usage_row(event_id="evt-2")]
    )
    return landing, september, october


def _inputs(landing: Path, *paths: Path) -> list[dict]:
    return [
        {
            "dataset": "usage_events",
            "path": p.relative_to(landing).as_posix(),
            "sha256": sha256_file(p),
        }
        for p in paths
    ]


def _check(landing: Path, months: list[Month]) -> None:
    survey = survey_landing(landing, VOCABULARY)
    check_issued_inputs(months, landing, hash_landed(survey.files))


def test_the_inputs_of_final_months_still_landed_pass(tmp_path, landed):
    landing, september, october = landed
    months = [
        _month(tmp_path / "out", SEPTEMBER, _inputs(landing, september)),
        _month(tmp_path / "out", OCTOBER, [], final=False),  # drafts are not checked
    ]
    _check(landing, months)


def test_a_removed_input_of_an_issued_month_refuses_naming_file_and_month(tmp_path, landed):
    landing, september, october = landed
    months = [_month(tmp_path / "out", SEPTEMBER, _inputs(landing, september, october))]
    september.rename(tmp_path / "moved-away.parquet")
    with pytest.raises(BillingError) as refused:
        _check(landing, months)
    message = str(refused.value)
    assert "usage_events/2026-09.parquet" in message and "2026-09" in message
    assert "no longer in the landing" in message and "2026-10.parquet" not in message
    assert "full refresh" in refused.value.hint  # says that it does not help


def test_an_edited_input_of_an_issued_month_refuses_even_with_its_size_and_mtime(tmp_path, landed):
    landing, september, _ = landed
    months = [_month(tmp_path / "out", SEPTEMBER, _inputs(landing, september))]
    stat = september.stat()
    content = september.read_bytes().replace(b"evt-1", b"evt-7")
    september.write_bytes(content)

    os.utime(september, ns=(stat.st_atime_ns, stat.st_mtime_ns))
    with pytest.raises(BillingError, match="changed since 2026-09 was issued") as refused:
        _check(landing, months)
    assert "usage_events/2026-09.parquet" in str(refused.value)


def test_a_manifest_without_its_inputs_is_refused_naming_it(tmp_path, landed):
    landing, _, _ = landed
    months = [_month(tmp_path / "out", SEPTEMBER, None)]
    with pytest.raises(BillingError) as refused:
        _check(landing, months)
    assert "2026-09/v1/manifest.json" in str(refused.value)
    months = [_month(tmp_path / "other", SEPTEMBER, [{"dataset": "usage_events", "path": 3}])]
    with pytest.raises(BillingError, match="does not list its inputs"):
        _check(landing, months)
