"""Reconciliation folders r<N> (SPEC 9.5): a number is never reused, only canonical names count."""

from __future__ import annotations

import json

import pytest

from automq_billing.book.names import next_reconciliation_number
from automq_billing.errors import BillingError
from automq_billing.safe_files import write_text_atomically

pytestmark = pytest.mark.unit


def _publish(runs, number: int) -> None:
    """What reconcile's _publish leaves: the numbering first, then the folder."""
    write_text_atomically(runs / "numbering.json", json.dumps({"last": number}) + "\n")
    (runs / f"r{number}").mkdir()


def test_a_deleted_latest_reconciliation_keeps_its_number(tmp_path):
    runs = tmp_path / "2026-09" / "reconciliation"
    assert next_reconciliation_number(runs) == 1
    runs.mkdir(parents=True)
    for number in (1, 2, 3):
        assert next_reconciliation_number(runs) == number
        _publish(runs, number)
    (runs / "r3").rmdir()
    assert next_reconciliation_number(runs) == 4  # r3 was published once: never again
    (runs / "r2").rmdir()
    (runs / "numbering.json").unlink()
    (runs / "r7").mkdir()  # a folder counts even without the numbering
    assert next_reconciliation_number(runs) == 8


@pytest.mark.parametrize("name", ["r02", "r0"])
def test_a_padded_name_is_refused_not_read_as_another_number(tmp_path, name):
    runs = tmp_path / "reconciliation"
    (runs / name).mkdir(parents=True)
    with pytest.raises(BillingError, match="not a reconciliation a run wrote") as refused:
        next_reconciliation_number(runs)
    assert str(runs / name) in str(refused.value)


def test_a_linked_or_damaged_numbering_is_refused(tmp_path):
    runs = tmp_path / "reconciliation"
    runs.mkdir()
    (runs / "numbering.json").write_text('{"last": "3"}')
    with pytest.raises(BillingError, match="does not record the last reconciliation number"):
        next_reconciliation_number(runs)
    (runs / "numbering.json").unlink()
    (runs / "numbering.json").symlink_to(tmp_path / "elsewhere.json")
    with pytest.raises(BillingError, match="symbolic link"):
        next_reconciliation_number(runs)
    (tmp_path / "linked").symlink_to(runs)
    with pytest.raises(BillingError, match="symbolic link where the reconciliations"):
        next_reconciliation_number(tmp_path / "linked")
