"""`automq-billing finalize` and `automq-billing status` (SPEC 8): issuing a month's version by
writing its `final.json`, and listing what the output folder holds.

finalize checks the version's files against its manifest before it writes final.json; every
later run checks them against final.json before it uses them, and no command writes into a final
month's folders again (finalize's own stamp on the issued version's HTML pages aside, see
`finalize`).
"""

from __future__ import annotations

import datetime as dt
import getpass
import json
import os
import shutil
import unicodedata
from collections.abc import Callable
from decimal import Decimal, InvalidOperation
from pathlib import Path

from automq_billing.book.folder import (
    ISSUED_FILES,
    Month,
    Version,
    check_version_files,
    month_state,
    read_output,
    refuse_problems,
)
from automq_billing.book.invoices import INVOICES_FOLDER, assign_invoices, last_invoice_number
from automq_billing.book.issued import issued_basis, never_closed, recorded_landed_months
from automq_billing.book.names import FINAL_FILE, final_temporary, invoices_temporary
from automq_billing.book.publish import remove_final_temporaries
from automq_billing.errors import BillingError
from automq_billing.landing.hashing import sha256_file
from automq_billing.locks import command_line, run_locks
from automq_billing.months import format_month
from automq_billing.paths import check_output_folder

Stamp = Callable[[Month, Version, dict], list[tuple[Path, Path]]]
# writes the invoice PDFs of final.json's `invoices` into the given (temporary) folder
InvoiceWriter = Callable[[list[Month], Month, Version, dict, Path], None]


def run_finalize(
    output: Path, month: dt.date, number: int | None, *, approved_by: str | None
) -> list[str]:
    """`automq-billing finalize`: issues the month under the output folder's lock, stamping the
    issued version's pages; returns what the command prints."""
    # documents read the book, not this module
    from automq_billing.documents import add_statement_pdfs, issued_stamps, write_invoice_pdfs

    check_output_folder(output)
    if not output.is_dir():
        raise BillingError(
            f"The output folder {output} does not exist; nothing has been closed there.",
            hint="pass the --output of your closes",
        )
    said = []
    with run_locks(command_line(), output=output):
        # an issued statement is sent as a PDF: typeset the version's (through the PDF cache)
        pdfs = add_statement_pdfs(output, month, number)
        if pdfs.rendered or pdfs.reused:
            said.append(
                f"PDFs of the statements and the close report: {pdfs.rendered} typeset, "
                f"{pdfs.reused} from the PDF cache"
            )
        path, final = finalize(
            output,
            month,
            number,
            approved_by=approved_by,
            stamp=issued_stamps,
            invoice_pdfs=write_invoice_pdfs,
        )
    return said + [
        f"Finalized {final['month']} v{final['version']} at {final['finalized_at']}, approved by "
        f"{final['approved_by']}: "
        f"{final['totals']['statements']} statement(s), {final['totals']['lines']} line(s), "
        f"total {final['totals']['total_amount']} USD",
        f"  {path}",
        *invoice_lines(final, path.parent),
    ]


def invoice_lines(final: dict, month_folder: Path) -> list[str]:
    """What finalize says of the invoices it numbered (SPEC 12.2)."""
    invoices = final.get("invoices") or []
    if not invoices:
        return ["No invoice: AutoMQ invoices nothing on this month's statements."]
    notes = [i for i in invoices if i.get("kind") == "credit_note"]
    return [
        f"Invoices {invoices[0]['invoice_number']} to {invoices[-1]['invoice_number']}: "
        f"{len(invoices) - len(notes)} invoice(s), {len(notes)} credit note(s), dated "
        f"{invoices[0]['invoice_date']}",
        f"  {month_folder / INVOICES_FOLDER}/",
    ]


def run_status(output: Path, say: Callable[[str], None]) -> None:
    """`automq-billing status`: says every month of the output folder (each final month checked
    again against final.json and its manifest), then refuses (BillingError) when anything is
    not as the runs wrote it."""
    say(f"Output folder {output}")
    months = read_output(output, strict=False, deep=True)
    for line in status_lines(months):
        say(f"  {line}")
    refuse_problems(months)


def finalize(
    output: Path,
    month: dt.date,
    number: int | None = None,
    *,
    approved_by: str | None = None,
    stamp: Stamp | None = None,
    invoice_pdfs: InvoiceWriter | None = None,
) -> tuple[Path, dict]:
    """Writes `<output>/<YYYY-MM>/final.json` for the version (default: the latest), recording
    who approved it (default: the operating-system user), or refuses (BillingError) saying why.

    `stamp` prepares the issued version's pages that say so (the HTML documents no manifest
    hashes) as temporary files; they are put in place right after final.json is written, the
    moment the month is issued, so a page never says issued before it is (a finalize killed in
    between is completed by the next run: `remove_final_temporaries`). The version's data files,
    its manifest and everything final.json hashes are never touched. The caller holds the
    output folder's lock.

    The statements AutoMQ invoices get the next numbers of the invoice sequence (SPEC 12.2,
    `book.invoices`), recorded in final.json; `invoice_pdfs` typesets them into a hidden
    temporary folder, renamed to `<YYYY-MM>/invoices/` right after final.json: a finalize that
    fails before final.json is in place has used no number and leaves no file."""
    approver = approver_name(approved_by)
    remove_final_temporaries(output)
    months = read_output(output)
    state = month_state(months, month)
    label = format_month(month)
    if state is None or not state.versions:
        raise BillingError(
            f"{label} has no version in {output} to finalize.",
            hint=f"close it first: automq-billing close --month {label} --output {output}",
        )
    if state.final is not None:
        raise BillingError(
            f"{label} is already final (v{state.final.version}, finalized "
            f"{state.final.finalized_at}); an issued month never changes.",
            hint="book late usage on the next open month; nothing to do for this one",
        )
    version = state.version(number)
    later = [m.label for m in months if m.month > month and m.final is not None]
    if later:
        raise BillingError(
            f"{label} cannot be finalized: the later month {later[0]} is already final "
            "(months are issued in order).",
            hint=f"its usage belongs to the next open month's corrections; {label}'s draft will "
            "not be issued",
        )
    skipped = [m.label for m in months if m.month < month and m.versions and m.final is None]
    if skipped:
        raise BillingError(
            f"{label} cannot be finalized before {skipped[0]}, which has a draft but is not final "
            "(months are issued in order: a skipped draft would never be billed).",
            hint=f"review and finalize {skipped[0]} first: automq-billing finalize --month "
            f"{skipped[0]}",
        )
    manifest = version.manifest()
    _refuse_never_closed(months, version, manifest)
    check_version_files(version, manifest)
    basis_then = (manifest.get("corrections") or {}).get("issued_basis", {})
    basis_now = issued_basis(months, month)
    if basis_then != basis_now:
        raise BillingError(
            f"{version.label} is stale: it was closed against the issued months "
            f"{basis_then or '{}'}, and the issued months before it are now {basis_now or '{}'}, "
            "so its corrections "
            "were computed against another issued position.",
            hint=f"close the month again (automq-billing close --month {label}) and finalize the "
            "new version",
        )
    invoices_folder = state.folder / INVOICES_FOLDER
    if os.path.lexists(invoices_folder):
        raise BillingError(
            f"{invoices_folder} exists though {label} is not final: invoices are written only "
            "by the finalize that numbers them.",
            hint=f"move {invoices_folder} out of the output folder, then run again",
        )
    finalized_at = dt.datetime.now(dt.UTC).replace(microsecond=0)
    final = {
        "month": label,
        "version": version.number,
        "finalized_at": finalized_at.isoformat(),
        "approved_by": approver,
        "sha256": {name: sha256_file(version.folder / name) for name in ISSUED_FILES},
        "totals": _final_totals(version, manifest),
        "invoices": assign_invoices(version, last_invoice_number(months) + 1, finalized_at.date()),
    }
    stamped = stamp(state, version, final) if stamp else []
    pending = invoices_temporary(state.folder) if invoice_pdfs and final["invoices"] else None
    path = state.folder / FINAL_FILE
    temporary = final_temporary(state.folder)
    try:
        if pending is not None and invoice_pdfs is not None:
            pending.mkdir()
            invoice_pdfs(months, state, version, final, pending)
        with temporary.open("x", encoding="utf-8") as handle:
            handle.write(json.dumps(final, indent=2) + "\n")
            handle.flush()
            os.fsync(handle.fileno())
        os.rename(temporary, path)
    except BaseException:
        temporary.unlink(missing_ok=True)
        if pending is not None:
            shutil.rmtree(pending, ignore_errors=True)
        for page, _ in stamped:
            page.unlink(missing_ok=True)
        raise
    for page, target in stamped:
        os.replace(page, target)
    if pending is not None:
        os.rename(pending, invoices_folder)
    return path, final


def approver_name(given: str | None) -> str:
    """Who approves a finalize: `--approved-by`, else the operating-system user."""
    if given is None:
        try:
            given = getpass.getuser()
        except (OSError, KeyError):  # no login name, no passwd entry (a container)
            given = f"uid {os.getuid()}"
    name = given.strip()
    if not name or len(name) > 200 or any(unicodedata.category(c)[0] == "C" for c in name):
        raise BillingError(
            f"--approved-by {given[:60]!r} is not a name: it is empty, longer than 200 "
            "characters or holds control or format characters.",
            hint="pass the approver's name as finance knows it, e.g. --approved-by 'Jane Doe'",
        )
    return name


def _refuse_never_closed(months: list[Month], version: Version, manifest: dict) -> None:
    landed = recorded_landed_months(manifest)
    label = format_month(version.month)
    if landed is None:
        raise BillingError(
            f"{version.label}'s manifest does not record which months have landed usage "
            "(closed by an older release), so finalize cannot tell whether an earlier month was "
            "never closed.",
            hint=f"close {label} again and finalize the new version",
        )
    missing = never_closed(months, landed, version.month)
    if missing:
        raise BillingError(
            f"{label} cannot be finalized: {', '.join(missing)} "
            f"{'has' if len(missing) == 1 else 'have'} landed usage or a licence starting in it "
            "but no version at all (a month never closed would never be billed).",
            hint=f"close {missing[0]} first (automq-billing close --month {missing[0]}), "
            "finalize it, then close and finalize the months after it again",
        )


def _final_totals(version: Version, manifest: dict) -> dict:
    totals = manifest.get("totals")
    try:
        return {
            "total_amount": str(Decimal(totals["total_amount"])),
            "statements": int(totals["organizations"]),
            "lines": int(totals["statement_lines"]),
        }
    except (TypeError, KeyError, ValueError, InvalidOperation):
        raise BillingError(
            f"{version.folder / 'manifest.json'} lacks the totals a close writes; "
            f"{version.label} cannot be issued.",
            hint=f"close {format_month(version.month)} again and finalize the new version",
        ) from None


def status_lines(months: list[Month]) -> list[str]:
    """One line per month: its versions with their totals, which one is final, when and by
    whom; under it, what no longer matches what was written (`read_output(strict=False,
    deep=True)` found it)."""
    if not months:
        return ["No month has been closed in this output folder yet."]
    lines = []
    for state in months:
        parts = []
        for version in state.versions:
            try:
                totals = version.manifest().get("totals", {})
                total = f"{Decimal(totals['total_amount']):,.2f} {totals.get('currency', 'USD')}"
            except (BillingError, KeyError, TypeError, ValueError, ArithmeticError):
                total = "unreadable manifest"
            mark = ""
            if state.final and state.final.version == version.number:
                mark = " FINAL (DOES NOT MATCH)" if state.problems else " FINAL"
            parts.append(f"v{version.number}{mark} {total}")
        if state.final:
            where = (
                f"final: v{state.final.version}, finalized {state.final.finalized_at} by "
                f"{state.final.approved_by or '(approver not recorded)'}"
            )
        elif state.versions:
            where = "open (draft)"
        else:
            where = "no version"
        if state.problems:
            where += ", NOT AS WRITTEN"
        if state.final and state.final.invoices:  # SPEC 12.2
            invoices = state.final.invoices
            notes = sum(1 for i in invoices if i.get("kind") == "credit_note")
            where += (
                f", invoices {invoices[0]['invoice_number']} to "
                f"{invoices[-1]['invoice_number']} ({len(invoices) - notes} invoice(s), "
                f"{notes} credit note(s))"
            )
        lines.append(f"{state.label}  {where}  |  " + ("; ".join(parts) or "-"))
        lines.extend(f"    does not match: {problem}" for problem in state.problems)
    return lines
