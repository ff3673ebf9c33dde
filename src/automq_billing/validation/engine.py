"""Runs suites with Great Expectations (in the validation worker process only)."""

from __future__ import annotations

import json
import os
from typing import Any

from automq_billing.validation.specs import (
    ExpectationResult,
    ExpectationSpec,
    Suite,
    SuiteResult,
    ValidationReport,
)

RESULT_FORMAT = {"result_format": "SUMMARY", "partial_unexpected_count": 10}


class Engine:
    """An ephemeral Great Expectations context (nothing written to disk)."""

    def __init__(self) -> None:
        os.environ.setdefault("GX_ANALYTICS_ENABLED", "false")
        os.environ.setdefault("TQDM_DISABLE", "1")
        import great_expectations as gx  # slow to import: only in the worker

        self._gx = gx
        self._context = gx.get_context(mode="ephemeral")
        self._source = self._context.data_sources.add_pandas("automq_billing")

    def run(self, suites: list[Suite]) -> ValidationReport:
        report = ValidationReport()
        for suite in suites:
            report.suites.append(self._run_suite(suite))
        return report

    def _run_suite(self, suite: Suite) -> SuiteResult:
        gx = self._gx
        asset = self._source.add_dataframe_asset(suite.name)
        batch_definition = asset.add_batch_definition_whole_dataframe(f"{suite.name}_whole")
        expectation_suite = gx.ExpectationSuite(name=suite.name)
        for spec in suite.expectations:
            expectation_suite.add_expectation(_expectation(gx, spec))
        batch = batch_definition.get_batch(batch_parameters={"dataframe": suite.frame})
        result_format = (
            {**RESULT_FORMAT, "result_format": "COMPLETE"}
            if suite.all_failing_keys
            else RESULT_FORMAT
        )
        outcome = batch.validate(expectation_suite, result_format=result_format)
        keys = suite.frame[suite.key].tolist() if suite.key else None
        results = [
            _result(result, spec, keys, all_keys=suite.all_failing_keys)
            for result, spec in zip(outcome.results, suite.expectations, strict=True)
        ]
        return SuiteResult(suite.name, suite.description, len(suite.frame), results)


def _expectation(gx: Any, spec: ExpectationSpec) -> Any:
    cls = getattr(gx.expectations, spec.type)
    return cls(meta={"blocking": spec.blocking}, **spec.kwargs)


def _result(
    result: Any, spec: ExpectationSpec, keys: list | None, *, all_keys: bool = False
) -> ExpectationResult:
    details = result.result or {}
    values = details.get("partial_unexpected_list")
    where = details.get("partial_unexpected_index_list")
    failing_keys: dict[str, int] = {}
    if all_keys and keys is not None and not result.success:
        for index in details.get("unexpected_index_list") or []:
            if isinstance(index, int) and index < len(keys):
                failing_keys[str(keys[index])] = failing_keys.get(str(keys[index]), 0) + 1
    if keys is not None and where and values is not None:
        examples = [
            f"{keys[i] if isinstance(i, int) and i < len(keys) else i}: {value}"
            for i, value in zip(where, values, strict=False)
        ]
    elif values is not None:
        examples = list(values)
    elif "observed_value" in details and not result.success:
        examples = [details["observed_value"]]
    else:
        examples = []
    return ExpectationResult(
        expectation=spec.type,
        target=spec.target,
        blocking=spec.blocking,
        success=bool(result.success),
        unexpected_count=details.get("unexpected_count"),
        examples=[e if isinstance(e, str) else json.dumps(e, default=str) for e in examples][:10],
        failing_keys=failing_keys,
    )
