"""Issued months (SPEC 8): finalize's refusals, status, and the checks every later run makes on
an issued version before it uses it."""

from __future__ import annotations

import datetime as dt
import json
from decimal import Decimal
from pathlib import Path

import pyarrow as pa
import pytest

from automq_billing import ledger
from automq_billing.close.export import write_table
from automq_billing.errors import BillingError
from automq_billing.landing.load import sha256_file

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
        schema=ledger.STATEMENT_LINE_TYPES,
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
    number = ledger.next_version_number(output, month)
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
        "sha256": {
            name: sha256_file(folder / f"v{version}" / name) for name in ledger.ISSUED_FILES
        },
        "totals": {"total_amount": "0.50", "statements": 1, "lines": 1},
        **changes,
    }
    (folder / "final.json").write_text(json.dumps(final))
    return folder / "final.json"


def test_finalize_writes_final_json_with_the_issued_files_hashes(tmp_path):
    close_version(tmp_path, SEPTEMBER)
    path, final = ledger.finalize(tmp_path, SEPTEMBER)
    assert path == tmp_path / "2026-09" / "final.json"
    assert json.loads(path.read_text()) == final
    assert final["version"] == 1 and final["totals"] == {
        "total_amount": "0.50",
        "statements": 1,
        "lines": 1,
    }
    assert set(final["sha256"]) == set(ledger.ISSUED_FILES)
    assert not list(tmp_path.rglob(".final.json.tmp-*"))


def test_finalize_takes_the_latest_version_unless_told(tmp_path):
    close_version(tmp_path, SEPTEMBER, "0.50")
    close_version(tmp_path, SEPTEMBER, "0.75")
    _, final = ledger.finalize(tmp_path, SEPTEMBER)
    assert final["version"] == 2


@pytest.mark.parametrize(
    ("setup", "month", "version", "says"),
    [
        (lambda out: None, SEPTEMBER, None, "has no version"),
        (lambda out: close_version(out, SEPTEMBER), SEPTEMBER, 3, "has no version v3"),
        (
            lambda out: (close_version(out, SEPTEMBER), ledger.finalize(out, SEPTEMBER)),
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
        ledger.finalize(tmp_path, month, version)
    assert refused.value.hint
    assert sorted(tmp_path.rglob("final.json")) == finals_before


def test_a_month_after_a_final_month_comes_first(tmp_path):
    close_version(tmp_path, SEPTEMBER)
    ledger.finalize(tmp_path, SEPTEMBER)
    close_version(tmp_path, OCTOBER, basis={"2026-09": 1})
    close_version(tmp_path, NOVEMBER, basis={"2026-09": 1})
    issue_by_hand(tmp_path, NOVEMBER)  # as if October had been skipped
    with pytest.raises(BillingError, match="later month 2026-11 is already final"):
        ledger.finalize(tmp_path, OCTOBER)
    assert not (tmp_path / "2026-10" / "final.json").exists()


def test_a_tampered_version_is_not_issued(tmp_path):
    folder = close_version(tmp_path, SEPTEMBER)
    csv = folder / "statements.csv"
    csv.write_bytes(csv.read_bytes().replace(b"0.5", b"9.5"))
    with pytest.raises(BillingError, match="statements.csv no longer matches"):
        ledger.finalize(tmp_path, SEPTEMBER)
    assert not (tmp_path / "2026-09" / "final.json").exists()


def test_a_version_closed_before_an_earlier_month_was_issued_is_stale(tmp_path):
    close_version(tmp_path, SEPTEMBER)
    close_version(tmp_path, OCTOBER, basis={})  # closed while September was a draft
    ledger.finalize(tmp_path, SEPTEMBER)
    with pytest.raises(BillingError, match="stale") as refused:
        ledger.finalize(tmp_path, OCTOBER)
    assert "close the month again" in refused.value.hint
    close_version(tmp_path, OCTOBER, basis={"2026-09": 1})
    _, final = ledger.finalize(tmp_path, OCTOBER)
    assert final["version"] == 2


def test_a_close_is_refused_for_a_final_month_or_one_before_a_final_month(tmp_path):
    close_version(tmp_path, SEPTEMBER)
    close_version(tmp_path, OCTOBER)
    ledger.finalize(tmp_path, SEPTEMBER)
    months = ledger.read_output(tmp_path)
    ledger.refuse_if_issued(months, OCTOBER)  # the next open month closes
    for month in (SEPTEMBER, dt.date(2026, 8, 1)):
        with pytest.raises(BillingError, match="2026-09 is final") as refused:
            ledger.refuse_if_issued(months, month)
        assert "next open month" in refused.value.hint


def test_the_issued_ledger_reads_final_versions_after_checking_them(tmp_path):
    close_version(tmp_path, SEPTEMBER, "0.50")
    close_version(tmp_path, SEPTEMBER, "0.75")
    ledger.finalize(tmp_path, SEPTEMBER, 1)
    final_rows, lines = ledger.issued_ledger(ledger.read_output(tmp_path), OCTOBER)
    assert [(row[0], row[1]) for row in final_rows] == [(SEPTEMBER, 1)]
    assert lines.column("amount").to_pylist() == [Decimal("0.50")]
    assert lines.column("issued_version").to_pylist() == [1]
    assert ledger.issued_basis(ledger.read_output(tmp_path), OCTOBER) == {"2026-09": 1}
    parquet = tmp_path / "2026-09" / "v1" / "statement_lines.parquet"
    parquet.write_bytes(parquet.read_bytes() + b"x")
    with pytest.raises(BillingError, match="no longer matches its final.json"):
        ledger.issued_ledger(ledger.read_output(tmp_path), OCTOBER)


def test_status_lists_versions_totals_and_the_final_one(tmp_path):
    assert ledger.status_lines([]) == ["No month has been closed in this output folder yet."]
    close_version(tmp_path, SEPTEMBER, "0.50")
    close_version(tmp_path, SEPTEMBER, "1234.50")
    close_version(tmp_path, OCTOBER, "2.00")
    ledger.finalize(tmp_path, SEPTEMBER, 2)
    (tmp_path / ".2026-10-v2.tmp-1").mkdir()  # hidden entries are not months
    september, october = ledger.status_lines(ledger.read_output(tmp_path))
    assert september.startswith("2026-09  final: v2, finalized ")
    assert "v1 0.50 USD; v2 FINAL 1,234.50 USD" in september
    assert october == "2026-10  open (draft)  |  v1 2.00 USD"


def test_a_file_where_a_folder_belongs_is_named(tmp_path):
    (tmp_path / "2026-10").write_text("")
    with pytest.raises(BillingError, match="is a file where the month's folder belongs"):
        ledger.next_version_number(tmp_path, OCTOBER)
    (tmp_path / "2026-10").unlink()
    (tmp_path / "2026-10").mkdir()
    (tmp_path / "2026-10" / "v1").write_text("")
    with pytest.raises(BillingError, match="is a file where a version folder belongs"):
        ledger.next_version_number(tmp_path, OCTOBER)
