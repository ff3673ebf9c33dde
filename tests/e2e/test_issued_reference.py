"""The reference data of an issued month never changes, and broken seeds are refused by name
(SPEC 2, SPEC 8 amended), with the installed command on a copy of the project whose seeds are
edited after September was issued:

- September is closed and issued: org-a writes 150,000 GiB (tiers 1 to 3 of ingress), org-p has
  a monthly licence at list price (2 AKU x 120);
- October's usage lands; each case edits a copy of the project's seeds and closes October on a
  new warehouse. Before this change each edit below closed with exit 0 and booked September's
  usage (or its licence) again at other prices, or as a credit in full.
"""

from __future__ import annotations

import csv
import datetime as dt
import shutil
from pathlib import Path

import pytest
from cli_support import Finished, close_command, environment, run, tree

from helpers import COMMAND, GIB, LICENSE_SCHEMA, REPO, hour, licence_row, usage_row, write_rows

pytestmark = pytest.mark.e2e

PROJECT_FILES = ("dbt_project.yml", "profiles.yml", "models", "macros", "seeds", "tests/dbt")


def copy_project(destination: Path) -> Path:
    for name in PROJECT_FILES:
        source = REPO / name
        if source.is_dir():
            shutil.copytree(source, destination / name)
        else:
            (destination / name).parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(source, destination / name)
    return destination


def edit_seed(project: Path, seed: str, change) -> None:
    """Rewrites seeds/<seed>.csv with `change(row)` applied to every row."""
    path = project / "seeds" / f"{seed}.csv"
    with path.open(newline="", encoding="utf-8") as handle:
        rows = list(csv.DictReader(handle))
    fields = list(rows[0])
    for row in rows:
        change(row)
    with path.open("w", newline="", encoding="utf-8") as handle:
        writer = csv.DictWriter(handle, fields, lineterminator="\n")
        writer.writeheader()
        writer.writerows(rows)


class Issued:
    def __init__(self, root: Path):
        self.root = root
        self.landing = root / "landing"
        self.output = root / "output"

    def close(self, month: str, project: Path, warehouse: Path) -> Finished:
        command = close_command(self.landing, self.output, warehouse, month=month)
        return run(
            [*command, "--project-dir", str(project)],
            cwd=self.root,
            env=environment(self.root / "tmp", HOME=str(self.root)),
        )


@pytest.fixture(scope="module")
def issued(tmp_path_factory) -> Issued:
    book = Issued(tmp_path_factory.mktemp("issued_reference"))
    project = copy_project(book.root / "project")
    write_rows(
        book.landing / "usage_events" / "2026-09.parquet",
        [
            usage_row(
                event_id="a-9",
                quantity=150_000 * GIB,
                hour_start=hour(5, month=9),
                emitted_at=hour(5, 1, month=9),
            )
        ],
    )
    write_rows(
        book.landing / "licenses" / "2026-09.parquet",
        [
            licence_row(
                license_id="lic-list",
                organization_id="org-p",
                start_date=dt.date(2026, 9, 1),
                end_date=dt.date(2026, 10, 1),
            )
        ],
        LICENSE_SCHEMA,
    )
    closed = book.close("2026-09", project, book.root / "wh-september" / "billing.duckdb")
    assert closed.returncode == 0, closed.text
    finalize = run(
        [str(COMMAND), "finalize", "--month", "2026-09", "--output", str(book.output)],
        cwd=book.root,
        env=environment(book.root / "tmp", HOME=str(book.root)),
    )
    assert finalize.returncode == 0, finalize.text
    write_rows(
        book.landing / "usage_events" / "2026-10.parquet",
        [usage_row(event_id="a-10", quantity=10 * GIB)],
    )
    return book


def refused_october(issued: Issued, name: str, *edits) -> Finished:
    """October closed with the edits applied to a fresh copy of the project: refused, nothing
    written."""
    project = copy_project(issued.root / f"project-{name}")
    for seed, change in edits:
        edit_seed(project, seed, change)
    before = tree(issued.output)
    result = issued.close("2026-10", project, issued.root / f"wh-{name}" / "billing.duckdb")
    assert result.returncode == 2, result.text
    assert "Traceback" not in result.text, result.text
    assert tree(issued.output) == before
    return result


def test_an_issued_month_that_became_unpriced_is_refused_not_credited(issued):
    def move_past_september(row):
        row["effective_from"] = "2026-10-01"

    result = refused_october(issued, "unpriced", ("rate_card_tiers", move_past_september))
    assert "issued month was edited" in result.stderr
    for name in (
        "seeds/rate_card_tiers.csv",
        "2026-09 data_ingress tier 1: price in force",
        "now none in force",
    ):
        assert name in result.stderr, result.stderr


def test_tier_mode_bounds_and_list_price_of_an_issued_month_are_refused(issued):
    def volume_ingress(row):
        if row["billing_item"] == "data_ingress":
            row["tier_mode"] = "volume"

    def move_egress_bound(row):  # prices kept
        if row["billing_item"] == "data_egress" and row["tier"] in ("1", "2"):
            row["upper_bound" if row["tier"] == "1" else "lower_bound"] = "10000"

    def raise_monthly_list_price(row):
        if row["term"] == "monthly":
            row["price_per_aku"] = "125.000000"

    result = refused_october(
        issued,
        "edited",
        ("rate_card_tiers", volume_ingress),
        ("rate_card_tiers", move_egress_bound),
        ("aku_list_prices", raise_monthly_list_price),
    )
    for name in (
        "seeds/rate_card_tiers.csv: 2026-09 data_ingress tier 1: tier mode issued as graduated, "
        "now volume",
        "seeds/rate_card_tiers.csv: 2026-09 data_egress tier 2: tier bounds issued as "
        "[10240.000000, 102400.000000), now [10000.000000, 102400.000000)",
        "seeds/aku_list_prices.csv: 2026-09 aku_subscription: list price of monthly licence "
        "lic-list issued as 120.000000, now 125.000000",
    ):
        assert name in result.stderr, result.stderr


def test_a_rate_card_with_a_gap_between_tiers_is_refused_naming_the_seed(issued):
    def gap(row):
        if row["billing_item"] == "data_ingress" and row["tier"] == "2":
            row["lower_bound"] = "10300"

    result = refused_october(issued, "gap", ("rate_card_tiers", gap))
    assert "The reference data is not valid" in result.stderr, result.stderr
    assert "seeds/rate_card_tiers.csv: gap or overlap with the previous tier" in result.stderr, (
        result.stderr
    )
