"""PDF statements from the same self-contained HTML, with WeasyPrint.

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
from pathlib import Path
from typing import Any

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
    """Renders HTML strings to PDF files, sharing one font configuration between them."""

    def __init__(self) -> None:
        from weasyprint.text.fonts import FontConfiguration

        self._fonts = FontConfiguration()
        self._fetcher = _offline_fetcher()

    def write(self, html_text: str, target: Path, identifier: str) -> None:
        from weasyprint import HTML

        document = HTML(string=html_text, url_fetcher=self._fetcher, base_url=None)
        document.write_pdf(
            target,
            font_config=self._fonts,
            pdf_identifier=identifier.encode("utf-8"),
            uncompressed_pdf=False,
        )


# Below this many statements, starting worker processes costs more than it saves.
_POOL_THRESHOLD = 8


def write_pdfs(jobs: list[tuple[Path, Path, str]]) -> None:
    """Prints each (html file, pdf target, identifier): in this process for a few, else split
    between worker processes, one per core. A worker is a fresh interpreter running this module
    (not a fork: the close's process holds DuckDB threads; not multiprocessing: that re-imports
    the caller's main script). Each PDF is a pure function of its HTML, so the bytes do not
    depend on the split. A failing worker raises with its error text."""
    workers = min(os.cpu_count() or 1, len(jobs) // (_POOL_THRESHOLD // 2))
    if len(jobs) < _POOL_THRESHOLD or workers < 2:
        _write_all(jobs)
        return
    processes = []
    for start in range(workers):
        chunk = [
            [str(html), str(target), identifier]
            for html, target, identifier in jobs[start::workers]
        ]
        process = subprocess.Popen(
            [sys.executable, "-m", "automq_billing.documents.pdf"],
            stdin=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        processes.append((process, json.dumps(chunk)))
    failures = []
    for process, chunk in processes:
        _, errors = process.communicate(chunk)
        if process.returncode != 0:
            failures.append(
                errors.strip().splitlines()[-1] if errors.strip() else f"exit {process.returncode}"
            )
    if failures:
        raise BillingError(
            f"Printing the statements to PDF failed: {failures[0]}",
            hint="WeasyPrint needs the system packages listed in docs/documents.md",
        )


def _write_all(jobs: list[tuple[Path, Path, str]]) -> None:
    renderer = PdfRenderer()
    for html, target, identifier in jobs:
        with open(html, encoding="utf-8", newline="") as source:  # the bytes, \r included
            renderer.write(source.read(), Path(target), identifier)


if __name__ == "__main__":
    _write_all([tuple(job) for job in json.load(sys.stdin)])
