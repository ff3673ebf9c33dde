"""What the documents read of a version folder at scale (issue 18): Marketplace exceptions are
counted by cause in Arrow, never read row by row into Python; the workbook's child reads the
manifest alone."""

from __future__ import annotations

import datetime as dt
from collections import Counter
from decimal import Decimal

import pyarrow.parquet as pq
import pytest
from close_fixture import OCTOBER, Org, write_version_folder

from automq_billing.documents.version_folder import read_version_folder, read_version_manifest
from automq_billing.errors import BillingError

pytestmark = pytest.mark.unit


def _folder(tmp_path):
    folder = tmp_path / "output" / "2026-10" / "v1"
    orgs = [Org("org-a", "aws_marketplace", ingress=Decimal(200), uptime={"pro": 24})]
    write_version_folder(folder, OCTOBER, 1, orgs, marketplace=True)
    return folder


def test_exceptions_are_counted_by_cause(tmp_path):
    folder = _folder(tmp_path)
    rows = pq.read_table(folder / "marketplace_exceptions.parquet").to_pylist()
    assert rows
    close = read_version_folder(folder, tmp_path / "output")
    assert close.exceptions == dict(Counter(str(row["cause"]) for row in rows))
    (folder / "marketplace_exceptions.parquet").unlink()
    assert read_version_folder(folder, tmp_path / "output").exceptions is None


def test_the_manifest_alone_names_the_month_and_version(tmp_path):
    folder = _folder(tmp_path)
    light = read_version_manifest(folder)
    assert (light.month, light.version) == (dt.date(2026, 10, 1), 1)
    assert light.manifest["month"] == "2026-10" and light.lines == [] and light.exceptions is None
    (folder / "manifest.json").unlink()
    with pytest.raises(BillingError, match="manifest.json missing") as refused:
        read_version_manifest(folder)
    assert refused.value.hint
