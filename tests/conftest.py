"""Shared helpers and the test tiers.

Markers (pyproject.toml): `unit` (one module, in-process, no warehouse build; includes the dbt
unit tests of the models), `dbt` (data-level checks on one warehouse built once per session from
a small fixture landing), `e2e` (the installed command, whole closes). `make test-fast` runs the
unit tier, `make test` all three; each tier's time is printed at the end. Hypothesis example
counts come from a profile: `HYPOTHESIS_PROFILE=deep` (make test-deep) runs many more.
"""

from __future__ import annotations

import os
import sys
from collections import defaultdict
from pathlib import Path

import pytest
from hypothesis import HealthCheck, settings

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO / "src"))
sys.path.insert(0, str(Path(__file__).resolve().parent))

# A pytest-xdist worker runs with a bare __main__ (no __file__, no __spec__): pyspark's Spark
# Connect module, which Great Expectations imports when the spark extra is installed, takes that
# for a doctest run and exits the worker. The worker's main module is named after an empty file
# (multiprocessing's children run __main__.__file__ as their main: an empty one is harmless).
_MAIN = sys.modules["__main__"]
if getattr(_MAIN, "__spec__", None) is None and not hasattr(_MAIN, "__file__"):
    _MAIN.__file__ = str(Path(__file__).resolve().with_name("xdist_main.py"))

settings.register_profile(
    "default", max_examples=25, deadline=None, suppress_health_check=[HealthCheck.too_slow]
)
settings.register_profile(
    "deep", max_examples=400, deadline=None, suppress_health_check=[HealthCheck.too_slow]
)
settings.load_profile(os.environ.get("HYPOTHESIS_PROFILE", "default"))


@pytest.fixture(scope="session")
def repo() -> Path:
    return REPO


# ---------------------------------------------------------------------------------------------
# Time per tier, printed at the end of the run

_TIER_SECONDS: dict[str, float] = defaultdict(float)
_TIER_COUNTS: dict[str, int] = defaultdict(int)
_TIERS = ("unit", "dbt", "e2e", "spark")


def _tier(item: pytest.Item) -> str:
    for tier in _TIERS:
        if item.get_closest_marker(tier):
            return tier
    return "unmarked"


def pytest_runtest_logreport(report):
    """Summed from each test's reports (setup, call, teardown), which reach the controlling
    process under pytest-xdist too: the time a tier's tests took, whichever worker ran them."""
    tier = next((name for name in _TIERS if name in report.keywords), "unmarked")
    _TIER_SECONDS[tier] += report.duration
    if report.when == "setup":
        _TIER_COUNTS[tier] += 1


def pytest_collection_modifyitems(items):
    unmarked = [item.nodeid for item in items if _tier(item) == "unmarked"]
    if unmarked:
        raise pytest.UsageError(f"tests without a tier marker (unit, dbt, e2e): {unmarked[:5]}")


def pytest_terminal_summary(terminalreporter):
    if not _TIER_COUNTS:
        return
    terminalreporter.write_sep("-", "time per tier")
    for tier in (*_TIERS, "unmarked"):
        if _TIER_COUNTS.get(tier):
            terminalreporter.write_line(
                f"{tier:>5}: {_TIER_COUNTS[tier]:4d} test(s) in {_TIER_SECONDS[tier]:7.1f} s"
            )
