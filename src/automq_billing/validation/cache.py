"""Validation results that cost what changed (issue 18): a suite whose frame and expectations
are the same as a suite validated before gets that suite's results, without Great Expectations
(whose import alone is seconds); the worker validates only the others. A re-close with nothing
new validates the same frames as the close before it, so it neither starts the validation worker
nor waits for it.

An entry (one suite's) is addressed by the sha256 of the format, Great Expectations' version and
the suite's name, description, key column, expectations and frame (column names, types
and pandas' hash of every row); it holds the report's JSON, verified as the PDF cache's entries
are. A close keeps it in the warehouse's working folder (`<warehouse folder>/.dbt/validation/`,
beside dbt's), not in the output folder, which holds only what was published."""

from __future__ import annotations

import hashlib
import json
from dataclasses import asdict
from importlib.metadata import PackageNotFoundError, version
from pathlib import Path

import pandas as pd

from automq_billing.documents.pdf_cache import PdfCache
from automq_billing.validation.specs import Suite, ValidationReport

VALIDATION_FORMAT = "validation-1"  # bump when the engine turns the same suites into other results


class ValidationCache(PdfCache):
    folder = Path(".cache") / "validation"
    suffix = ".json"

    def report(self, key: str) -> ValidationReport | None:
        data = self.get(key)
        if data is None:
            return None
        try:
            return ValidationReport.from_json(data.decode("utf-8"))
        except (ValueError, KeyError, TypeError):
            return None

    def keep(self, key: str, report: ValidationReport) -> None:
        try:
            self.put(key, report.to_json().encode("utf-8"))
        except OSError:  # a read-only output folder: validated, not kept
            pass


def _engine_version() -> str:
    try:
        return version("great_expectations")
    except PackageNotFoundError:  # pragma: no cover - a dependency of the project
        return "unknown"


def suites_key(suites: list[Suite]) -> str:
    digest = hashlib.sha256()

    def add(part: str | bytes) -> None:
        encoded = part.encode("utf-8") if isinstance(part, str) else part
        digest.update(len(encoded).to_bytes(8, "big"))
        digest.update(encoded)

    add(VALIDATION_FORMAT)
    add(_engine_version())
    for suite in suites:
        add(suite.name)
        add(suite.description)
        add(repr((suite.key, suite.all_failing_keys)))
        add(json.dumps([asdict(e) for e in suite.expectations], sort_keys=True, default=str))
        frame = suite.frame
        add(json.dumps([[str(c), str(t)] for c, t in frame.dtypes.items()]))
        add(pd.util.hash_pandas_object(frame, index=True).to_numpy().tobytes())
    return digest.hexdigest()
