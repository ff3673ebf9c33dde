"""The names documents/ (and its tests) still import from here; the book of record lives in
`automq_billing.book` (the output folder: names and numbering, reading and trusting it,
publishing and temporaries, the issued ledger, finalize and status). Import from there: this
module only keeps `documents/` and `tests/unit/documents/` working until they do.
"""

from automq_billing.book.commands import finalize
from automq_billing.book.files import read_json
from automq_billing.book.folder import Month, Version, check_version_files, month_state, read_output
from automq_billing.book.issued import STATEMENT_LINE_TYPES

__all__ = [
    "STATEMENT_LINE_TYPES",
    "Month",
    "Version",
    "check_version_files",
    "finalize",
    "month_state",
    "read_json",
    "read_output",
]
