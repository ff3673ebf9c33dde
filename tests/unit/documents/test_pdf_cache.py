"""Documents that cost what changed (issue 18): PDFs through a verified content-addressed cache,
typeset on every core with the same bytes, HTML-only drafts whose PDFs finalize adds."""

from __future__ import annotations

import hashlib
import json
import os
from decimal import Decimal
from pathlib import Path

import pytest
from close_fixture import OCTOBER, Org, write_version_folder

from automq_billing.cli import main
from automq_billing.documents import add_statement_pdfs, render_documents
from automq_billing.documents.pdf import PdfJob, write_pdfs
from automq_billing.documents.pdf_cache import PdfCache, pdf_key
from automq_billing.errors import BillingError

pytestmark = pytest.mark.unit


def _hashes(folder: Path, suffix: str = ".pdf") -> dict[str, str]:
    return {
        path.name: hashlib.sha256(path.read_bytes()).hexdigest()
        for path in sorted(folder.glob(f"*{suffix}"))
    }


def _statement_jobs(documents: Path, target: Path) -> list[PdfJob]:
    """The PDF jobs of a rendered folder's statements, identified as the rendering did."""
    jobs = []
    for page in sorted(documents.glob("*.html")):
        if page.name in {"index.html", "close_report.html"}:
            continue
        text = page.read_text(encoding="utf-8")
        number = text.split("<title>Statement ", 1)[1].split(" for ", 1)[0]
        jobs.append(PdfJob(text, target / f"{page.stem}.pdf", number))
    return jobs


def test_a_second_rendering_reuses_every_pdf_with_the_same_bytes(october, tmp_path):
    cache = PdfCache(tmp_path / "cache")
    first = render_documents(
        october.close.folder, tmp_path / "first", output_root=october.close.root, pdf_cache=cache
    )
    assert (first.pdfs_rendered, first.pdfs_reused) == (13, 0)  # 12 statements, the report
    second = render_documents(
        october.close.folder,
        tmp_path / "second",
        output_root=october.close.root,
        pdf_cache=PdfCache(tmp_path / "cache"),
    )
    assert (second.pdfs_rendered, second.pdfs_reused) == (0, 13)
    assert second.seconds < first.seconds
    # the cache changes nothing in the files: the same bytes as a rendering without it
    assert _hashes(tmp_path / "second") == _hashes(tmp_path / "first")
    assert _hashes(tmp_path / "first") == _hashes(october.destination)


def test_serial_and_parallel_typesetting_give_the_same_bytes(october, tmp_path):
    (tmp_path / "serial").mkdir()
    (tmp_path / "parallel").mkdir()
    serial = write_pdfs(_statement_jobs(october.destination, tmp_path / "serial")[:4], None, 1)
    parallel = write_pdfs(_statement_jobs(october.destination, tmp_path / "parallel")[:4], None, 2)
    assert serial.rendered == parallel.rendered == 4
    assert _hashes(tmp_path / "serial") == _hashes(tmp_path / "parallel")
    assert _hashes(tmp_path / "serial").items() <= _hashes(october.destination).items()


def _one_job(october, target: Path) -> PdfJob:
    page = sorted(october.destination.glob("org-acme.html"))[0]
    [job] = [j for j in _statement_jobs(october.destination, target) if j.target.stem == page.stem]
    return job


def test_a_damaged_cache_entry_is_typeset_again_and_replaced(october, tmp_path):
    cache = PdfCache(tmp_path / "cache")
    (tmp_path / "a").mkdir()
    job = _one_job(october, tmp_path / "a")
    write_pdfs([job], cache)
    entry = tmp_path / "cache" / f"{pdf_key(job.html_text, job.identifier)}.pdf"
    good = entry.read_bytes()
    entry.write_bytes(good.replace(b"AMQ-", b"XXX-", 1))  # an edited PDF, same length
    (tmp_path / "b").mkdir()
    again = write_pdfs([_one_job(october, tmp_path / "b")], PdfCache(tmp_path / "cache"))
    assert (again.rendered, again.reused) == (1, 0)
    assert (tmp_path / "b" / "org-acme.pdf").read_bytes() == good
    assert entry.read_bytes() == good


def test_the_cache_is_never_used_through_a_symbolic_link(october, tmp_path):
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    (tmp_path / "output" / ".cache").mkdir(parents=True)
    (tmp_path / "output" / ".cache" / "pdf").symlink_to(elsewhere)
    (tmp_path / "a").mkdir()
    with pytest.raises(BillingError, match="symbolic link") as refused:
        write_pdfs([_one_job(october, tmp_path / "a")], PdfCache.for_output(tmp_path / "output"))
    assert refused.value.hint
    assert not list(elsewhere.iterdir()) and not list((tmp_path / "a").iterdir())


def test_a_linked_cache_entry_is_not_read_and_its_target_not_written(october, tmp_path):
    cache = PdfCache(tmp_path / "cache")
    (tmp_path / "cache").mkdir()
    job = _one_job(october, tmp_path / "a")
    (tmp_path / "a").mkdir()
    key = pdf_key(job.html_text, job.identifier)
    victim = tmp_path / "victim.pdf"
    victim.write_bytes(b"not a statement")
    (tmp_path / "cache" / f"{key}.pdf").symlink_to(victim)
    (tmp_path / "cache" / f"{key}.sha256").write_text(
        hashlib.sha256(b"not a statement").hexdigest() + "\n"
    )
    counts = write_pdfs([job], cache)
    assert (counts.rendered, counts.reused) == (1, 0)
    assert victim.read_bytes() == b"not a statement"
    assert not (tmp_path / "cache" / f"{key}.pdf").is_symlink()
    assert (tmp_path / "a" / "org-acme.pdf").read_bytes().startswith(b"%PDF")


def _draft(root: Path) -> Path:
    folder = root / "2026-10" / "v1"
    orgs = [
        Org(name, "direct", ingress=Decimal(200 + index), uptime={"pro": 24})
        for index, name in enumerate(["org-a", "org-b", "org-c"])
    ]
    write_version_folder(folder, OCTOBER, 1, orgs)
    # what a close of this release records, and finalize requires
    manifest = json.loads((folder / "manifest.json").read_text())
    manifest["landed_months"] = {"2026-10": {"usage_rows": 3, "licences": 0}}
    (folder / "manifest.json").write_text(json.dumps(manifest))
    return folder


def test_a_draft_gets_html_statements_and_finalize_adds_the_same_pdfs(tmp_path):
    root = tmp_path / "output"
    folder = _draft(root)
    draft = render_documents(folder, folder / "documents", output_root=root, pdfs=False)
    assert draft.statements == 3 and draft.pdfs == 0
    assert not list((folder / "documents").glob("*.pdf"))
    index = (folder / "documents" / "index.html").read_text(encoding="utf-8")
    words = index.replace("&lt;name&gt;.pdf", "").replace("<code>close_report.pdf", "")
    assert ".pdf" not in words
    full = render_documents(folder, tmp_path / "full", output_root=root)
    assert full.pdfs == 4  # three statements and the close report for sign-off
    assert (tmp_path / "full" / "close_report.pdf").is_file()

    code = main(["finalize", "--month", "2026-10", "--output", str(root)])
    assert code == 0
    assert json.loads((root / "2026-10" / "final.json").read_text())["version"] == 1
    # the issued statements' PDFs, byte for byte those a full rendering writes
    issued, full_hashes = _hashes(folder / "documents"), _hashes(tmp_path / "full")
    assert issued.pop("close_report.pdf") != full_hashes.pop("close_report.pdf")  # stamped
    assert issued == full_hashes
    # the issued month's folders never change: nothing more to add
    assert add_statement_pdfs(root, OCTOBER, None).rendered == 0


def test_pdfs_added_twice_reuse_the_cache_and_skip_what_is_there(tmp_path):
    root = tmp_path / "output"
    folder = _draft(root)
    render_documents(folder, folder / "documents", output_root=root, pdfs=False)
    (folder / "documents" / "org-b.pdf").write_bytes(b"%PDF-already")
    first = add_statement_pdfs(root, OCTOBER, 1)
    assert (first.rendered, first.reused) == (3, 0)  # org-a, org-c, the close report
    assert (folder / "documents" / "org-b.pdf").read_bytes() == b"%PDF-already"
    for path in (folder / "documents").glob("*.pdf"):
        path.unlink()
    again = add_statement_pdfs(root, OCTOBER, 1)
    assert (again.rendered, again.reused) == (1, 3)
    assert not [p for p in (folder / "documents").iterdir() if p.name.startswith(".")]
    assert os.path.isdir(root / ".cache" / "pdf")
