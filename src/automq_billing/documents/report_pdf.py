"""The close report as a PDF for sign-off: `close_report.pdf` beside `close_report.html`, typeset
from the same HTML whenever the statements get their PDFs (a close or `documents` with PDFs, and
finalize), and typeset again when finalize stamps the page, so that the PDF always says what the
HTML says (draft, issued and by whom, or superseded)."""

from __future__ import annotations

import datetime as dt
import os
from pathlib import Path

from automq_billing.documents.pdf import PdfCounts, PdfJob, write_pdfs
from automq_billing.documents.pdf_cache import PdfCache
from automq_billing.documents.text import month_label

REPORT_HTML = "close_report.html"
REPORT_PDF = "close_report.pdf"


def report_identifier(month: dt.date, version: int) -> str:
    """The PDF file identifier of a close report: one per month and version."""
    return f"AMQ-{month_label(month)}-close-report-v{version}"


def report_job(html_text: str, folder: Path, month: dt.date, version: int) -> PdfJob:
    return PdfJob(html_text, folder / REPORT_PDF, report_identifier(month, version))


def add_report_pdf(folder: Path, month: dt.date, version: int, cache: PdfCache) -> PdfCounts:
    """Writes `close_report.pdf` in a documents folder that has the HTML report and no PDF of it
    (a version closed without PDFs, made ready for finalize)."""
    page = folder / REPORT_HTML
    if os.path.lexists(folder / REPORT_PDF) or page.is_symlink() or not page.is_file():
        return PdfCounts(0, 0)
    return write_pdfs([report_job(page.read_text(encoding="utf-8"), folder, month, version)], cache)


def stamp_report_pdf(
    html_text: str, folder: Path, month: dt.date, version: int, cache: PdfCache
) -> tuple[Path, Path] | None:
    """finalize's stamp of the report's PDF: the stamped HTML typeset into a hidden temporary
    file beside `close_report.pdf` (only where the rendering has one); (temporary, target)."""
    target = folder / REPORT_PDF
    if target.is_symlink() or not target.is_file():
        return None
    temporary = folder / f".{REPORT_PDF}.stamp-{os.getpid()}"
    job = PdfJob(html_text, temporary, report_identifier(month, version))
    write_pdfs([job], cache)
    return temporary, target
