"""Documents that cost what changed (issue 18): the workbook's data sheets and the close report's
charts come from verified content-addressed caches when their inputs did not change, with the
same bytes as when they are written afresh."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from pathlib import Path

import pytest
from close_fixture import OCTOBER, Org, write_version_folder

from automq_billing.documents import charts
from automq_billing.documents.version_folder import read_version_folder
from automq_billing.documents.workbook import write_workbook
from automq_billing.documents.workbook_cache import SheetCache, read_members, write_members

pytestmark = pytest.mark.unit

CREATED = dt.datetime(2026, 11, 2, 3, 4, 5, tzinfo=dt.UTC)


def _close(root: Path, version: int, ingress: int = 200):
    folder = root / "2026-10" / f"v{version}"
    orgs = [
        Org("org-a", "direct", ingress=Decimal(ingress), uptime={"pro": 24}),
        Org("org-b", "direct", ingress=Decimal(300), uptime={"dev": 5}),
    ]
    write_version_folder(folder, OCTOBER, version, orgs)
    return read_version_folder(folder, root)


def test_cached_sheets_give_the_same_workbook_bytes(tmp_path):
    close = _close(tmp_path / "output", 1)
    plain = write_workbook(tmp_path / "plain.xlsx", close, CREATED)
    first = SheetCache(tmp_path / "cache")
    write_workbook(tmp_path / "first.xlsx", close, CREATED, cache=first)
    assert first.hits == 0 and first.misses == len(plain)
    again = SheetCache(tmp_path / "cache")
    write_workbook(tmp_path / "again.xlsx", close, CREATED, cache=again)
    assert again.hits == len(plain) and again.misses == 0
    expected = (tmp_path / "plain.xlsx").read_bytes()
    assert (tmp_path / "first.xlsx").read_bytes() == expected
    assert (tmp_path / "again.xlsx").read_bytes() == expected


def test_a_new_version_with_the_same_data_reuses_every_sheet(tmp_path):
    """A re-close with nothing new: another version and time on the cover, the same sheets."""
    root = tmp_path / "output"
    first, second = _close(root, 1), _close(root, 2)
    write_workbook(tmp_path / "v1.xlsx", first, CREATED, cache=SheetCache(tmp_path / "cache"))
    later = CREATED + dt.timedelta(hours=1)
    cache = SheetCache(tmp_path / "cache")
    write_workbook(tmp_path / "v2.xlsx", second, later, cache=cache)
    assert cache.misses == 0 and cache.hits > 0
    write_workbook(tmp_path / "v2-plain.xlsx", second, later)
    assert (tmp_path / "v2.xlsx").read_bytes() == (tmp_path / "v2-plain.xlsx").read_bytes()


def test_a_changed_file_or_a_damaged_entry_is_written_again(tmp_path):
    root = tmp_path / "output"
    write_workbook(tmp_path / "a.xlsx", _close(root, 1), CREATED, cache=SheetCache(tmp_path / "c"))
    for entry in (tmp_path / "c").glob("*.sheet"):  # every entry damaged, same length
        data = bytearray(entry.read_bytes())
        data[-3] ^= 0xFF
        entry.write_bytes(bytes(data))
    changed = _close(root, 2, ingress=999)
    cache = SheetCache(tmp_path / "c")
    write_workbook(tmp_path / "b.xlsx", changed, CREATED, cache=cache)
    assert cache.hits == 0
    write_workbook(tmp_path / "b-plain.xlsx", changed, CREATED)
    assert (tmp_path / "b.xlsx").read_bytes() == (tmp_path / "b-plain.xlsx").read_bytes()
    again = SheetCache(tmp_path / "c")  # the damaged entries were replaced
    write_workbook(tmp_path / "c.xlsx", _close(root, 3, ingress=999), CREATED, cache=again)
    assert again.misses == 0


def test_the_zip_copy_is_byte_for_byte(tmp_path):
    write_workbook(tmp_path / "plain.xlsx", _close(tmp_path / "output", 1), CREATED)
    infos, members = read_members(tmp_path / "plain.xlsx")
    write_members(tmp_path / "copy.xlsx", infos, members)
    assert (tmp_path / "copy.xlsx").read_bytes() == (tmp_path / "plain.xlsx").read_bytes()


def test_report_charts_are_drawn_once_with_the_same_svg(tmp_path):
    arguments = ("report-items", "Revenue", ("A", "B"), (1.5, -2.0), "USD")
    drawn = charts.horizontal_bar_chart(*arguments)
    with charts.cached_in(tmp_path / "output"):
        first = charts.horizontal_bar_chart(*arguments)
    with charts.cached_in(tmp_path / "output"):
        assert charts._cache is not None
        second = charts.horizontal_bar_chart(*arguments)
        assert charts._cache.hits == 1
        other = charts.month_over_month_chart(
            "report-months", ("2026-09", "2026-10"), (1, 2), "USD"
        )
    assert drawn == first == second
    assert other.startswith("<svg")
    assert len(list((tmp_path / "output" / ".cache" / "charts").glob("*.svg"))) == 2
