"""No Python module of the package is over 600 lines (issue 22): a module that grows past it is
split by job, as the old ledger.py (into automq_billing.book) and landing/load.py (into csv_feed,
value_fit and hashing) were."""

from __future__ import annotations

import pytest

from helpers import REPO

pytestmark = pytest.mark.unit
MAX_LINES = 600


def test_no_module_is_over_600_lines():
    package = REPO / "src" / "automq_billing"
    too_long = {
        path.relative_to(package).as_posix(): lines
        for path in sorted(package.rglob("*.py"))
        if (lines := len(path.read_text(encoding="utf-8").splitlines())) > MAX_LINES
    }
    assert not too_long, f"modules over {MAX_LINES} lines (split them by job): " + ", ".join(
        f"{name} ({lines})" for name, lines in too_long.items()
    )
