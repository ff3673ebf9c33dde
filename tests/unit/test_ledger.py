"""Issued months (SPEC 8): finalize's refusals, status, and the checks every later run makes on
an issued version before it uses it."""

from __future__ import annotations

import datetime as dt
import json
import os
from decimal import Decimal
from pathlib import Path

import pyarrow as pa
import pytest

from automq_billing.book.commands import finalize, status_lines
from automq_billing.book.folder import ISSUED_FILES, read_output, refuse_problems
from automq_billing.book.issued import (
    STATEMENT_LINE_TYPES,
    issued_basis,
    issued_ledger,
    never_closed,
    refuse_if_issued,
)
from automq_billing.book.names import next_version_number
from automq_billing.book.publish import remove_final_temporaries
from automq_billing.close.export import write_table
from automq_billing.errors import BillingError
from automq_billing.landing.hashing import sha256_file

pytestmark = pytest.mark.unit
SEPTEMBER, OCTOBER, NOVEMBER = dt.date(2026, 9, 1), dt.date(2026, 10, 1), dt.date(2026, 11, 1)


def _lines(month: dt.date, amount: str) -> pa.Table:
    return pa.Table.from_pylist(
        [
            {
                "statement_month": month,
                "organization_id": "org-a",
                "line_type": "usage",
                "billing_item": "data_ingress",
                "tier": 1,
                "cluster_tier": None,
                "license_id": None,
                "adjusted_month": None,
                "quantity": Decimal("10.000000"),
                "unit": "GiB",
                "unit_price": Decimal("0.050000"),
                "amount": Decimal(amount),
                "currency": "USD",
                "rate_card_version": "2026-01",
            }
        ],
        schema=STATEMENT_LINE_TYPES,
    )


def close_version(
    output: Path,
    month: dt.date,
    amount: str = "0.50",
    basis: dict | None = None,
    landed: dict | None = None,
) -> Path:
    """A version folder as a close writes it: lines, statements, manifest with sha256 and the
    months with landed inputs (by default only its own)."""
    number = next_version_number(output, month)
    folder = output / f"{month:%Y-%m}" / f"v{number}"
    folder.mkdir(parents=True)
    outputs = write_table(folder, "statement_lines", _lines(month, amount))
    statements = pa.Table.from_pylist(
        [{"statement_month": month, "organization_id": "org-a", "total_amount": Decimal(amount)}]
    )
    outputs.update(write_table(folder, "statements", statements))
    manifest = {
        "month": f"{month:%Y-%m}",
        "version": number,
        "closed_at": dt.datetime.now(dt.UTC).isoformat(),
        "outputs": outputs,
        "totals": {"total_amount": amount, "organizations": 1, "statement_lines": 1},
        "corrections": {"issued_basis": basis or {}},
        "landed_months": {f"{month:%Y-%m}": {"usage_rows": 1, "licences": 0}}
        if landed is None
        else landed,
    }
    (folder / "manifest.json").write_text(json.dumps(manifest))
    return folder


def issue_by_hand(output: Path, month: dt.date, version: int = 1, **changes) -> Path:
    """A final.json as finalize writes it, without finalize's checks (with `changes`)."""
    folder = output / f"{month:%Y-%m}"
    final = {
        "month": f"{month:%Y-%m}",
        "version": version,
        "finalized_at": "2026-12-01T09:00:00+00:00",
        "approved_by": "someone",
        "sha256": {name: sha256_file(folder / f"v{version}" / name) for name in ISSUED_FILES},
        "totals": {"total_amount": "0.50", "statements": 1, "lines": 1},
        **changes,
    }
    (folder / "final.json").write_text(json.dumps(final))
    return folder / "final.json"


def test_finalize_writes_final_json_with_the_issued_files_hashes(tmp_path):
    close_version(tmp_path, SEPTEMBER)
    path, final = finalize(tmp_path, SEPTEMBER)
    assert path == tmp_path / "2026-09" / "final.json"
    assert json.loads(path.read_text()) == final
    assert final["version"] == 1 and final["totals"] == {
        "total_amount": "0.50",
        "statements": 1,
        "lines": 1,
    }
    assert set(final["sha256"]) == set(ISSUED_FILES)
    assert not list(tmp_path.rglob(".final.json.tmp-*"))


def test_finalize_takes_the_latest_version_unless_told(tmp_path):
    close_version(tmp_path, SEPTEMBER, "0.50")
    close_version(tmp_path, SEPTEMBER, "0.75")
    _, final = finalize(tmp_path, SEPTEMBER)
    assert final["version"] == 2


@pytest.mark.parametrize(
    ("setup", "month", "version", "says"),
    [
        (lambda out: None, SEPTEMBER, None, "has no version"),
        (lambda out: close_version(out, SEPTEMBER), SEPTEMBER, 3, "has no version v3"),
        (
            lambda out: (close_version(out, SEPTEMBER), finalize(out, SEPTEMBER)),
            SEPTEMBER,
            None,
            "already final",
        ),
        (
            lambda out: (close_version(out, SEPTEMBER), close_version(out, OCTOBER)),
            OCTOBER,
            None,
            "before 2026-09, which has a draft but is not final",
        ),
    ],
    ids=["no-version", "unknown-version", "already-final", "skipped-draft"],
)
def test_finalize_refuses_with_one_sentence(tmp_path, setup, month, version, says):
    setup(tmp_path)
    finals_before = sorted(tmp_path.rglob("final.json"))
    with pytest.raises(BillingError, match=says) as refused:
        finalize(tmp_path, month, version)
    assert refused.value.hint
    assert sorted(tmp_path.rglob("final.json")) == finals_before


def test_a_month_after_a_final_month_comes_first(tmp_path):
    close_version(tmp_path, SEPTEMBER)
    finalize(tmp_path, SEPTEMBER)
    close_version(tmp_path, OCTOBER, basis={"2026-09": 1})
    close_version(tmp_path, NOVEMBER, basis={"2026-09": 1})
    issue_by_hand(tmp_path, NOVEMBER)  # as if October had been skipped
    with pytest.raises(BillingError, match="later month 2026-11 is already final"):
        finalize(tmp_path, OCTOBER)
    assert not (tmp_path / "2026-10" / "final.json").exists()


def test_a_tampered_version_is_not_issued(tmp_path):
    folder = close_version(tmp_path, SEPTEMBER)
    csv = folder / "statements.csv"
    csv.write_bytes(csv.read_bytes().replace(b"0.5", b"9.5"))
    with pytest.raises(BillingError, match="statements.csv no longer matches"):
        finalize(tmp_path, SEPTEMBER)
    assert not (tmp_path / "2026-09" / "final.json").exists()


def test_a_version_closed_before_an_earlier_month_was_issued_is_stale(tmp_path):
    close_version(tmp_path, SEPTEMBER)
    close_version(tmp_path, OCTOBER, basis={})  # closed while September was a draft
    finalize(tmp_path, SEPTEMBER)
    with pytest.raises(BillingError, match="stale") as refused:
        finalize(tmp_path, OCTOBER)
    assert "close the month again" in refused.value.hint
    close_version(tmp_path, OCTOBER, basis={"2026-09": 1})
    _, final = finalize(tmp_path, OCTOBER)
    assert final["version"] == 2


def test_a_close_is_refused_for_a_final_month_or_one_before_a_final_month(tmp_path):
    close_version(tmp_path, SEPTEMBER)
    close_version(tmp_path, OCTOBER)
    finalize(tmp_path, SEPTEMBER)
    months = read_output(tmp_path)
    refuse_if_issued(months, OCTOBER)  # the next open month closes
    for month in (SEPTEMBER, dt.date(2026, 8, 1)):
        with pytest.raises(BillingError, match="2026-09 is final") as refused:
            refuse_if_issued(months, month)
        assert "next open month" in refused.value.hint


def test_the_issued_ledger_reads_final_versions_after_checking_them(tmp_path):
    close_version(tmp_path, SEPTEMBER, "0.50")
    close_version(tmp_path, SEPTEMBER, "0.75")
    finalize(tmp_path, SEPTEMBER, 1)
    final_rows, lines = issued_ledger(read_output(tmp_path), OCTOBER)
    assert [(row[0], row[1]) for row in final_rows] == [(SEPTEMBER, 1)]
    assert lines.column("amount").to_pylist() == [Decimal("0.50")]
    assert lines.column("issued_version").to_pylist() == [1]
    assert issued_basis(read_output(tmp_path), OCTOBER) == {"2026-09": 1}
    parquet = tmp_path / "2026-09" / "v1" / "statement_lines.parquet"
    parquet.write_bytes(parquet.read_bytes() + b"x")
    with pytest.raises(BillingError, match="no longer matches its final.json"):
        issued_ledger(read_output(tmp_path), OCTOBER)


def test_status_lists_versions_totals_and_the_final_one(tmp_path):
    assert status_lines([]) == ["No month has been closed in this output folder yet."]
    close_version(tmp_path, SEPTEMBER, "0.50")
    close_version(tmp_path, SEPTEMBER, "1234.50")
    close_version(tmp_path, OCTOBER, "2.00")
    finalize(tmp_path, SEPTEMBER, 2)
    (tmp_path / ".2026-10-v2.tmp-1").mkdir()  # hidden entries are not months
    september, october = status_lines(read_output(tmp_path))
    assert september.startswith("2026-09  final: v2, finalized ")
    assert "v1 0.50 USD; v2 FINAL 1,234.50 USD" in september
    assert october == "2026-10  open (draft)  |  v1 2.00 USD"


def test_a_file_where_a_folder_belongs_is_named(tmp_path):
    (tmp_path / "2026-10").write_text("")
    with pytest.raises(BillingError, match="is a file where the month's folder belongs"):
        next_version_number(tmp_path, OCTOBER)
    (tmp_path / "2026-10").unlink()
    (tmp_path / "2026-10").mkdir()
    (tmp_path / "2026-10" / "v1").write_text("")
    with pytest.raises(BillingError, match="is a file where a version folder belongs"):
        next_version_number(tmp_path, OCTOBER)


# ---------------------------------------------------------------------------------------------
# SPEC 8 (amended): months never closed, and the output folder trusted only as it was written


def test_finalize_refuses_while_an_earlier_month_with_landed_usage_was_never_closed(tmp_path):
    """Issue 16: September issued, October's usage landed but never closed, November closed:
    finalizing November would lose October for good."""
    close_version(tmp_path, SEPTEMBER)
    finalize(tmp_path, SEPTEMBER)
    landed = {m: {"usage_rows": 5, "licences": 0} for m in ("2026-08", "2026-10", "2026-11")}
    close_version(tmp_path, NOVEMBER, basis={"2026-09": 1}, landed=landed)
    with pytest.raises(BillingError, match="2026-10 has landed usage") as refused:
        finalize(tmp_path, NOVEMBER)
    assert "close 2026-10 first" in refused.value.hint  # August is before the book began
    assert not (tmp_path / "2026-11" / "final.json").exists()
    months = read_output(tmp_path)
    assert never_closed(months, landed, NOVEMBER) == ["2026-10"]
    close_version(tmp_path, OCTOBER, basis={"2026-09": 1})
    assert never_closed(read_output(tmp_path), landed, NOVEMBER) == []


def test_a_licence_starting_in_a_month_never_closed_counts_too(tmp_path):
    close_version(tmp_path, SEPTEMBER)
    landed = {"2026-10": {"usage_rows": 0, "licences": 1}}
    close_version(tmp_path, NOVEMBER, landed={**landed, "2026-11": {"usage_rows": 1}})
    finalize(tmp_path, SEPTEMBER)
    with pytest.raises(BillingError, match="2026-10 has landed usage or a licence"):
        finalize(tmp_path, NOVEMBER)


def test_a_version_that_records_no_landed_months_is_not_issued(tmp_path):
    folder = close_version(tmp_path, SEPTEMBER)
    manifest = json.loads((folder / "manifest.json").read_text())
    del manifest["landed_months"]
    (folder / "manifest.json").write_text(json.dumps(manifest))
    with pytest.raises(BillingError, match="does not record which months have landed usage"):
        finalize(tmp_path, SEPTEMBER)


def _copy_refused(tmp_path: Path, copy: Path, says: str) -> None:
    with pytest.raises(BillingError, match=says) as refused:
        read_output(tmp_path)
    assert str(copy) in str(refused.value) and refused.value.hint


def test_a_copy_of_a_month_under_another_name_is_refused(tmp_path):
    """`cp -a output/2026-10 output/2026-11` made the next close credit all of October."""
    import shutil

    close_version(tmp_path, OCTOBER)
    finalize(tmp_path, OCTOBER)
    shutil.copytree(tmp_path / "2026-10", tmp_path / "2026-11", symlinks=True)
    _copy_refused(tmp_path, tmp_path / "2026-11", "a copy under another name")
    with pytest.raises(BillingError, match="a copy under another name"):
        issued_ledger(read_output(tmp_path, strict=False), dt.date(2026, 12, 1))
    # only the manifest copied (final.json removed): still not November's
    (tmp_path / "2026-11" / "final.json").unlink()
    _copy_refused(tmp_path, tmp_path / "2026-11" / "v1", "manifest of 2026-10 v1, not of 2026-11")


def test_a_copy_of_a_draft_named_after_an_earlier_month_is_not_finalized(tmp_path):
    import shutil

    close_version(tmp_path, SEPTEMBER)
    shutil.copytree(tmp_path / "2026-09", tmp_path / "2026-08")
    with pytest.raises(BillingError, match="2026-08/v1/manifest.json is the manifest of 2026-09"):
        finalize(tmp_path, dt.date(2026, 8, 1))
    assert not (tmp_path / "2026-08" / "final.json").exists()


def test_a_version_copied_under_another_number_or_a_padded_name_is_refused(tmp_path):
    import shutil

    folder = close_version(tmp_path, SEPTEMBER)
    shutil.copytree(folder, folder.parent / "v2")
    _copy_refused(tmp_path, folder.parent / "v2", "not of 2026-09 v2")
    shutil.rmtree(folder.parent / "v2")
    folder.rename(folder.parent / "v01")
    _copy_refused(tmp_path, folder.parent / "v01", "v1 is written v1")
    assert next_version_number(tmp_path, SEPTEMBER) == 1  # v01 is no version


@pytest.mark.parametrize("where", ["month", "version", "final", "file inside"])
def test_a_symbolic_link_is_never_read_as_issued(tmp_path, where):
    elsewhere = tmp_path / "elsewhere"
    out = tmp_path / "output"
    real = close_version(elsewhere, OCTOBER)
    finalize(elsewhere, OCTOBER)
    close_version(out, SEPTEMBER)
    if where == "month":
        link = out / "2026-10"
        link.symlink_to(real.parent)
    elif where == "version":
        link = out / "2026-09" / "v2"
        link.symlink_to(real)
    elif where == "final":
        link = out / "2026-09" / "final.json"
        link.symlink_to(real.parent / "final.json")
    else:
        link = out / "2026-09" / "v1" / "notes.csv"
        link.symlink_to(real / "statements.csv")
    with pytest.raises(BillingError, match="symbolic link") as refused:
        read_output(out)
    assert str(link) in str(refused.value)
    assert not read_output(out, strict=False)[0].final


def test_a_damaged_final_json_is_refused_naming_it_not_a_traceback(tmp_path):
    close_version(tmp_path, SEPTEMBER)
    final = tmp_path / "2026-09" / "final.json"
    cases = {
        "[" * 100_000 + "]" * 100_000: "nested too deeply",
        "{": "cannot be read",
        "[]": "does not hold a JSON object",
    }
    for text, says in cases.items():
        final.write_text(text)
        with pytest.raises(BillingError, match=says) as refused:
            read_output(tmp_path)
        assert str(final) in str(refused.value)
    issue_by_hand(tmp_path, SEPTEMBER, finalized_at="yesterday")
    with pytest.raises(BillingError, match="finalized_at 'yesterday'.*not an ISO 8601"):
        read_output(tmp_path)
    issue_by_hand(tmp_path, SEPTEMBER, version="1")
    with pytest.raises(BillingError, match="lacks the version"):
        read_output(tmp_path)


def test_a_fifo_named_final_json_does_not_hang(tmp_path):
    import threading

    close_version(tmp_path, SEPTEMBER)
    os.mkfifo(tmp_path / "2026-09" / "final.json")
    seen: list = []
    reader = threading.Thread(
        target=lambda: seen.append(read_output(tmp_path, strict=False)), daemon=True
    )
    reader.start()
    reader.join(timeout=10)
    assert seen, "reading the output folder hangs on a FIFO"
    [problem] = seen[0][0].problems
    assert "final.json is not a regular file" in problem


def test_a_leftover_final_temporary_is_not_read_and_finalize_removes_it(tmp_path):
    close_version(tmp_path, SEPTEMBER)
    leftover = tmp_path / "2026-09" / ".final.json.tmp-999999"
    leftover.write_text('{"month": "2026-09"}')
    with pytest.raises(BillingError, match="leftover temporary"):
        read_output(tmp_path)
    _, final = finalize(tmp_path, SEPTEMBER)  # the caller holds the lock
    assert not leftover.exists() and final["version"] == 1


def test_a_damaged_draft_manifest_is_refused_by_finalize_naming_it(tmp_path):
    folder = close_version(tmp_path, SEPTEMBER)
    (folder / "manifest.json").write_text('{"month": "2026-09", "version": 1, "totals": ')
    with pytest.raises(BillingError, match="manifest.json cannot be read") as refused:
        finalize(tmp_path, SEPTEMBER)
    assert str(folder / "manifest.json") in str(refused.value)
    months = read_output(tmp_path, strict=False)
    assert "manifest.json cannot be read" in "\n".join(status_lines(months))


def test_a_damaged_closed_at_in_an_issued_manifest_is_named_not_a_traceback(tmp_path):
    folder = close_version(tmp_path, SEPTEMBER)
    manifest = json.loads((folder / "manifest.json").read_text())
    (folder / "manifest.json").write_text(json.dumps({**manifest, "closed_at": 7}))
    finalize(tmp_path, SEPTEMBER)
    with pytest.raises(BillingError, match="records closed_at '7'") as refused:
        issued_ledger(read_output(tmp_path), OCTOBER)
    assert str(folder / "manifest.json") in str(refused.value)


# ---------------------------------------------------------------------------------------------
# who approved, and status re-checking what was issued


def test_finalize_records_who_approved(tmp_path, monkeypatch):
    close_version(tmp_path, SEPTEMBER)
    close_version(tmp_path, OCTOBER, basis={"2026-09": 1})
    monkeypatch.setenv("LOGNAME", "os-user")
    monkeypatch.setenv("USER", "os-user")
    _, september = finalize(tmp_path, SEPTEMBER)
    assert september["approved_by"] == "os-user"
    for bad in ("", "  ", "a\u202eb", "x" * 201, "line\nbreak"):
        with pytest.raises(BillingError, match="is not a name"):
            finalize(tmp_path, OCTOBER, approved_by=bad)
    _, october = finalize(tmp_path, OCTOBER, approved_by=" Jane Doe ")
    assert json.loads((tmp_path / "2026-10" / "final.json").read_text())["approved_by"] == (
        "Jane Doe"
    )
    assert october["approved_by"] == "Jane Doe"
    lines = status_lines(read_output(tmp_path, strict=False, deep=True))
    assert "by os-user" in lines[0] and "by Jane Doe" in lines[1]


def test_status_says_which_final_months_no_longer_match(tmp_path):
    """An edited manifest made status print "v1 FINAL 1.00 USD"; a deleted issued version
    looked fine."""
    september = close_version(tmp_path, SEPTEMBER)
    october = close_version(tmp_path, OCTOBER, basis={"2026-09": 1})
    finalize(tmp_path, SEPTEMBER)
    finalize(tmp_path, OCTOBER)
    assert all(
        "NOT AS WRITTEN" not in line
        for line in status_lines(read_output(tmp_path, strict=False, deep=True))
    )
    manifest = json.loads((september / "manifest.json").read_text())
    manifest["totals"]["total_amount"] = "1.00"
    (september / "manifest.json").write_text(json.dumps(manifest))
    import shutil

    shutil.rmtree(october)
    months = read_output(tmp_path, strict=False, deep=True)
    lines = status_lines(months)
    assert "NOT AS WRITTEN" in lines[0] and "v1 FINAL (DOES NOT MATCH) 1.00 USD" in lines[0]
    assert "manifest.json changed" in lines[1]
    october_line = next(line for line in lines if line.startswith("2026-10"))
    assert "NOT AS WRITTEN" in october_line
    assert any("issues v1" in line and "the issued version is gone" in line for line in lines)
    with pytest.raises(BillingError, match="not as the runs wrote it"):
        refuse_problems(months)


def test_status_checks_every_data_file_a_final_manifest_lists(tmp_path):
    folder = close_version(tmp_path, SEPTEMBER)
    outputs = write_table(folder, "quarantine", pa.table({"reason": ["x"]}), csv=False)
    manifest = json.loads((folder / "manifest.json").read_text())
    manifest["outputs"].update(outputs)
    (folder / "manifest.json").write_text(json.dumps(manifest))
    finalize(tmp_path, SEPTEMBER)
    (folder / "quarantine.parquet").write_bytes(b"edited")
    assert read_output(tmp_path)  # not hashed by final.json: a close reads on
    [state] = read_output(tmp_path, strict=False, deep=True)
    assert state.problems and "quarantine.parquet changed" in state.problems[0]


def test_finalize_puts_its_stamp_in_place_only_once_final_json_is_written(tmp_path):
    folder = close_version(tmp_path, SEPTEMBER)
    (folder / "documents").mkdir()
    page = folder / "documents" / "index.html"
    page.write_text("Draft: not yet issued")

    def stamp(state, version, final):
        temporary = page.with_name(f".index.html.stamp-{os.getpid()}")
        temporary.write_text(f"Issued by {final['approved_by']}")
        return [(temporary, page)]

    def failing(state, version, final):
        stamp(state, version, final)
        raise KeyboardInterrupt

    with pytest.raises(KeyboardInterrupt):
        finalize(tmp_path, SEPTEMBER, approved_by="ann", stamp=failing)
    remove_final_temporaries(tmp_path)  # not issued: the prepared stamp is dropped
    assert page.read_text() == "Draft: not yet issued" and len(list(page.parent.iterdir())) == 1
    finalize(tmp_path, SEPTEMBER, approved_by="ann", stamp=stamp)
    assert page.read_text() == "Issued by ann"
    # a finalize killed between final.json and the stamp: the next run completes it
    (page.parent / ".close_report.html.stamp-4242").write_text("Issued by ann")
    remove_final_temporaries(tmp_path)
    assert (page.parent / "close_report.html").read_text() == "Issued by ann"
    assert read_output(tmp_path)[0].final.approved_by == "ann"


def test_a_close_over_a_missing_issued_version_names_it_and_suggests_no_option_it_lacks(tmp_path):
    """The close's hint suggested `--version`, which close does not have."""
    import shutil

    folder = close_version(tmp_path, SEPTEMBER)
    finalize(tmp_path, SEPTEMBER)
    shutil.rmtree(folder)
    with pytest.raises(BillingError, match="issues v1") as refused:
        issued_ledger(read_output(tmp_path, strict=False), OCTOBER)
    assert "--version" not in str(refused.value)
    with pytest.raises(BillingError, match="the issued version is gone") as refused:
        read_output(tmp_path)
    assert "--version" not in str(refused.value)
