"""Suites, expectations and results as plain data (no Great Expectations import here)."""

from __future__ import annotations

import json
from dataclasses import asdict, dataclass, field
from typing import Any

import pandas as pd


@dataclass(frozen=True)
class ExpectationSpec:
    """An expectation by Great Expectations class name, with its arguments."""

    type: str
    kwargs: dict[str, Any]
    blocking: bool = True

    @property
    def target(self) -> str:
        keys = ("column", "column_list", "column_A", "column_B", "column_set")
        return ", ".join(str(self.kwargs[k]) for k in keys if k in self.kwargs)


def expect(type_: str, blocking: bool = True, **kwargs: Any) -> ExpectationSpec:
    return ExpectationSpec(type_, kwargs, blocking)


@dataclass(frozen=True)
class Suite:
    """One expectation suite and the (small) frame it validates; `key` names the column that
    identifies a failing row (its file, organization, ...)."""

    name: str
    frame: pd.DataFrame
    expectations: list[ExpectationSpec]
    key: str | None = None
    description: str = ""
    # every failing row's key is kept (ExpectationResult.failing_keys), not only a sample: the
    # landing suites' warnings are recorded per landed file
    all_failing_keys: bool = False


@dataclass(frozen=True)
class ExpectationResult:
    expectation: str
    target: str
    blocking: bool
    success: bool
    unexpected_count: int | None = None
    examples: list[str] = field(default_factory=list)
    failing_keys: dict[str, int] = field(default_factory=dict)  # key -> failing rows


@dataclass(frozen=True)
class SuiteResult:
    suite: str
    description: str
    rows: int
    expectations: list[ExpectationResult]


@dataclass(frozen=True)
class Failure:
    suite: str
    expectation: str
    target: str
    unexpected_count: int | None
    examples: list[str]
    blocking: bool

    def describe(self) -> str:
        count = "" if self.unexpected_count is None else f"{self.unexpected_count} unexpected, "
        shown = "; ".join(self.examples[:5]) or "no sample"
        return f"{self.suite}: {self.expectation}({self.target}) failed: {count}e.g. {shown}"


@dataclass
class ValidationReport:
    suites: list[SuiteResult] = field(default_factory=list)

    def extend(self, other: ValidationReport) -> None:
        self.suites += other.suites

    @property
    def failures(self) -> list[Failure]:
        return [
            Failure(
                suite.suite,
                result.expectation,
                result.target,
                result.unexpected_count,
                result.examples,
                result.blocking,
            )
            for suite in self.suites
            for result in suite.expectations
            if not result.success
        ]

    @property
    def blocking(self) -> list[Failure]:
        return [f for f in self.failures if f.blocking]

    @property
    def warnings(self) -> list[Failure]:
        return [f for f in self.failures if not f.blocking]

    @property
    def evaluated(self) -> int:
        return sum(len(suite.expectations) for suite in self.suites)

    def summary(self) -> dict[str, Any]:
        return {
            "success": not self.blocking,
            "expectations": self.evaluated,
            "blocking_failures": [f.describe() for f in self.blocking],
            "warnings": [f.describe() for f in self.warnings],
        }

    def to_json(self) -> str:
        return json.dumps(
            {"summary": self.summary(), "suites": [asdict(s) for s in self.suites]},
            indent=2,
            default=str,
        )

    @classmethod
    def from_json(cls, text: str) -> ValidationReport:
        data = json.loads(text)
        return cls(
            suites=[
                SuiteResult(
                    suite=s["suite"],
                    description=s.get("description", ""),
                    rows=s["rows"],
                    expectations=[ExpectationResult(**e) for e in s["expectations"]],
                )
                for s in data["suites"]
            ]
        )
