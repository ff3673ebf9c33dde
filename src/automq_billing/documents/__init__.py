"""Documents people read, rendered from one close's version folder (GitHub issue 12).

`render_documents` writes, from the files of `<output>/<YYYY-MM>/v<N>/` alone: one statement per
organization (self-contained HTML and its PDF), `index.html`, `close_report.html` and
`close.xlsx`. `render_documents_again` renders a closed version again into `documents-<k>/`;
`add_statement_pdfs` gives the statements and the close report of a draft's `documents/` their
PDFs (at finalize).
"""

from automq_billing.documents.invoice import write_invoice_pdfs
from automq_billing.documents.render import (
    DocumentsResult,
    add_statement_pdfs,
    issued_stamps,
    render_documents,
    render_documents_again,
)

__all__ = [
    "DocumentsResult",
    "add_statement_pdfs",
    "issued_stamps",
    "render_documents",
    "render_documents_again",
    "write_invoice_pdfs",
]
