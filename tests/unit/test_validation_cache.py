"""Validation that costs what changed (issue 18): a batch of suites validated before is answered
from the output folder's cache, without starting the Great Expectations worker; any change in a
frame or an expectation validates again."""

from __future__ import annotations

import pandas as pd
import pytest

from automq_billing.validation import ValidationWorker
from automq_billing.validation.cache import ValidationCache, suites_key
from automq_billing.validation.specs import Suite, expect

pytestmark = pytest.mark.unit


def _suites(values: list[int | None]) -> list[Suite]:
    frame = pd.DataFrame({"id": ["a", "b", "c"], "amount": values})
    return [
        Suite(
            "amounts",
            frame,
            [expect("ExpectColumnValuesToNotBeNull", column="amount")],
            key="id",
            description="every amount is there",
        )
    ]


def test_a_batch_validated_before_needs_no_worker(tmp_path):
    cache = ValidationCache.for_output(tmp_path / "output")
    with ValidationWorker(cache=cache, start=False) as worker:
        first = worker.run(_suites([1, None, 3]))
        assert worker._process is not None  # validated by Great Expectations
    assert len(first.blocking) == 1
    with ValidationWorker(cache=ValidationCache.for_output(tmp_path / "output"), start=False) as w:
        again = w.run(_suites([1, None, 3]))
        assert w._process is None  # from the cache: no worker started
    assert again.to_json() == first.to_json()
    # a batch with one suite more: the known suite from the cache, the new one validated
    with ValidationWorker(cache=ValidationCache.for_output(tmp_path / "output"), start=False) as w:
        other = _suites([4, 5, 6])[0]
        wider = w.run([*_suites([1, None, 3]), Suite("other", other.frame, other.expectations)])
        assert w._process is not None
    assert [suite.suite for suite in wider.suites] == ["amounts", "other"]
    assert wider.suites[0] == first.suites[0] and len(wider.blocking) == 1


def test_any_change_in_a_frame_or_an_expectation_is_another_key():
    base = suites_key(_suites([1, None, 3]))
    assert suites_key(_suites([1, None, 3])) == base
    assert suites_key(_suites([1, 2, 3])) != base
    changed = _suites([1, None, 3])
    changed[0].expectations.append(expect("ExpectColumnValuesToBeUnique", column="id"))
    assert suites_key(changed) != base
    wider = _suites([1, None, 3])
    assert suites_key([*wider, *wider]) != base
