"""A truncated or corrupt warehouse file is refused naming the file and the fix (issue 17), never
a traceback, and never mistaken for a file held by another process."""

from __future__ import annotations

from pathlib import Path

import duckdb
import pytest

from automq_billing import warehouse
from automq_billing.errors import BillingError

pytestmark = pytest.mark.unit


@pytest.fixture(scope="module")
def healthy(tmp_path_factory) -> bytes:
    path = tmp_path_factory.mktemp("warehouse") / "billing.duckdb"
    with duckdb.connect(str(path)) as con:
        con.execute("create table t as select range as x from range(100000)")
    return path.read_bytes()


def _damaged(tmp_path: Path, content: bytes) -> Path:
    path = tmp_path / "billing.duckdb"
    path.write_bytes(content)
    return path


def _scrambled(content: bytes, at: int) -> bytes:
    damaged = bytearray(content)
    damaged[at : at + 4096] = bytes((b ^ 0x5A) for b in damaged[at : at + 4096])
    return bytes(damaged)


@pytest.mark.parametrize(
    "damage",
    ["truncated", "empty", "first block", "a data block"],
)
@pytest.mark.parametrize("read_only", [False, True])
def test_a_damaged_warehouse_is_refused_naming_the_file_and_the_fix(
    tmp_path, healthy, damage, read_only
):
    content = {
        "truncated": healthy[: len(healthy) // 2],
        "empty": b"",
        "first block": _scrambled(healthy, 0),
        "a data block": _scrambled(healthy, 12288),
    }[damage]
    path = _damaged(tmp_path, content)
    with pytest.raises(BillingError) as refused:
        with warehouse.connect(path, read_only=read_only) as con:
            con.execute("select sum(x) from t").fetchall()
    message = str(refused.value)
    assert str(path) in message and "damaged" in message, message
    assert "another process" not in message
    assert "move" in refused.value.hint and "--full-refresh" in refused.value.hint


def test_other_errors_pass_through_unchanged(tmp_path):
    with pytest.raises(duckdb.CatalogException):
        with warehouse.connect(tmp_path / "billing.duckdb") as con:
            con.execute("select * from no_such_table").fetchall()
