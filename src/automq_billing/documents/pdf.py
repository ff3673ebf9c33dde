"""PDF statements from the same self-contained HTML, with WeasyPrint: through the PDF cache (a
statement whose HTML did not change is not typeset again) and on every core.

Offline and deterministic: the fetcher refuses every URL (the HTML needs none), the creation and
modification dates come from the HTML's `dcterms.created` / `dcterms.modified` meta tags (the
close's time), and the PDF file identifier is the statement number, so the same folder always
gives the same bytes.
"""

from __future__ import annotations

import json
import logging
import os
import subprocess
import sys
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from automq_billing.documents.pdf_cache import PdfCache, pdf_key, write_new_file
from automq_billing.errors import BillingError

# WeasyPrint logs one warning per CSS property it does not support; the documents use none that
# matter, so keep the close's output quiet.
logging.getLogger("weasyprint").setLevel(logging.ERROR)
logging.getLogger("fontTools").setLevel(logging.ERROR)


def _offline_fetcher() -> Any:
    from weasyprint.urls import URLFetcher

    class OfflineFetcher(URLFetcher):
        """Fetches nothing: a statement must never reach the network or the file system."""

        def fetch(self, url: str, headers: Any = None) -> Any:
            raise ValueError(f"documents are offline: refusing to fetch {url[:80]!r}")

    return OfflineFetcher()


class PdfRenderer:
    """Renders HTML strings to PDF. Each document gets its own font configuration: a shared one
    carries the fonts of earlier documents into the next one's bytes, and a PDF must be a
    function of its HTML and identifier alone (the PDF cache and the worker processes rely on
    it)."""

    def __init__(self) -> None:
        self._fetcher = _offline_fetcher()

    def write(self, html_text: str, target: Path, identifier: str) -> None:
        write_new_file(target, self.render(html_text, identifier))

    def render(self, html_text: str, identifier: str) -> bytes:
        from weasyprint import HTML
        from weasyprint.text.fonts import FontConfiguration

        document = HTML(string=html_text, url_fetcher=self._fetcher, base_url=None)
        with _fixed_font_timestamp():
            return document.write_pdf(
                None,
                font_config=FontConfiguration(),
                pdf_identifier=identifier.encode("utf-8"),
                uncompressed_pdf=False,
            )


@contextmanager
def _fixed_font_timestamp() -> Iterator[None]:
    """fontTools stamps each font subset it saves with the current time (the `head` table's
    modified date) unless SOURCE_DATE_EPOCH names one: pin it while a PDF is written, so that the
    same HTML gives the same bytes at any time."""
    previous = os.environ.get("SOURCE_DATE_EPOCH")
    os.environ["SOURCE_DATE_EPOCH"] = "0"
    try:
        yield
    finally:
        if previous is None:
            os.environ.pop("SOURCE_DATE_EPOCH", None)
        else:
            os.environ["SOURCE_DATE_EPOCH"] = previous


@dataclass(frozen=True)
class PdfJob:
    html_text: str
    target: Path
    identifier: str


@dataclass(frozen=True)
class PdfCounts:
    rendered: int
    reused: int


# below this many PDFs to typeset, starting worker processes costs more than it saves
PARALLEL_FROM = 4


def _typeset_apart(jobs: list[PdfJob], workers: int) -> list[bytes]:
    """Typesets the jobs in `workers` child interpreters (`python -m automq_billing.documents.pdf`,
    so that no caller's main module is imported again), round robin; the bytes in job order."""
    with tempfile.TemporaryDirectory(prefix="automq-billing-pdf-") as scratch:
        folder = Path(scratch)
        outputs = [folder / f"{index}.pdf" for index in range(len(jobs))]
        processes = []
        for worker in range(workers):
            batch = [
                {
                    "html": jobs[i].html_text,
                    "identifier": jobs[i].identifier,
                    "out": str(outputs[i]),
                }
                for i in range(worker, len(jobs), workers)
            ]
            (folder / f"batch-{worker}.json").write_text(json.dumps(batch), encoding="utf-8")
            command = [
                sys.executable,
                "-m",
                "automq_billing.documents.pdf",
                str(folder / f"batch-{worker}.json"),
            ]
            processes.append(subprocess.Popen(command, stderr=subprocess.PIPE))
        failures = []
        try:
            for process in processes:
                _, errors = process.communicate()
                if process.returncode != 0:
                    lines = errors.decode("utf-8", "replace").strip().splitlines()
                    failures.append(lines[-1] if lines else f"exit {process.returncode}")
        finally:
            for process in processes:  # interrupted: no worker outlives the rendering
                if process.poll() is None:
                    process.kill()
                    process.wait()
        if failures:
            raise BillingError(
                f"Typesetting the statements' PDFs failed in a worker process ({failures[0]}); no "
                "PDF was written.",
                hint="run the rendering again; if it fails again, report the message above",
            )
        return [path.read_bytes() for path in outputs]


def _worker_main(batch_path: str) -> None:
    renderer = PdfRenderer()
    for job in json.loads(Path(batch_path).read_text(encoding="utf-8")):
        Path(job["out"]).write_bytes(renderer.render(job["html"], job["identifier"]))


def cpu_count() -> int:
    return len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count() or 1


def write_pdfs(jobs: list[PdfJob], cache: PdfCache | None, workers: int | None = None) -> PdfCounts:
    """Writes every job's PDF (each a new file, renamed into place): from the cache when a
    verified entry for the same HTML and identifier is there, else typeset, on every core when
    there are several to typeset. The bytes do not depend on the cache or the number of workers."""
    keys = [pdf_key(job.html_text, job.identifier) for job in jobs]
    cached = [cache.get(key) if cache else None for key in keys]
    todo = [index for index, data in enumerate(cached) if data is None]
    workers = min(workers or cpu_count(), len(todo))
    if workers > 1 and len(todo) >= PARALLEL_FROM:
        rendered = _typeset_apart([jobs[i] for i in todo], workers)
        for index, data in zip(todo, rendered, strict=True):
            cached[index] = data
    elif todo:
        renderer = PdfRenderer()
        for index in todo:
            cached[index] = renderer.render(jobs[index].html_text, jobs[index].identifier)
    for index in todo:
        if cache is not None:
            cache.put(keys[index], cached[index])
    for job, data in zip(jobs, cached, strict=True):
        write_new_file(job.target, data)
    return PdfCounts(rendered=len(todo), reused=len(jobs) - len(todo))


if __name__ == "__main__":
    _worker_main(sys.argv[1])
