"""Renders a close's documents: statements (HTML and PDF), the index, the close report and the
workbook. A pure function of the version folder and the final months beside it."""

from __future__ import annotations

import dataclasses
import datetime as dt
import html
import json
import os
import shutil
import subprocess
import sys
import time
from collections import defaultdict
from dataclasses import dataclass
from decimal import Decimal
from pathlib import Path

import jinja2
import markupsafe

from automq_billing.book.folder import (
    Month,
    Version,
    check_version_files,
    month_state,
    read_output,
)
from automq_billing.book.names import (
    RENDERING_FOLDER,
    next_rendering_number,
    rendering_temporary,
)
from automq_billing.book.publish import remove_own_temporaries
from automq_billing.documents import charts
from automq_billing.documents.close_report import build_close_report
from automq_billing.documents.pdf import PdfCounts, PdfJob, write_pdfs
from automq_billing.documents.pdf_cache import PdfCache
from automq_billing.documents.report_pdf import (
    REPORT_HTML,
    add_report_pdf,
    report_job,
    stamp_report_pdf,
)
from automq_billing.documents.statement import (
    Statement,
    build_statement,
    close_status,
    statement_context,
)
from automq_billing.documents.text import (
    month_label,
    month_title,
    next_month,
    parse_utc,
    service_period,
    utc_text,
)
from automq_billing.documents.version_folder import (
    FinalMonth,
    Row,
    VersionFolder,
    read_version_folder,
)
from automq_billing.errors import BillingError

DOCUMENTS_DIR = "documents"
_RENAME_ATTEMPTS = 20


@dataclass(frozen=True)
class DocumentsResult:
    destination: Path
    files: tuple[Path, ...]
    statements: int
    pdfs: int
    workbook_sheets: int
    seconds: float
    pdfs_rendered: int = 0  # typeset by this rendering
    pdfs_reused: int = 0  # taken from the PDF cache (verified)


def render_documents(
    version_folder: Path,
    destination: Path,
    *,
    output_root: Path,
    report_change_threshold: Decimal = Decimal("20"),
    pdfs: bool = True,
    pdf_cache: PdfCache | None = None,
) -> DocumentsResult:
    """Writes every document of the close in `version_folder` into `destination` (created; it
    must not hold files already). `output_root` holds the final months the close report
    compares with. Rendering the same files twice gives identical bytes. `pdfs` False writes
    the statements in HTML only; `pdf_cache` reuses the PDFs of HTML already typeset."""
    started = time.monotonic()
    if report_change_threshold < 0:
        raise BillingError(
            f"The report's change threshold must be 0 or more; got {report_change_threshold}.",
            hint="pass a percentage such as Decimal('20')",
        )
    close = read_version_folder(version_folder, output_root)
    _prepare_destination(destination)
    closed = _closed_at(close)
    closed_text, closed_iso = utc_text(closed), closed.strftime("%Y-%m-%dT%H:%M:%SZ")
    templates = _templates()
    workbook = _start_workbook(version_folder, output_root, destination / "close.xlsx", closed)
    try:
        statements = _statements(close, closed_text, closed_iso)
        written, jobs = _write_statements(templates, statements, destination)
        counts = PdfCounts(0, 0)
        with charts.cached_in(output_root):
            pages = _pages(close, report_change_threshold, pdfs, templates, statements)
        if pdfs:  # the statements' PDFs and the close report's, for sign-off
            jobs.append(report_job(pages[REPORT_HTML], destination, close.month, close.version))
            counts = write_pdfs(jobs, pdf_cache)
            written += [job.target for job in jobs]
        for name, text in pages.items():
            written.append(_write_text(destination / name, text))
    except BaseException:
        workbook.kill()  # nothing is written after the rendering has failed
        workbook.wait()
        raise
    sheets = _finish_workbook(workbook)
    written.append(destination / "close.xlsx")
    return DocumentsResult(
        destination=destination,
        files=tuple(written),
        statements=len(statements),
        pdfs=counts.rendered + counts.reused,
        workbook_sheets=len(sheets) + 1,
        seconds=round(time.monotonic() - started, 3),
        pdfs_rendered=counts.rendered,
        pdfs_reused=counts.reused,
    )


def _start_workbook(
    version_folder: Path, output_root: Path, target: Path, closed: dt.datetime
) -> subprocess.Popen:
    """Writes the workbook in a child interpreter while this one renders the statements: it is
    the longest single document (one cell at a time, a sheet per Parquet file), and the
    machine's other core is free for it."""
    command = [
        sys.executable,
        "-m",
        "automq_billing.documents.workbook",
        str(version_folder),
        str(output_root),
        str(target),
        closed.isoformat(),
    ]
    return subprocess.Popen(command, stdout=subprocess.PIPE, stderr=subprocess.PIPE)


def _finish_workbook(process: subprocess.Popen) -> list:
    out, errors = process.communicate()
    if process.returncode != 0:
        last = (errors.decode("utf-8", "replace").strip().splitlines() or ["no message"])[-1]
        raise BillingError(
            f"Writing the workbook close.xlsx failed: {last}; the documents were not published.",
            hint="fix the cause named above and run the close (or `documents`) again",
        )
    return json.loads(out)


def _write_statements(
    templates: jinja2.Environment, statements: list[Statement], destination: Path
) -> tuple[list[Path], list[PdfJob]]:
    """Each statement as HTML, and the job of its PDF from that same HTML."""
    if not statements:
        return [], []
    template = templates.get_template("statement.html.j2")
    written, jobs = [], []
    for statement in statements:
        html_text = template.render(s=statement)
        written.append(_write_text(destination / f"{statement.name}.html", html_text))
        jobs.append(PdfJob(html_text, destination / f"{statement.name}.pdf", statement.number))
    return written, jobs


def _pages(
    close: VersionFolder,
    threshold: Decimal,
    pdfs: bool,
    templates: jinja2.Environment | None = None,
    statements: list[Statement] | None = None,
) -> dict[str, str]:
    """The two pages that say whether the version is issued: index.html, close_report.html."""
    templates = templates or _templates()
    closed = _closed_at(close)
    closed_text, closed_iso = utc_text(closed), closed.strftime("%Y-%m-%dT%H:%M:%SZ")
    if statements is None:
        statements = _statements(close, closed_text, closed_iso)
    view = _index_view(close, statements, closed_text, pdfs)
    report = build_close_report(close, closed_text, closed_iso, threshold)
    return {
        "index.html": templates.get_template("index.html.j2").render(i=view),
        "close_report.html": templates.get_template("close_report.html.j2").render(r=report),
    }


def issued_stamps(state: Month, issued: Version, final: dict) -> list[tuple[Path, Path]]:
    """finalize's stamp (see `automq_billing.book.commands.finalize`): the index and the close
    report of every rendering of the month's versions, rendered again as of the issue (the
    issued version's say "Issued ... approved by ...", the others "Draft, superseded"), written
    as hidden temporary files beside the pages they replace, with the close report's PDF where
    the rendering has one (typeset again from the stamped page). Statements, their PDFs, the
    workbook and every file a manifest or final.json hashes are left alone."""
    totals = final["totals"]
    month_final = FinalMonth(
        month=state.month,
        version=final["version"],
        finalized_at=final["finalized_at"],
        total_amount=Decimal(totals["total_amount"]),
        statements=int(totals["statements"]),
        folder=issued.folder,
        sha256=dict(final["sha256"]),
        approved_by=final["approved_by"],
    )
    stamped: list[tuple[Path, Path]] = []
    try:
        for version in state.versions:
            renderings = [
                child
                for child in sorted(version.folder.iterdir())
                if (child.name == DOCUMENTS_DIR or RENDERING_FOLDER.fullmatch(child.name))
                and child.is_dir()
                and not child.is_symlink()
            ]
            if not renderings:
                continue
            try:
                close = read_version_folder(version.folder, state.folder.parent)
            except BillingError:
                if version == issued:
                    raise
                continue  # a damaged superseded draft keeps its pages; it is not what is issued
            stamped_close = dataclasses.replace(close, month_final=month_final)
            for rendering in renderings:
                # the index links the PDFs this rendering holds (finalize has just added the
                # issued version's)
                with charts.cached_in(state.folder.parent):
                    pages = _pages(stamped_close, Decimal("20"), any(rendering.glob("*.pdf")))
                for name, text in pages.items():
                    if (rendering / name).is_file():
                        temporary = rendering / f".{name}.stamp-{os.getpid()}"
                        with temporary.open("x", encoding="utf-8", newline="\n") as handle:
                            handle.write(text)
                        stamped.append((temporary, rendering / name))
                report = stamp_report_pdf(
                    pages[REPORT_HTML],
                    rendering,
                    close.month,
                    close.version,
                    PdfCache.for_output(state.folder.parent),
                )
                if report is not None:
                    stamped.append(report)
    except BaseException:
        for temporary, _ in stamped:
            temporary.unlink(missing_ok=True)
        raise
    return stamped


def add_statement_pdfs(output_root: Path, month: dt.date, version: int | None) -> PdfCounts:
    """Writes the PDF of every statement of a draft version's `documents/` that has none, from
    the HTML file there (through the PDF cache): what finalize does before it issues the
    version, since an issued statement is sent as a PDF. An issued month is refused (its folders
    never change); a version closed without documents has nothing to add. The caller holds the
    output folder's lock."""
    state = month_state(read_output(output_root), month)
    if state is None or not state.versions or state.final is not None:
        return PdfCounts(0, 0)
    folder = state.version(version).folder
    documents = folder / DOCUMENTS_DIR
    if not documents.is_dir() or documents.is_symlink():
        return PdfCounts(0, 0)
    close = read_version_folder(folder, output_root)
    closed = _closed_at(close)
    statements = _statements(close, utc_text(closed), closed.strftime("%Y-%m-%dT%H:%M:%SZ"))
    jobs = []
    for statement in statements:
        page = documents / f"{statement.name}.html"
        if os.path.lexists(documents / f"{statement.name}.pdf"):
            continue
        if page.is_symlink() or not page.is_file():
            raise BillingError(
                f"{page} is missing: the statement of {statement.organization_id!r} cannot get "
                "its PDF.",
                hint=f"render the version's documents again: automq-billing documents --month "
                f"{month_label(month)} --output {output_root}",
            )
        html_text = page.read_text(encoding="utf-8")
        jobs.append(PdfJob(html_text, documents / f"{statement.name}.pdf", statement.number))
    cache = PdfCache.for_output(output_root)
    counts = write_pdfs(jobs, cache)
    report = add_report_pdf(documents, month, close.version, cache)
    return PdfCounts(counts.rendered + report.rendered, counts.reused + report.reused)


def render_documents_again(output_root: Path, month: dt.date, version: int | None) -> Path:
    """Renders a closed version's documents again into `<month>/v<N>/documents-<k>/` (k = 2, 3,
    ...; `documents/` is the close's own rendering), through a hidden temporary folder renamed
    into place. The version's data files are only read. `version` None means the latest. An
    issued (final) month is refused: its folders never change (SPEC 8). The caller holds the
    output folder's lock."""
    remove_own_temporaries(output_root)
    state = month_state(read_output(output_root), month)
    if state is None:
        raise BillingError(
            f"{output_root} holds no close of {month_label(month)}.",
            hint="check --output, or close the month first: automq-billing close --month "
            f"{month_label(month)}",
        )
    if state.final is not None:
        raise BillingError(
            f"{month_label(month)} is final (v{state.final.version}); an issued month's folders "
            "never change, so its documents are not rendered again there.",
            hint="its documents/ folder holds the issued statements; render a draft month instead",
        )
    chosen = state.version(version)
    check_version_files(chosen, chosen.manifest())  # a damaged draft is refused
    folder = chosen.folder
    temporary = rendering_temporary(folder, next_rendering_number(folder))
    try:
        render_documents(
            folder,
            temporary,
            output_root=output_root,
            pdf_cache=PdfCache.for_output(output_root),
        )
        return _publish(temporary, folder)
    except OSError as error:
        shutil.rmtree(temporary, ignore_errors=True)
        raise BillingError(
            f"The documents of {chosen.label} cannot be written into {folder} "
            f"({error.strerror or error}); nothing was rendered.",
            hint="make the output folder writable (or free space) and run again",
        ) from None
    except BaseException:
        shutil.rmtree(temporary, ignore_errors=True)
        raise


def _publish(temporary: Path, folder: Path) -> Path:
    """Renames the finished rendering to the next free `documents-<k>`; another rendering that
    took the same k first makes the rename fail, and the next k is tried."""
    for _ in range(_RENAME_ATTEMPTS):
        final = folder / f"documents-{next_rendering_number(folder)}"
        try:
            os.rename(temporary, final)
        except OSError:
            if final.exists():
                continue
            raise
        return final
    raise BillingError(
        f"Could not find a free documents-<k> folder name in {folder}.",
        hint="another rendering may be running; try again when it has finished",
    )


def _prepare_destination(destination: Path) -> None:
    if destination.exists() and (not destination.is_dir() or any(destination.iterdir())):
        raise BillingError(
            f"{destination} already exists and is not an empty folder; documents are never "
            "written over other files.",
            hint="pass a new folder",
        )
    destination.mkdir(parents=True, exist_ok=True)


def _closed_at(close: VersionFolder) -> dt.datetime:
    """The close's time, which every document prints and the PDFs and workbook carry as their
    creation date; a manifest without one gives the end of the month (still deterministic)."""
    text = close.manifest.get("closed_at")
    if text:
        return parse_utc(str(text)).replace(microsecond=0)
    end = next_month(close.month)
    return dt.datetime(end.year, end.month, end.day, tzinfo=dt.UTC)


def _escape(value: object) -> object:
    """Every value a template prints goes through `html.escape` (quotes too); markup built on
    purpose (the chart SVGs, the template's own macros) is marked safe and left alone."""
    if hasattr(value, "__html__"):
        return value
    return markupsafe.Markup(html.escape(str(value), quote=True))


def _templates() -> jinja2.Environment:
    return jinja2.Environment(
        loader=jinja2.PackageLoader("automq_billing.documents", "templates"),
        autoescape=True,
        finalize=_escape,
        undefined=jinja2.StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
        keep_trailing_newline=True,
    )


def _statements(close: VersionFolder, closed_text: str, closed_iso: str) -> list[Statement]:
    context = statement_context(close, closed_text, closed_iso)
    lines_by_org: dict[str, list[Row]] = defaultdict(list)
    for line in close.lines:
        lines_by_org[line["organization_id"]].append(line)
    statements = [
        build_statement(
            context,
            summary,
            lines_by_org.get(summary["organization_id"], []),
            close.organizations.get(summary["organization_id"]),
        )
        for summary in sorted(close.statements, key=lambda row: row["organization_id"])
    ]
    _check_unique_names(statements)
    return statements


def _check_unique_names(statements: list[Statement]) -> None:
    seen: dict[str, str] = {}
    for statement in statements:
        key = statement.name
        if key in seen:
            raise BillingError(
                f"Organizations {seen[key]!r} and {statement.organization_id!r} would share the "
                f"statement file name {statement.name!r}.",
                hint="report this: the naming rule of the documents needs a look",
            )
        seen[key] = statement.organization_id


@dataclass(frozen=True)
class IndexView:
    month_label: str
    month_title: str
    period: str
    version: int
    closed_at: str
    status: str
    currency: str
    statements: tuple[Statement, ...]
    pdfs: bool


def _index_view(
    close: VersionFolder, statements: list[Statement], closed_text: str, pdfs: bool
) -> IndexView:
    return IndexView(
        month_label=month_label(close.month),
        month_title=month_title(close.month),
        period=service_period(close.month),
        version=close.version,
        closed_at=closed_text,
        status=close_status(close),
        currency=str((close.manifest.get("totals") or {}).get("currency", "USD")),
        statements=tuple(statements),
        pdfs=pdfs,
    )


def _write_text(path: Path, text: str) -> Path:
    path.write_text(text, encoding="utf-8", newline="\n")
    return path
