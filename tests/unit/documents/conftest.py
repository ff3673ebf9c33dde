"""Fixtures of the document tests: the October close (twelve organizations) rendered once."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import pytest
from close_fixture import Close, build_october_close

from automq_billing.documents import DocumentsResult, render_documents


@dataclass(frozen=True)
class Rendered:
    close: Close
    result: DocumentsResult
    destination: Path


@pytest.fixture(scope="session")
def october(tmp_path_factory: pytest.TempPathFactory) -> Rendered:
    """The October close rendered once (rendering is the slow part: tests share it)."""
    close = build_october_close(tmp_path_factory.mktemp("output"))
    destination = close.folder / "documents"
    result = render_documents(close.folder, destination, output_root=close.root)
    return Rendered(close, result, destination)
