"""Fixtures of the demo generator's tests: the project's vocabulary, and the `make demo`
landing written once."""

from __future__ import annotations

import pytest
from demo_support import MONTHS, ORGS, REPO, SEED, Demo, connect

from automq_billing.demo import generate_landing
from automq_billing.vocabulary import Vocabulary, load_vocabulary


@pytest.fixture(scope="session")
def vocabulary() -> Vocabulary:
    return load_vocabulary(REPO)


@pytest.fixture(scope="session")
def demo(tmp_path_factory: pytest.TempPathFactory) -> Demo:
    """The whole demo landing of `make demo` (every file, as_of None)."""
    root = tmp_path_factory.mktemp("demo")
    summary = generate_landing(root, MONTHS, ORGS, SEED)
    return Demo(root, summary, connect(root))
