"""The documents rendered from a close's version folder (issue 12): statements in HTML and PDF,
the index, the close report and the workbook; offline, escaped, exact and deterministic."""

from __future__ import annotations

import datetime as dt
import hashlib
import html
import json
import os
import re
import subprocess
import sys
from decimal import Decimal
from pathlib import Path

import pyarrow.parquet as pq
import pytest
from close_fixture import (
    FORMULA_ID,
    OCTOBER,
    SCRIPT_ID,
    UNICODE_ID,
    UNMATCHED_EVENT_ID,
    Org,
    issue,
    write_final_month,
    write_version_folder,
)
from pypdf import PdfReader
from readers import html_cells, html_tags, read_xlsx

from automq_billing.book.commands import finalize
from automq_billing.book.folder import read_output
from automq_billing.documents import issued_stamps, render_documents, render_documents_again
from automq_billing.documents.text import document_name, statement_number
from automq_billing.documents.version_folder import read_version_folder
from automq_billing.documents.workbook import write_workbook
from automq_billing.errors import BillingError

pytestmark = pytest.mark.unit

SRC = Path(__file__).resolve().parents[3] / "src"
PLAIN = re.compile(r"[A-Za-z0-9][A-Za-z0-9._-]{0,99}")
FETCHING_ATTRIBUTES = ("src", "href", "srcset", "action", "poster", "data", "background")


def _lines(rendered) -> list[dict]:
    return pq.read_table(rendered.close.folder / "statement_lines.parquet").to_pylist()


def _statements(rendered) -> dict[str, dict]:
    rows = pq.read_table(rendered.close.folder / "statements.parquet").to_pylist()
    return {row["organization_id"]: row for row in rows}


def _html_files(destination: Path) -> list[Path]:
    files = sorted(destination.glob("*.html"))
    assert files
    return files


def _tree_hashes(folder: Path, skip: str | None = None) -> dict[str, str]:
    return {
        str(path.relative_to(folder)): hashlib.sha256(path.read_bytes()).hexdigest()
        for path in sorted(folder.rglob("*"))
        if path.is_file() and not (skip and path.relative_to(folder).parts[0].startswith(skip))
    }


def test_one_statement_per_organization_plus_index_report_and_workbook(october):
    statements = _statements(october)
    written = {path.name for path in october.result.files}
    assert october.result.statements == len(statements) == 12
    for organization_id in statements:
        name = document_name(organization_id)
        assert {f"{name}.html", f"{name}.pdf"} <= written
    assert {"index.html", "close_report.html", "close.xlsx"} <= written
    assert written == {path.name for path in october.destination.iterdir()}


def test_statement_files_are_named_by_plain_id_or_hash():
    assert document_name("org-acme") == "org-acme"
    assert document_name("org.with.dots_and-dash") == "org.with.dots_and-dash"
    for awkward in (SCRIPT_ID, FORMULA_ID, "+org-plus", "-org-minus", "@org-at", UNICODE_ID):
        digest = hashlib.sha256(awkward.encode()).hexdigest()[:16]
        assert document_name(awkward) == f"org-{digest}"
    assert document_name("a" * 100) == "a" * 100
    assert document_name("a" * 101).startswith("org-")
    # the documents' own file names are never taken by an organization's statement
    assert document_name("index") != "index"
    assert document_name("close_report") != "close_report"


def test_html_fetches_nothing(october):
    for path in _html_files(october.destination):
        text = path.read_text(encoding="utf-8")
        assert "http://" not in text and "https://" not in text, path.name
        assert "@import" not in text, path.name
        assert not re.search(r"url\((?!#)", text), path.name
        for tag, attributes in html_tags(text):
            assert tag not in ("script", "link", "img", "iframe", "object", "embed"), path.name
            for name in FETCHING_ATTRIBUTES:
                value = attributes.get(name)
                if value is not None and name in ("src", "srcset", "data", "poster"):
                    pytest.fail(f"{path.name}: <{tag} {name}={value!r}>")
                if value is not None and name == "href":
                    assert value.startswith("#") or re.fullmatch(
                        r"[A-Za-z0-9._-]+\.(html|pdf|xlsx)", value
                    ), f"{path.name}: href {value!r}"


def test_landed_values_stay_text(october):
    escaped_script = html.escape(SCRIPT_ID)  # &lt;script&gt;alert(&quot;x&quot;)...
    for path in _html_files(october.destination):
        text = path.read_text(encoding="utf-8")
        assert "<script" not in text.lower(), path.name
        assert "<img" not in text.lower(), path.name
        assert "<i>old</i>" not in text and "<b>org-bold</b>" not in text, path.name
    script_statement = october.destination / f"{document_name(SCRIPT_ID)}.html"
    assert escaped_script in script_statement.read_text(encoding="utf-8")
    index = (october.destination / "index.html").read_text(encoding="utf-8")
    assert escaped_script in index
    report = (october.destination / "close_report.html").read_text(encoding="utf-8")
    assert html.escape("<img src=x onerror=alert(1)>") in report
    # SPEC 9.3: a billing event no reconciliation counts is listed, its landed id escaped
    assert html.escape(UNMATCHED_EVENT_ID) in report and UNMATCHED_EVENT_ID not in report
    assert "unknown_customer" in report and "2.40<" in report
    # the organization chart labels the <script> organization as SVG text, escaped too
    assert re.search(r"<text[^>]*>&lt;script&gt;", report)


def test_statement_html_prints_every_figure_exactly(october):
    lines = _lines(october)
    for organization_id, summary in _statements(october).items():
        path = october.destination / f"{document_name(organization_id)}.html"
        text = path.read_text(encoding="utf-8")
        cells = html_cells(text)
        own = [line for line in lines if line["organization_id"] == organization_id]
        assert own
        figures = {_figure(cell) for cell in cells if GROUPED.fullmatch(cell)}
        for line in own:
            # amounts with separators and two decimals; quantities and prices without trailing
            # zeros; every figure read back is the line's value exactly
            assert f"{line['amount']:,.2f}" in cells, (organization_id, line)
            for column in ("quantity", "unit_price", "amount"):
                assert line[column] in figures, (organization_id, column, line)
            if line["unit"] == "hour":
                assert f"{line['quantity']:,.0f}" in cells  # hours as whole numbers
        total = f"{summary['total_amount']:,.2f}"
        assert f"{total} {summary['currency']}" in cells
        for column in ("usage_amount", "subscription_amount", "adjustment_amount"):
            assert f">{summary[column]:,.2f} <span" in text
        assert not re.search(r">-?[0-9]{4,}[.<]", text), organization_id  # no figure unseparated
        assert not re.search(r"[0-9]\.[0-9]*00000<", text), organization_id  # no 6-place tail


# a figure as the documents print it: thousands separators, a point, digits
GROUPED = re.compile(r"-?[0-9]{1,3}(,[0-9]{3})*(\.[0-9]+)?")


def _figure(text: str) -> Decimal:
    return Decimal(text.replace(",", ""))


def test_statement_content(october):
    acme = (october.destination / "org-acme.html").read_text(encoding="utf-8")
    number = statement_number(OCTOBER, "org-acme", 1)
    assert re.fullmatch(r"AMQ-2026-10-[0-9a-f]{8}-v1", number)
    assert number in acme
    period = "1 October 2026 00:00 UTC to 1 November 2026 00:00 UTC"
    assert any(cell == period for cell in html_cells(acme))
    assert "Invoiced by AWS Marketplace (AWS account 123456789012)" in acme
    assert "10 TiB to 100 TiB at 0.035 USD per GiB" in acme
    assert "Up to 10 TiB at 0.05 USD per GiB" in acme
    assert "100 TiB to 1,000 TiB at 0.025 USD per GiB" in acme
    assert "September 2026" in acme  # the month the adjustment corrects
    assert "2<sup>30</sup> bytes" in acme and "half away from zero" in acme
    assert "SPEC" not in acme and "sections" not in acme  # no pointer to internal documents
    assert "never changes" in acme and "correction line" in acme
    assert acme.count('class="chart-svg"') == 3  # traffic, retention, uptime
    enterprise = (october.destination / "org-enterprise.html").read_text(encoding="utf-8")
    assert "1,000 TiB and above at 0.015 USD per GiB" in enterprise
    dots = (october.destination / "org.with.dots_and-dash.html").read_text(encoding="utf-8")
    assert "0.000001" in html_cells(dots)  # a tier-2 sliver of one millionth GiB, 0.00 USD
    script = (october.destination / f"{document_name(SCRIPT_ID)}.html").read_text("utf-8")
    assert "Offline contract" in script
    assert "15 October 2026 through 14 October 2027" in script
    assert "Yearly" in script
    credit = (october.destination / f"{document_name(FORMULA_ID)}.html").read_text("utf-8")
    assert "Total (credit)" in credit and "-0.45" in credit
    assert 'class="chart-svg"' not in credit  # no usage, no chart
    plus = (october.destination / f"{document_name('+org-plus')}.html").read_text("utf-8")
    assert "Invoiced by Azure Marketplace" in plus
    index_org = (october.destination / f"{document_name('index')}.html").read_text("utf-8")
    assert "contract price" in index_org


def test_pdfs_open_and_hold_the_id_total_and_line_amounts(october):
    lines = _lines(october)
    for organization_id, summary in _statements(october).items():
        reader = PdfReader(october.destination / f"{document_name(organization_id)}.pdf")
        assert len(reader.pages) > 0
        text = "\n".join(page.extract_text() for page in reader.pages)
        if PLAIN.fullmatch(organization_id):
            assert organization_id in text
        assert f"{summary['total_amount']:,.2f}" in text, organization_id
        for line in lines:
            if line["organization_id"] == organization_id:
                assert f"{line['amount']:,.2f}" in text, (organization_id, line)
        assert reader.metadata["/CreationDate"] == "D:20261102030405Z"
    script = PdfReader(october.destination / f"{document_name(SCRIPT_ID)}.pdf")
    assert SCRIPT_ID in script.pages[0].extract_text()  # printed as text, never run


def test_workbook_amounts_equal_statement_lines(october):
    sheets = read_xlsx(october.destination / "close.xlsx")
    assert list(sheets)[:3] == ["cover", "statements", "statement_lines"]
    rows = sheets["statement_lines"]
    header = [cell.value for cell in rows[0]]
    lines = _lines(october)
    assert len(rows) - 1 == len(lines)
    amount, quantity = header.index("amount"), header.index("quantity")
    organization = header.index("organization_id")
    for row, line in zip(rows[1:], lines, strict=True):
        assert row[amount].kind == "n"
        assert Decimal(row[amount].value).quantize(Decimal("0.01")) == line["amount"]
        assert Decimal(row[quantity].value).quantize(Decimal("0.000001")) == line["quantity"]
        assert row[organization].kind == "s"
    statements = sheets["statements"]
    total = [cell.value for cell in statements[0]].index("total_amount")
    expected = sorted(row["total_amount"] for row in _statements(october).values())
    got = sorted(Decimal(row[total].value).quantize(Decimal("0.01")) for row in statements[1:])
    assert got == expected
    for name in ("usage_daily", "rate_card", "licenses", "organizations", "quarantine"):
        assert name in sheets
    assert "marketplace_reconciliation" in sheets and "marketplace_exceptions" in sheets


def test_workbook_never_holds_a_formula(october):
    sheets = read_xlsx(october.destination / "close.xlsx")
    texts = [
        cell.value
        for rows in sheets.values()
        for row in rows
        for cell in row
        if cell is not None and cell.kind in ("s", "f")
    ]
    assert not any(cell.kind == "f" for r in sheets.values() for row in r for cell in row if cell)
    assert f"'{FORMULA_ID}" in texts
    assert "'+org-plus" in texts and "'-org-minus" in texts and "'@org-at" in texts
    assert "'@lic-monthly" in texts and "'=inst" in texts and "'+evt-2" in texts
    assert not any(text.startswith(("=", "+", "-", "@", "\t", "\r")) for text in texts)
    assert SCRIPT_ID in texts and UNICODE_ID in texts and "org-acme" in texts
    cover = " ".join(cell.value for row in sheets["cover"] for cell in row if cell)
    assert "single quote" in cover and "10,000 rows" in cover


def test_workbook_cuts_a_long_sheet_at_the_cap_and_says_so(tmp_path):
    root = tmp_path / "output"
    folder = _small_close(root)
    close = read_version_folder(folder, root)
    created = dt.datetime(2026, 11, 2, 3, 4, 5, tzinfo=dt.UTC)
    summaries = write_workbook(tmp_path / "capped.xlsx", close, created, row_cap=1)
    daily = next(s for s in summaries if s.name == "usage_daily")
    assert daily.rows_in_file > 1 and daily.rows_written == 1 and daily.truncated
    sheets = read_xlsx(tmp_path / "capped.xlsx")
    assert len(sheets["usage_daily"]) == 2  # the header and one row
    cover = [" ".join(c.value for c in row if c) for row in sheets["cover"]]
    assert any("usage_daily" in row and "cut at 1 rows" in row for row in cover)


def test_close_report(october):
    report = (october.destination / "close_report.html").read_text(encoding="utf-8")
    cells = html_cells(report)
    manifest = october.close.manifest
    assert "October 2026" in report and "v1" in report
    assert "2 November 2026 03:04 UTC" in report
    assert f">{Decimal(manifest['totals']['total_amount']):,.2f} USD<" in report
    # against September, the last final month: +20.5 % is flagged above the 20 % threshold
    assert "+20.5 %" in cells and "above 20 %" in report
    assert "+17.2 %" in cells  # org-enterprise: reported, not flagged
    assert "new" in cells and "no statement this month" in report
    # conservation per meter, quarantine by reason with its value, validation with examples
    assert report.count(">balanced<") == 3
    assert "measurement_conflict" in cells and "0.05" in cells
    assert "ExpectColumnValuesToMatchRegex" in cells
    assert "=1+1" in report and "東京-evt" in report
    assert "2026-07 to 2026-09" in report
    assert "&lt;i&gt;old&lt;/i&gt;" in report
    assert "metering_gap" in cells and "6,045.51" in cells  # Marketplace: two decimals
    for entry in manifest["inputs"]:
        assert entry["sha256"] in report
    assert report.count('class="chart-svg"') == 3


def test_close_report_reads_in_gib_with_reasons_as_a_list(october):
    """Byte meters in GiB (not 19-digit byte counts), the quarantine reasons as a list under the
    table (not a column that wraps a word per line), Marketplace amounts at two decimals."""
    report = (october.destination / "close_report.html").read_text(encoding="utf-8")
    cells = html_cells(report)
    assert "8,381.90" in cells  # ingress_bytes landed: 9,000,000,000,000 bytes
    assert "8,380.97" in cells and "0.56" in cells and "0.28" in cells
    assert "9000000000000" not in report and "9,000,000,000,000" not in report
    assert "3,600,000" in cells  # uptime_seconds: not bytes, a whole number
    assert ">By reason<" not in report
    reasons = report.split('<ul class="reasons">', 1)[1].split("</ul>\n</li>", 1)[0]
    assert "measurement_conflict 8" in reasons and "missing_field 2" in reasons
    assert "measurement_conflict 0.09" in report  # ingress_bytes' quarantined GiB
    assert not re.search(r"<td[^>]*>-?[0-9,]*[.][0-9]{3,}</td>", report)  # no six-place amounts


def test_close_report_pdf_for_sign_off(october):
    pdf = october.destination / "close_report.pdf"
    reader = PdfReader(pdf)
    box = reader.pages[0].mediabox
    assert box.width > box.height  # landscape A4: the report's tables fit the page
    text = _pdf_text(pdf)
    total = Decimal(october.close.manifest["totals"]["total_amount"])
    assert "CLOSE REPORT" in text and f"{total:,.2f} USD" in text
    assert "Draft: not yet issued" in text
    assert reader.metadata["/CreationDate"] == "D:20261102030405Z"


def test_rendering_twice_gives_identical_bytes(october, tmp_path):
    """A second rendering, in another process with another hash seed (so that no set or dict
    order can leak into a file), writes the very same bytes: HTML, SVG, PDF and workbook."""
    script = (
        "import sys; from pathlib import Path; "
        "from automq_billing.documents import render_documents; "
        "render_documents(Path(sys.argv[1]), Path(sys.argv[2]), output_root=Path(sys.argv[3]))"
    )
    environment = {**os.environ, "PYTHONHASHSEED": "12345", "PYTHONPATH": str(SRC)}
    subprocess.run(
        [
            sys.executable,
            "-c",
            script,
            str(october.close.folder),
            str(tmp_path / "again"),
            str(october.close.root),
        ],
        check=True,
        env=environment,
        timeout=120,
    )
    assert _tree_hashes(tmp_path / "again") == _tree_hashes(october.destination)


def test_twelve_organizations_each_get_a_statement(october):
    # how long rendering takes is the benchmark's business (make bench BENCH=documents)
    assert october.result.statements == 12


def _small_close(root: Path, *, marketplace: bool = False) -> Path:
    write_final_month(root, dt.date(2026, 9, 1), 1, {"org-a": "100.00"})
    folder = root / "2026-10" / "v1"
    write_version_folder(
        folder,
        OCTOBER,
        1,
        [Org("org-a", "direct", ingress=Decimal(200), uptime={"pro": 24})],
        marketplace=marketplace,
    )
    return folder


def test_render_again_writes_a_new_folder_and_leaves_the_data_alone(tmp_path):
    root = tmp_path / "output"
    folder = _small_close(root)
    render_documents(folder, folder / "documents", output_root=root)
    before = _tree_hashes(folder, skip="documents-")
    second = render_documents_again(root, OCTOBER, None)
    assert second == folder / "documents-2"
    assert (second / "org-a.html").is_file() and (second / "org-a.pdf").is_file()
    third = render_documents_again(root, OCTOBER, 1)
    assert third == folder / "documents-3"
    assert _tree_hashes(folder, skip="documents-") == before
    assert _tree_hashes(second) == _tree_hashes(third) == _tree_hashes(folder / "documents")
    assert not [path for path in folder.iterdir() if path.name.startswith(".")]


def test_a_draft_renders_again_and_an_issued_month_is_refused(tmp_path):
    root = tmp_path / "output"
    _small_close(root)
    write_version_folder(root / "2026-10" / "v2", OCTOBER, 2, [Org("org-a", ingress=Decimal(9))])
    draft = render_documents_again(root, OCTOBER, 2)
    assert (draft / "close_report.html").is_file()
    assert "Draft: not yet issued" in (draft / "close_report.html").read_text(encoding="utf-8")
    assert "not yet issued" not in (draft / "org-a.html").read_text(encoding="utf-8")
    issue(root, OCTOBER, 2, "2026-12-01T09:00:00+00:00")
    before = sorted(p.relative_to(root) for p in root.rglob("*"))
    with pytest.raises(BillingError, match="is final") as refused:
        render_documents_again(root, OCTOBER, 1)
    assert refused.value.hint
    assert sorted(p.relative_to(root) for p in root.rglob("*")) == before


def test_render_again_refuses_a_missing_month_or_version(tmp_path):
    root = tmp_path / "output"
    _small_close(root)
    with pytest.raises(BillingError, match="no close of 2026-11") as missing_month:
        render_documents_again(root, dt.date(2026, 11, 1), None)
    assert missing_month.value.hint
    with pytest.raises(BillingError, match="no version v2") as missing_version:
        render_documents_again(root, OCTOBER, 2)
    assert "v1" in str(missing_version.value)
    assert not (root / "2026-10" / "v1" / "documents-2").exists()


def test_report_without_marketplace_files_says_so(tmp_path):
    root = tmp_path / "output"
    folder = _small_close(root)
    render_documents(folder, tmp_path / "docs", output_root=root)
    report = (tmp_path / "docs" / "close_report.html").read_text(encoding="utf-8")
    assert "No Marketplace data in this close." in report
    assert "-80.4 %" in report  # 19.60 against 100.00 in September


def test_destination_must_be_new_or_empty(tmp_path):
    root = tmp_path / "output"
    folder = _small_close(root)
    with pytest.raises(BillingError, match="not an empty folder"):
        render_documents(folder, folder, output_root=root)


def test_incomplete_version_folder_is_refused(tmp_path):
    root = tmp_path / "output"
    folder = _small_close(root)
    (folder / "statements.parquet").unlink()
    with pytest.raises(BillingError, match=r"statements\.parquet missing"):
        render_documents(folder, tmp_path / "docs", output_root=root)


def _pdf_text(path: Path) -> str:
    """A PDF's text, its line breaks and spacing made single spaces."""
    text = " ".join(page.extract_text() for page in PdfReader(path).pages)
    return " ".join(text.replace("\x00", "").split())


def _closed_for_issue(root: Path) -> Path:
    """September final, October v1 closed against it (a version finalize accepts), rendered."""
    write_final_month(root, dt.date(2026, 9, 1), 1, {"org-a": "100.00"})
    folder = root / "2026-10" / "v1"
    basis = {"window": [], "issued_basis": {"2026-09": 1}, "by_month": {}, "outside_window": []}
    write_version_folder(
        folder, OCTOBER, 1, [Org("org-a", ingress=Decimal(200))], corrections=basis
    )
    manifest = json.loads((folder / "manifest.json").read_text())
    manifest["landed_months"] = {"2026-10": {"usage_rows": 1, "licences": 0}}
    (folder / "manifest.json").write_text(json.dumps(manifest))
    render_documents(folder, folder / "documents", output_root=root)
    return folder


def test_finalize_stamps_the_issued_pages_and_leaves_every_hashed_file_alone(tmp_path):
    """The close report and index of the final version said "Draft: not yet issued" forever."""
    root = tmp_path / "output"
    folder = _closed_for_issue(root)
    for page in ("index.html", "close_report.html"):
        assert "Draft: not yet issued" in (folder / "documents" / page).read_text()
    assert "Draft: not yet issued" in _pdf_text(folder / "documents" / "close_report.pdf")
    before = _tree_hashes(folder)
    _, final = finalize(root, OCTOBER, approved_by="Jane <Doe>", stamp=issued_stamps)
    after = _tree_hashes(folder)
    assert {name for name in before if before[name] != after[name]} == {
        "documents/index.html",
        "documents/close_report.html",
        "documents/close_report.pdf",  # the sign-off PDF says what the page says
    }
    assert set(after) == set(before)  # no temporary left
    signed = _pdf_text(folder / "documents" / "close_report.pdf")
    assert "Draft" not in signed and "Issued: final since" in signed
    assert "approved by Jane <Doe>" in signed
    for page in ("index.html", "close_report.html"):
        text = (folder / "documents" / page).read_text()
        assert "Draft" not in text and "Issued: final since" in text
        assert "approved by Jane &lt;Doe&gt;" in text
    assert all(after[name] == digest for name, digest in final["sha256"].items())
    assert read_output(root, deep=True)  # the issued month checks out


def test_render_again_refuses_a_damaged_draft_and_a_linked_version(tmp_path):
    root = tmp_path / "output"
    folder = _small_close(root)
    statements = folder / "statements.parquet"
    original = statements.read_bytes()
    statements.write_bytes(b"PAR1 damaged")
    with pytest.raises(BillingError, match="statements.parquet no longer match"):
        render_documents_again(root, OCTOBER, None)
    statements.write_bytes(original)
    manifest = folder / "manifest.json"
    text = manifest.read_text()
    manifest.write_text(text[:40])
    with pytest.raises(BillingError, match="manifest.json cannot be read") as damaged:
        render_documents_again(root, OCTOBER, None)
    assert str(manifest) in str(damaged.value)
    manifest.write_text(text)
    (root / "2026-10" / "v2").symlink_to(folder)
    with pytest.raises(BillingError, match="v2 is a symbolic link"):
        render_documents_again(root, OCTOBER, 2)
    assert not [p for p in folder.iterdir() if p.name.startswith(("documents", "."))]


@pytest.mark.skipif(os.geteuid() == 0, reason="root writes into a read-only folder")
def test_render_again_into_a_read_only_version_is_one_sentence(tmp_path):
    root = tmp_path / "output"
    folder = _small_close(root)
    folder.chmod(0o555)
    try:
        with pytest.raises(BillingError, match="cannot be written into"):
            render_documents_again(root, OCTOBER, None)
    finally:
        folder.chmod(0o755)
