"""The output folder as a book of record (SPEC 8, amended), with the installed command: a month
whose usage landed but that was never closed is not lost, an issued month says who issued it,
and only what the runs wrote counts.

September is closed (with documents) and finalized by a named approver; October's usage lands
but October is never closed; November is closed (it warns about October) and cannot be
finalized until October is.
"""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest
from cli_support import Finished, environment, run

from helpers import COMMAND, GIB, hour, usage_row, write_rows

pytestmark = pytest.mark.e2e


class Book:
    def __init__(self, root: Path) -> None:
        self.root = root
        self.landing = root / "landing"
        self.output = root / "output"
        self.warehouse = root / "wh" / "billing.duckdb"
        self.env = environment(root / "tmp", HOME=str(root))

    def __call__(self, *args: str | Path, timeout: float = 300) -> Finished:
        return run([str(COMMAND), *map(str, args)], self.root / "cwd", self.env, timeout)

    def close(self, month: str, *extra: str, output: Path | None = None) -> Finished:
        return self(
            "close",
            "--month",
            month,
            "--landing",
            self.landing,
            "--output",
            output or self.output,
            "--warehouse",
            self.warehouse,
            *extra,
        )


def _usage(month: int, gib: int) -> list[dict]:
    return [
        usage_row(
            event_id=f"e-{month}",
            quantity=gib * GIB,
            hour_start=hour(2, month=month),
            emitted_at=hour(2, 1, month=month),
        )
    ]


@pytest.fixture(scope="module")
def book(tmp_path_factory) -> Book:
    book = Book(tmp_path_factory.mktemp("book"))
    for month, gib in ((9, 100), (10, 200), (11, 300)):
        write_rows(book.landing / "usage_events" / f"2026-{month:02d}.parquet", _usage(month, gib))
    book.september = book.close("2026-09")
    book.issued = book(
        "finalize", "--month", "2026-09", "--output", book.output, "--approved-by", "Ann Auditor"
    )
    book.november = book.close("2026-11", "--no-documents")
    book.refused = book("finalize", "--month", "2026-11", "--output", book.output)
    return book


def assert_refused(result: Finished, *names: str) -> None:
    assert result.returncode == 2, result.text
    assert "Traceback" not in result.text and "What to do:" in result.stderr, result.text
    for name in names:
        assert name in result.stderr, f"{name!r} not in {result.stderr}"


def test_a_month_never_closed_is_named_by_the_close_after_it_and_blocks_finalize(book):
    """Issue 16: with October never closed, November could be finalized, and October's usage
    was never billed."""
    assert book.september.returncode == 0 and book.issued.returncode == 0, book.issued.text
    assert book.november.returncode == 0, book.november.text
    assert "2026-10 has landed usage or a licence starting in it but was never closed" in (
        book.november.text
    )
    manifest = json.loads((book.output / "2026-11" / "v1" / "manifest.json").read_text())
    assert any("2026-10" in warning for warning in manifest["warnings"])
    assert set(manifest["landed_months"]) == {"2026-09", "2026-10", "2026-11"}
    assert_refused(book.refused, "2026-10", "close 2026-10 first")
    assert not (book.output / "2026-11" / "final.json").exists()


def test_the_issued_month_says_who_issued_it_when_and_status_shows_it(book):
    final = json.loads((book.output / "2026-09" / "final.json").read_text())
    assert final["approved_by"] == "Ann Auditor"
    assert "approved by Ann Auditor" in book.issued.stdout
    documents = book.output / "2026-09" / "v1" / "documents"
    for page in ("index.html", "close_report.html"):
        text = (documents / page).read_text()
        assert "Draft" not in text and "approved by Ann Auditor" in text, page
    assert (documents / "close_report.pdf").read_bytes().startswith(b"%PDF")  # for sign-off
    status = book("status", "--output", book.output)
    assert status.returncode == 0, status.text
    assert "2026-09  final: v1, finalized " in status.stdout and "by Ann Auditor" in status.stdout


def test_a_copy_under_another_months_name_is_refused_by_the_next_close(book, tmp_path):
    """`cp -a output/2026-09 output/2026-10` made the next close credit all of the copy."""
    output = tmp_path / "output"
    shutil.copytree(book.output, output, symlinks=True)
    shutil.copytree(output / "2026-09", output / "2026-10", symlinks=True)
    before = sorted(str(p) for p in output.rglob("*"))
    result = book.close("2026-12", "--no-documents", output=output)
    assert_refused(result, str(output / "2026-10"))
    assert sorted(str(p) for p in output.rglob("*")) == before
    status = book("status", "--output", output)
    assert_refused(status, "2026-10")
    assert "NOT AS WRITTEN" in status.stdout


def test_status_exits_2_naming_an_issued_file_that_was_edited(book, tmp_path):
    output = tmp_path / "output"
    shutil.copytree(book.output, output, symlinks=True)
    manifest = output / "2026-09" / "v1" / "manifest.json"
    data = json.loads(manifest.read_text())
    data["totals"]["total_amount"] = "1.00"
    manifest.write_text(json.dumps(data))
    status = book("status", "--output", output)
    assert_refused(status, "manifest.json changed")
    assert "v1 FINAL (DOES NOT MATCH) 1.00 USD" in status.stdout
