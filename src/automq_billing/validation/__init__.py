"""Great Expectations gates of the close (landing suites and mart suites).

The suites are declared as data here (`specs`, `landing_suites`, `mart_suites`), so the close
process never imports Great Expectations: a worker process (`worker`) runs them with GX
(`engine`), started when the close starts so its import overlaps the load and dbt, and its
memory never adds to the close's peak. Every expectation is blocking (it stops the close) or a
warning (recorded in the results and the manifest).
"""

from automq_billing.validation.specs import (
    ExpectationResult,
    Failure,
    Suite,
    SuiteResult,
    ValidationReport,
    expect,
)
from automq_billing.validation.worker import ValidationWorker

__all__ = [
    "ExpectationResult",
    "Failure",
    "Suite",
    "SuiteResult",
    "ValidationReport",
    "ValidationWorker",
    "expect",
]
