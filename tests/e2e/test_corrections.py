"""Issued months and corrections end to end (SPEC 8), with the installed command: five months
closed and issued in order while late usage of October keeps landing.

- October: org-a writes 150,000 GiB (worked example 1), org-b reads 12.5 GiB.
- November: org-a's October ingress is restated to 150,100 GiB (SPEC 8's example: one line of
  100 GiB in tier 3 at 0.025 = 2.50); org-b's egress is restated to 0 (its line disappears: a
  credit on a statement with only an adjustment); a licence of org-c starting in October lands
  late (a subscription line only in the re-rating).
- December: October is restated again, to 150,300 GiB: only the new difference is booked.
- February: October (now outside the 3-month window) is restated once more: listed, not booked.
"""

from __future__ import annotations

import datetime as dt
import json
import re
import subprocess
from decimal import Decimal
from pathlib import Path

import pyarrow.parquet as pq
import pytest

from helpers import COMMAND, GIB, LICENSE_SCHEMA, hour, licence_row, usage_row, write_rows

pytestmark = pytest.mark.e2e


def run(*args: str, cwd: Path) -> subprocess.CompletedProcess:
    return subprocess.run(
        [str(COMMAND), *args],
        cwd=cwd,
        env={"PATH": "/usr/bin:/bin", "HOME": str(cwd)},
        capture_output=True,
        text=True,
        timeout=600,
    )


def ingress(event: str, org: str, gib: int, day: int, month: int, emitted: dt.datetime) -> dict:
    year = 2026 if month >= 10 else 2027
    return usage_row(
        event_id=event,
        organization_id=org,
        instance_id=f"{org}-1",
        quantity=gib * GIB,
        hour_start=hour(day, month=month, year=year),
        emitted_at=emitted,
    )


class Book:
    def __init__(self, root: Path):
        self.root = root
        self.landing = root / "landing"
        self.paths = [
            "--landing",
            str(self.landing),
            "--output",
            str(root / "output"),
            "--warehouse",
            str(root / "wh" / "billing.duckdb"),
        ]

    def land(self, name: str, rows: list[dict]) -> None:
        write_rows(self.landing / "usage_events" / f"{name}.parquet", rows)

    def close(self, month: str, *extra: str) -> subprocess.CompletedProcess:
        result = run(
            "close", "--month", month, *self.paths, "--no-documents", *extra, cwd=self.root
        )
        assert result.returncode == 0, result.stderr
        return result

    def finalize(self, month: str) -> None:
        result = run(
            "finalize", "--month", month, "--output", str(self.root / "output"), cwd=self.root
        )
        assert result.returncode == 0, result.stderr

    def lines(self, month: str, version: int = 1, line_type: str | None = None) -> list[dict]:
        rows = pq.read_table(
            self.root / "output" / month / f"v{version}" / "statement_lines.parquet"
        )
        return [r for r in rows.to_pylist() if line_type in (None, r["line_type"])]

    def manifest(self, month: str, version: int = 1) -> dict:
        return json.loads(
            (self.root / "output" / month / f"v{version}" / "manifest.json").read_text()
        )


def filler(month: int) -> dict:
    """A little usage every month, so that every month has something to close."""
    return ingress(
        f"z-{month}",
        "org-z",
        1,
        1,
        month,
        hour(1, 1, month=month, year=2026 if month >= 10 else 2027),
    )


@pytest.fixture(scope="module")
def book(tmp_path_factory) -> Book:
    book = Book(tmp_path_factory.mktemp("corrections"))
    october_emitted = hour(5, 1)
    book.land(
        "2026-10",
        [
            ingress("a-1", "org-a", 150_000, 5, 10, october_emitted),
            {
                **ingress("b-1", "org-b", 0, 5, 10, october_emitted),
                "meter": "egress_bytes",
                "quantity": int(12.5 * GIB),
            },
            filler(10),
        ],
    )
    book.octobers = {"first": book.close("2026-10")}
    book.finalize("2026-10")
    november_emitted = hour(3, 1, month=11)
    book.land(
        "2026-11",
        [
            filler(11),
            ingress("a-2", "org-a", 150_100, 5, 10, november_emitted),
            {**ingress("b-2", "org-b", 0, 5, 10, november_emitted), "meter": "egress_bytes"},
        ],
    )
    write_rows(
        book.landing / "licenses" / "late.parquet",
        [
            licence_row(
                license_id="lic-late",
                organization_id="org-c",
                aku_quota=3,
                start_date=dt.date(2026, 10, 10),
                end_date=dt.date(2026, 11, 10),
            )
        ],
        LICENSE_SCHEMA,
    )
    book.november = book.close("2026-11")
    book.finalize("2026-11")
    book.land(
        "2026-12", [filler(12), ingress("a-3", "org-a", 150_300, 5, 10, hour(2, 1, month=12))]
    )
    book.december = book.close("2026-12")
    book.finalize("2026-12")
    book.land("2027-01", [filler(1)])
    book.close("2027-01")
    book.finalize("2027-01")
    book.land(
        "2027-02",
        [filler(2), ingress("a-4", "org-a", 150_400, 5, 10, hour(2, 1, month=2, year=2027))],
    )
    book.february = book.close("2027-02")
    return book


def test_spec_8s_example_books_one_line_of_2_50(book):
    adjustments = [
        line
        for line in book.lines("2026-11", line_type="adjustment")
        if line["organization_id"] == "org-a"
    ]
    assert [
        (
            line["billing_item"],
            line["tier"],
            line["adjusted_month"],
            line["quantity"],
            line["unit_price"],
            line["amount"],
        )
        for line in adjustments
    ] == [
        (
            "data_ingress",
            3,
            dt.date(2026, 10, 1),
            Decimal("100.000000"),
            Decimal("0.025000"),
            Decimal("2.50"),
        )
    ]
    assert "Corrections: 2026-10: 3 line(s), 362.12 USD" in book.november.stdout


def test_a_vanished_line_is_a_credit_on_a_statement_of_adjustments_only(book):
    [line] = [line for line in book.lines("2026-11") if line["organization_id"] == "org-b"]
    assert (line["line_type"], line["quantity"], line["amount"]) == (
        "adjustment",
        Decimal("-12.500000"),
        Decimal("-0.38"),
    )
    assert line["unit_price"] == Decimal("0.030000") and line["rate_card_version"] == "2026-01"
    statements = pq.read_table(
        book.root / "output" / "2026-11" / "v1" / "statements.parquet"
    ).to_pylist()
    [org_b] = [s for s in statements if s["organization_id"] == "org-b"]
    assert (org_b["usage_amount"], org_b["adjustment_amount"], org_b["total_amount"]) == (
        Decimal("0.00"),
        Decimal("-0.38"),
        Decimal("-0.38"),
    )


def test_a_late_licence_is_booked_as_a_subscription_adjustment(book):
    [line] = [line for line in book.lines("2026-11") if line["organization_id"] == "org-c"]
    assert (line["billing_item"], line["license_id"], line["quantity"], line["amount"]) == (
        "aku_subscription",
        "lic-late",
        Decimal("3.000000"),
        Decimal("360.00"),
    )


def test_a_second_round_books_only_the_new_difference(book):
    [line] = book.lines("2026-12", line_type="adjustment")
    assert (line["adjusted_month"], line["tier"], line["quantity"], line["amount"]) == (
        dt.date(2026, 10, 1),
        3,
        Decimal("200.000000"),
        Decimal("5.00"),
    )
    corrections = book.manifest("2026-12")["corrections"]
    assert corrections["issued_basis"] == {"2026-10": 1, "2026-11": 1}
    assert corrections["window"] == ["2026-09", "2026-11"]
    assert corrections["by_month"] == {"2026-10": {"lines": 1, "amount": "5.00"}}


def test_a_month_outside_the_window_is_listed_not_corrected(book):
    assert book.lines("2027-02", line_type="adjustment") == []
    corrections = book.manifest("2027-02")["corrections"]
    assert corrections["outside_window"] == [
        {
            "month": "2026-10",
            "organization_id": "org-a",
            "billing_item": "data_ingress",
            "quantity": "100.000000",
            "amount": "2.50",
        }
    ]
    assert "outside the correction window" in book.february.stdout


def test_issued_months_never_change_and_cannot_be_closed_again(book):
    finals = {p: p.read_bytes() for p in (book.root / "output").rglob("final.json")}
    result = run("close", "--month", "2026-11", *book.paths, cwd=book.root)
    assert (
        result.returncode == 2
        and re.search(r"2026-11(, [0-9-]+)* (is|are) final", result.stderr)
        and "next open month" in result.stderr
    )
    assert {p: p.read_bytes() for p in (book.root / "output").rglob("final.json")} == finals
    assert not (book.root / "output" / "2026-11" / "v2").exists()


def test_status_lists_every_month(book):
    result = run("status", "--output", str(book.root / "output"), cwd=book.root)
    assert result.returncode == 0
    lines = [line.strip() for line in result.stdout.splitlines()[1:]]
    assert [line.split()[0] for line in lines] == [
        "2026-10",
        "2026-11",
        "2026-12",
        "2027-01",
        "2027-02",
    ]
    assert lines[0].startswith("2026-10  final: v1") and "open (draft)" in lines[-1]


def test_a_close_is_deterministic_and_a_full_refresh_agrees(book):
    again = book.close("2027-02", "--full-refresh")
    assert "Closed 2027-02 as v2" in again.stdout
    for name in (
        "statement_lines.parquet",
        "statements.parquet",
        "statement_lines.csv",
        "statements.csv",
    ):
        first = book.root / "output" / "2027-02" / "v1" / name
        second = book.root / "output" / "2027-02" / "v2" / name
        assert first.read_bytes() == second.read_bytes(), name


def test_a_close_with_nothing_new_reuses_the_warehouse_and_any_dbt_run_forgets_it(book):
    """After the full refresh above (v2), a close with no new file, the same models and the same
    issued months does not run dbt and publishes the same statements; once anything else has run
    dbt on the warehouse (here a reconcile of another month), the next close builds again."""
    output = book.root / "output" / "2027-02"
    reused = book.close("2027-02")
    assert "dbt is not run" in reused.stderr and "dbt build passed" not in reused.stderr
    manifest = json.loads((output / "v3" / "manifest.json").read_text())
    assert manifest["dbt"]["reused"] is True and manifest["dbt"]["nodes"] == 0
    for name in ("statement_lines.parquet", "statements.parquet", "statements.csv"):
        assert (output / "v3" / name).read_bytes() == (output / "v1" / name).read_bytes(), name
    # the same build as v2's: its data files are copied (each checked against v2's sha256)
    previous = json.loads((output / "v2" / "manifest.json").read_text())
    assert manifest["dbt"]["exports_key"] == previous["dbt"]["exports_key"] is not None
    assert "the data files are those of v2 (nothing new): copied" in reused.stderr

    # every data file but FOCUS's, which names its version (x_StatementVersion)
    def data_files(outputs: dict) -> dict:
        return {name: entry for name, entry in outputs.items() if not name.startswith("focus.")}

    assert data_files(manifest["outputs"]) == data_files(previous["outputs"])
    assert manifest["outputs"]["focus.parquet"] != previous["outputs"]["focus.parquet"]
    reconciled = run("reconcile", "--month", "2027-01", *book.paths, cwd=book.root)
    assert reconciled.returncode == 0, reconciled.stderr
    built = book.close("2027-02")
    assert "dbt build passed" in built.stderr and "copied" not in built.stderr
    rebuilt = json.loads((output / "v4" / "manifest.json").read_text())["dbt"]
    assert rebuilt["reused"] is False and rebuilt["exports_key"] != manifest["dbt"]["exports_key"]
    for name in ("statement_lines.parquet", "statements.parquet", "statements.csv"):
        assert (output / "v4" / name).read_bytes() == (output / "v1" / name).read_bytes(), name
