"""The rate cards issued months were priced with (issued_rate_cards, SPEC 8): read from the
final version's rate_card.parquet once final.json vouches for the manifest and the manifest for
the file; a changed file is refused; a version written before the file existed is left to the
fallback (its issued lines' unit prices)."""

from __future__ import annotations

import datetime as dt
import json
from decimal import Decimal
from pathlib import Path

import pyarrow as pa
import pytest

from automq_billing.book.commands import finalize
from automq_billing.book.folder import read_output
from automq_billing.book.issued import (
    ISSUED_RATE_CARD_TYPES,
    STATEMENT_LINE_TYPES,
    issued_basis,
    issued_rate_cards,
)
from automq_billing.close.export import write_table
from automq_billing.errors import BillingError

pytestmark = pytest.mark.unit
SEPTEMBER, OCTOBER, NOVEMBER = dt.date(2026, 9, 1), dt.date(2026, 10, 1), dt.date(2026, 11, 1)
RATE_CARD = pa.schema([f for f in ISSUED_RATE_CARD_TYPES if f.name != "statement_month"])


def _rate_card(price: str) -> pa.Table:
    return pa.Table.from_pylist(
        [
            {
                "billing_item": "data_ingress",
                "tier": 1,
                "cluster_tier": None,
                "tier_mode": "graduated",
                "lower_bound": Decimal("0"),
                "upper_bound": None,
                "unit_price": Decimal(price),
                "unit": "GiB",
                "rate_card_version": "2026-01",
            }
        ],
        schema=RATE_CARD,
    )


def issue(output: Path, month: dt.date, price: str | None) -> Path:
    """A finalized version; with a rate_card.parquet unless `price` is None (an older version)."""
    basis = issued_basis(read_output(output), month)
    folder = output / f"{month:%Y-%m}" / "v1"
    folder.mkdir(parents=True)
    lines = pa.Table.from_pylist([], schema=STATEMENT_LINE_TYPES)
    outputs = write_table(folder, "statement_lines", lines)
    statements = pa.Table.from_pylist([{"statement_month": month, "total_amount": Decimal(0)}])
    outputs.update(write_table(folder, "statements", statements))
    if price is not None:
        outputs.update(write_table(folder, "rate_card", _rate_card(price)))
    manifest = {
        "month": f"{month:%Y-%m}",
        "version": 1,
        "closed_at": dt.datetime.now(dt.UTC).isoformat(),
        "outputs": outputs,
        "totals": {"total_amount": "0.00", "organizations": 0, "statement_lines": 0},
        "corrections": {"issued_basis": basis},
        "landed_months": {f"{month:%Y-%m}": {"usage_rows": 1, "licences": 0}},
    }
    (folder / "manifest.json").write_text(json.dumps(manifest))
    finalize(output, month)
    return folder


def test_each_final_months_rate_card_is_read_with_its_month(tmp_path):
    issue(tmp_path, SEPTEMBER, "0.050000")
    issue(tmp_path, OCTOBER, "0.040000")
    table = issued_rate_cards(read_output(tmp_path), NOVEMBER)
    assert table.schema == ISSUED_RATE_CARD_TYPES
    assert [(r["statement_month"], r["unit_price"]) for r in table.to_pylist()] == [
        (SEPTEMBER, Decimal("0.050000")),
        (OCTOBER, Decimal("0.040000")),
    ]
    # only the months before the one being closed
    assert issued_rate_cards(read_output(tmp_path), OCTOBER).num_rows == 1


def test_a_version_from_before_the_rate_card_was_published_is_left_to_the_fallback(tmp_path):
    issue(tmp_path, SEPTEMBER, None)
    issue(tmp_path, OCTOBER, "0.040000")
    table = issued_rate_cards(read_output(tmp_path), NOVEMBER)
    assert table.column("statement_month").to_pylist() == [OCTOBER]


def test_an_edited_issued_rate_card_is_refused(tmp_path):
    folder = issue(tmp_path, SEPTEMBER, "0.050000")
    write_table(folder, "rate_card", _rate_card("0.060000"))  # the price it is "issued" at
    with pytest.raises(BillingError, match=r"2026-09 v1 .*rate_card.parquet changed"):
        issued_rate_cards(read_output(tmp_path), OCTOBER)


def test_a_manifest_edited_to_match_an_edited_rate_card_is_refused(tmp_path):
    folder = issue(tmp_path, SEPTEMBER, "0.050000")
    manifest = json.loads((folder / "manifest.json").read_text())
    manifest["outputs"].update(write_table(folder, "rate_card", _rate_card("0.060000")))
    (folder / "manifest.json").write_text(json.dumps(manifest))
    with pytest.raises(BillingError, match="manifest.json changed"):
        issued_rate_cards(read_output(tmp_path), OCTOBER)
