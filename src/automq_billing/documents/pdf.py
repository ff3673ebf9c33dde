"""PDF statements from the same self-contained HTML, with WeasyPrint.

Offline and deterministic: the fetcher refuses every URL (the HTML needs none), the creation and
modification dates come from the HTML's `dcterms.created` / `dcterms.modified` meta tags (the
close's time), and the PDF file identifier is the statement number, so the same folder always
gives the same bytes.
"""

from __future__ import annotations

import logging
from pathlib import Path
from typing import Any

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
