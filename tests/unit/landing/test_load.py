"""The landing check and load, in-process: bad files are refused naming the file and the column,
nothing of a refused load remains, and every file is loaded exactly once (SPEC 1, issue 8)."""

from __future__ import annotations

import datetime as dt
import hashlib
import os
from decimal import Decimal
from pathlib import Path

import duckdb
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.csv as pacsv
import pyarrow.parquet as pq
import pytest

from automq_billing.build import state
from automq_billing.errors import BillingError
from automq_billing.landing import glob_escaped, load_landing, survey_landing
from automq_billing.landing.hashing import hash_landed
from automq_billing.landing.survey import shown
from automq_billing.vocabulary import load_vocabulary
from helpers import (
    ALLOCATION_SCHEMA,
    LICENSE_SCHEMA,
    REPO,
    USAGE_SCHEMA,
    hour,
    licence_row,
    usage_row,
    write_rows,
    write_usage,
)

pytestmark = pytest.mark.unit
VOCABULARY = load_vocabulary(REPO)


def _table(**overrides) -> pa.Table:
    return pa.Table.from_pylist([usage_row(**overrides)], schema=USAGE_SCHEMA)


def _with(table: pa.Table, name: str, array: pa.Array) -> pa.Table:
    return table.set_column(table.schema.get_field_index(name), name, array)


def _usage(root: Path, name: str) -> Path:
    path = root / "landing" / "usage_events" / name
    path.parent.mkdir(parents=True, exist_ok=True)
    return path


def _good(root: Path) -> Path:
    path = _usage(root, "good.parquet")
    pq.write_table(_table(), path)
    return path


def _invalid_utf8(values: list[bytes]) -> pa.Array:
    binary = pa.array(values, pa.binary())
    return pa.Array.from_buffers(pa.string(), len(values), binary.buffers())


def _load(root: Path, *, full_refresh: bool = False):
    survey = survey_landing(root / "landing", VOCABULARY)
    if survey.problems:
        raise BillingError("\n".join(survey.problems))
    with duckdb.connect(str(root / "wh.duckdb")) as con:
        con.execute("set TimeZone = 'UTC'")
        return load_landing(con, survey, VOCABULARY, full_refresh=full_refresh)


def _rows(root: Path, sql: str) -> list[tuple]:
    with duckdb.connect(str(root / "wh.duckdb"), read_only=True) as con:
        con.execute("set TimeZone = 'UTC'")
        return con.execute(sql).fetchall()


# --------------------------------------------------------------------------------------------
# Files refused by their footer (survey) or their values (load)


def _refused_by_survey(root: Path) -> list[str]:
    return survey_landing(root / "landing", VOCABULARY).problems


def test_files_that_cannot_be_read_are_named(tmp_path):
    _good(tmp_path)
    _usage(tmp_path, "notes.parquet").write_text("not parquet")
    data = _good(tmp_path).read_bytes()
    _usage(tmp_path, "truncated.parquet").write_bytes(data[: len(data) // 2])
    _usage(tmp_path, "zero.parquet").write_bytes(b"")
    pacsv.write_csv(_table(), _usage(tmp_path, "csv.parquet"))
    problems = "\n".join(_refused_by_survey(tmp_path))
    for name in ("notes.parquet", "truncated.parquet", "zero.parquet", "csv.parquet"):
        assert name in problems
    assert "good.parquet" not in problems


@pytest.mark.parametrize("column", [c for c in USAGE_SCHEMA.names])
def test_a_missing_column_is_named(tmp_path, column):
    _good(tmp_path)
    pq.write_table(_table().drop_columns([column]), _usage(tmp_path, "drift.parquet"))
    [problem] = _refused_by_survey(tmp_path)
    assert "drift.parquet" in problem and f"'{column}' is missing" in problem


@pytest.mark.parametrize(
    ("column", "array"),
    [
        ("quantity", pa.array([1024.0], pa.float64())),
        ("quantity", pa.array(["1024"], pa.string())),
        ("hour_start", pa.array(["2026-10-01T00:00:00Z"], pa.string())),
        ("emitted_at", pa.array([1790816400], pa.int64())),
    ],
)
def test_a_column_of_another_type_is_named(tmp_path, column, array):
    pq.write_table(_with(_table(), column, array), _usage(tmp_path, "typed.parquet"))
    [problem] = _refused_by_survey(tmp_path)
    assert "typed.parquet" in problem and f"'{column}' has type" in problem


def test_a_duplicated_column_is_not_called_missing(tmp_path):
    table = _table()
    table = pa.Table.from_arrays(
        [*table.columns, table.column("meter")], [*table.column_names, "meter"]
    )
    pq.write_table(table, _usage(tmp_path, "twice.parquet"))
    [problem] = _refused_by_survey(tmp_path)
    assert "'meter' appears 2 times" in problem


def test_an_empty_file_is_accepted_and_listed(tmp_path):
    _good(tmp_path)
    pq.write_table(USAGE_SCHEMA.empty_table(), _usage(tmp_path, "empty-hour.parquet"))
    load = _load(tmp_path)
    assert {f.relative: f.rows for f in load.files} == {
        "usage_events/empty-hour.parquet": 0,
        "usage_events/good.parquet": 1,
    }


def test_files_of_another_kind_and_broken_links_are_warnings(tmp_path):
    _good(tmp_path)
    _usage(tmp_path, "README.txt").write_text("hello")
    _usage(tmp_path, "_SUCCESS").write_text("")
    os.symlink(tmp_path / "nowhere.parquet", _usage(tmp_path, "broken.parquet"))
    survey = survey_landing(tmp_path / "landing", VOCABULARY)
    assert not survey.problems
    text = "\n".join(survey.warnings)
    assert "README.txt" in text and "_SUCCESS" in text and "broken.parquet" in text


def test_a_bigint_overflow_names_the_file_and_column(tmp_path):
    _good(tmp_path)
    table = _with(_table(event_id="big"), "quantity", pa.array([2**64 - 1], pa.uint64()))
    pq.write_table(table, _usage(tmp_path, "huge.parquet"))
    with pytest.raises(BillingError) as refused:
        _load(tmp_path)
    assert "huge.parquet" in str(refused.value) and "'quantity'" in str(refused.value)
    assert "BIGINT" in str(refused.value)
    assert _rows(tmp_path, "select count(*) from landing.usage_events") == [(0,)]


def test_invalid_utf8_in_an_id_names_the_file_and_column_without_the_value(tmp_path):
    _good(tmp_path)
    table = _with(_table(), "organization_id", _invalid_utf8([b"org-\xff\xfe-bytes"]))
    pq.write_table(table, _usage(tmp_path, "bytes.parquet"))
    with pytest.raises(BillingError) as refused:
        _load(tmp_path)
    message = str(refused.value)
    assert "bytes.parquet" in message and "'organization_id'" in message
    assert "bytes" not in message.replace("bytes.parquet", "")


def test_a_corrupt_page_behind_a_valid_footer_is_refused(tmp_path):
    path = _usage(tmp_path, "corrupt.parquet")
    rows = [usage_row(event_id=f"e{i}", quantity=i) for i in range(2000)]
    pq.write_table(pa.Table.from_pylist(rows, schema=USAGE_SCHEMA), path, compression="snappy")
    metadata = pq.read_metadata(path)
    column = metadata.row_group(0).column(0)
    start = column.data_page_offset
    data = bytearray(path.read_bytes())
    for offset in range(start + 40, start + 400):
        data[offset] ^= 0x5A
    path.write_bytes(bytes(data))
    with pytest.raises(BillingError) as refused:
        _load(tmp_path)
    assert "corrupt.parquet" in str(refused.value)


def test_extra_columns_are_ignored_whatever_their_names(tmp_path):
    table = _table()
    for name in ("source_file", "file_row_number", "filename", "load_id", "usage_month"):
        table = table.append_column(name, pa.array(["spoof"], pa.string()))
    pq.write_table(table, _usage(tmp_path, "extra.parquet"))
    _load(tmp_path)
    assert _rows(
        tmp_path,
        "select source_file, file_row_number, load_id, usage_month from landing.usage_events",
    ) == [("usage_events/extra.parquet", 0, 1, dt.date(2026, 10, 1))]


def test_naive_timestamps_and_narrow_integers_are_read_as_the_contract_says(tmp_path):
    table = pa.table(
        {
            "quantity": pa.array([77], pa.int32()),
            "meter": ["egress_bytes"],
            "hour_start": pa.array([hour(3, 4).replace(tzinfo=None)], pa.timestamp("ms")),
            "emitted_at": pa.array([hour(3, 6).replace(tzinfo=None)], pa.timestamp("ms")),
            **{
                c: [usage_row()[c]]
                for c in USAGE_SCHEMA.names
                if c not in ("quantity", "meter", "hour_start", "emitted_at")
            },
        }
    )
    pq.write_table(table, _usage(tmp_path, "naive.parquet"))
    _load(tmp_path)
    assert _rows(
        tmp_path,
        "select strftime(hour_start, '%Y-%m-%d %H:%M%z'), quantity from landing.usage_events",
    ) == [("2026-10-03 04:00+00", 77)]


# --------------------------------------------------------------------------------------------
# Paths, immutability, exactly once


def test_glob_characters_in_paths_are_never_patterns(tmp_path):
    landing = tmp_path / "land[1]" / "landing"
    write_usage(landing / "usage_events" / "a*b?.parquet", [usage_row(quantity=5)])
    write_usage(
        tmp_path / "land1" / "landing" / "usage_events" / "axbx.parquet", [usage_row(quantity=7)]
    )
    write_usage(landing / "usage_events" / "axbx.parquet", [usage_row(event_id="x", quantity=11)])
    survey = survey_landing(landing, VOCABULARY)
    with duckdb.connect(str(tmp_path / "wh.duckdb")) as con:
        load_landing(con, survey, VOCABULARY)
        rows = con.execute(
            "select source_file, quantity from landing.usage_events order by 1"
        ).fetchall()
    assert rows == [("usage_events/a*b?.parquet", 5), ("usage_events/axbx.parquet", 11)]
    assert glob_escaped(Path("/x/[a]*?.p")) == "/x/[[]a][*][?].p"


def test_each_file_is_loaded_once_and_a_later_file_in_a_later_load(tmp_path):
    _good(tmp_path)
    first = _load(tmp_path)
    again = _load(tmp_path)
    write_usage(_usage(tmp_path, "late.parquet"), [usage_row(event_id="late")])
    third = _load(tmp_path)
    assert [len(first.new_files), len(again.new_files), len(third.new_files)] == [1, 0, 1]
    assert _rows(tmp_path, "select event_id, load_id from landing.usage_events order by 2") == [
        ("evt-1", 1),
        ("late", 2),
    ]
    sha = hashlib.sha256((tmp_path / "landing/usage_events/late.parquet").read_bytes()).hexdigest()
    assert {f.relative: f.sha256 for f in third.files}["usage_events/late.parquet"] == sha


def test_the_files_of_a_run_are_fixed_when_it_starts(tmp_path):
    _good(tmp_path)
    survey = survey_landing(tmp_path / "landing", VOCABULARY)
    write_usage(_usage(tmp_path, "during.parquet"), [usage_row(event_id="during")])
    with duckdb.connect(str(tmp_path / "wh.duckdb")) as con:
        load = load_landing(con, survey, VOCABULARY)
    assert [f.relative for f in load.files] == ["usage_events/good.parquet"]
    assert _rows(tmp_path, "select event_id from landing.usage_events") == [("evt-1",)]


def test_a_changed_or_removed_file_stops_the_load_until_a_full_refresh(tmp_path):
    good = _good(tmp_path)
    _load(tmp_path)
    pq.write_table(_table(quantity=99), good)
    with pytest.raises(BillingError, match="content changed since it was loaded"):
        _load(tmp_path)
    good.unlink()
    _good(tmp_path).rename(_usage(tmp_path, "renamed.parquet"))
    with pytest.raises(BillingError, match="no longer in the landing") as refused:
        _load(tmp_path)
    assert "--full-refresh" in refused.value.hint
    rebuilt = _load(tmp_path, full_refresh=True)
    assert [f.relative for f in rebuilt.files] == ["usage_events/renamed.parquet"]
    assert _rows(tmp_path, "select count(*) from landing.usage_events") == [(1,)]


# --------------------------------------------------------------------------------------------
# Licences: the secret never enters the warehouse


def test_the_product_secret_is_hashed_before_it_enters_the_warehouse(tmp_path):
    _good(tmp_path)
    secrets = [b"sk-live-normal", "秘密-🔑".encode(), b"sec\xff\xfe-invalid-utf8"]
    rows = [licence_row(license_id=f"lic-{i}") for i in range(len(secrets))] + [
        licence_row(license_id="lic-none")
    ]
    table = pa.Table.from_pylist(rows, schema=LICENSE_SCHEMA)
    table = _with(table, "product_secret", _invalid_utf8([*secrets, b""]))
    mask = pa.array([False] * len(secrets) + [True])
    table = _with(
        table,
        "product_secret",
        pc.if_else(mask, pa.scalar(None, pa.string()), table.column("product_secret")),
    )
    (tmp_path / "landing" / "licenses").mkdir()
    pq.write_table(table, tmp_path / "landing" / "licenses" / "l.parquet")
    _load(tmp_path)
    hashes = _rows(
        tmp_path, "select license_id, product_secret_sha256 from landing.licenses order by 1"
    )
    expected = [(f"lic-{i}", hashlib.sha256(s).hexdigest()) for i, s in enumerate(secrets)]
    assert hashes == [*expected, ("lic-none", None)]
    database = (tmp_path / "wh.duckdb").read_bytes()
    for secret in secrets:
        assert secret not in database


def test_a_licence_value_out_of_range_or_too_precise_is_named(tmp_path):
    _good(tmp_path)
    folder = tmp_path / "landing" / "licenses"
    schema = LICENSE_SCHEMA.set(
        LICENSE_SCHEMA.get_field_index("price_per_aku"),
        pa.field("price_per_aku", pa.decimal128(30, 8)),
    )
    write_rows(
        folder / "precise.parquet", [licence_row(price_per_aku=Decimal("1.12345678"))], schema
    )
    with pytest.raises(BillingError) as refused:
        _load(tmp_path)
    assert "precise.parquet" in str(refused.value) and "'price_per_aku'" in str(refused.value)
    (folder / "precise.parquet").unlink()
    write_rows(
        folder / "huge.parquet", [licence_row(price_per_aku=Decimal("1" + "0" * 20))], schema
    )
    with pytest.raises(BillingError) as refused:
        _load(tmp_path)
    assert "huge.parquet" in str(refused.value) and "'price_per_aku'" in str(refused.value)


def test_allocations_load_with_their_nulls(tmp_path):
    _good(tmp_path)
    write_rows(
        tmp_path / "landing" / "license_allocations" / "a.parquet",
        [
            {
                "license_id": "l",
                "environment_id": "e",
                "aku_allocated": -1,
                "valid_from": hour(1),
                "valid_to": None,
            },
            {
                "license_id": None,
                "environment_id": "e",
                "aku_allocated": 2,
                "valid_from": hour(1),
                "valid_to": hour(2),
            },
        ],
        ALLOCATION_SCHEMA,
    )
    _load(tmp_path)
    assert _rows(tmp_path, "select count(*) from landing.license_allocations") == [(2,)]


# --------------------------------------------------------------------------------------------
# The AWS billing_event feed (CSV)

FEED_HEADER = (
    "billing_event_id,from_account_id,to_account_id,end_user_account_id,product_id,action,"
    "transaction_type,parent_billing_event_id,disbursement_billing_event_id,amount,currency,"
    "balance_impacting,invoice_date,payment_due_date,usage_period_start_date,"
    "usage_period_end_date,invoice_id,transaction_reference_id,update_date,delete_date,broker_id"
)


def _feed(root: Path, name: str, *lines: str) -> Path:
    path = root / "landing" / "marketplace_billing_events" / name
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text("\n".join([FEED_HEADER, *lines]) + "\n", encoding="utf-8")
    return path


GOOD_EVENT = (
    '"be-1","111","222","123456789012","prod-1","INVOICED","SELLER_REV_SHARE","","",'
    '"12.345678","USD","1","2026-11-03","2026-12-03","2026-10-01T00:00:00Z","2026-11-01T00:00:00Z",'
    '"inv-1","ref-1","2026-11-03 10:00:00","",""'
)


def test_the_billing_event_feed_is_read_exactly(tmp_path):
    _good(tmp_path)
    _feed(tmp_path, "2026-11-03.csv", GOOD_EVENT)
    _load(tmp_path)
    [(amount, start, update, deleted, parent, line)] = _rows(
        tmp_path,
        "select amount, usage_period_start_date, update_date, delete_date, parent_billing_event_id,"
        " file_row_number from landing.marketplace_billing_events",
    )
    assert amount == Decimal("12.345678") and deleted is None and parent is None and line == 0
    assert start == dt.datetime(2026, 10, 1, tzinfo=dt.UTC)
    assert update == dt.datetime(2026, 11, 3, 10, tzinfo=dt.UTC)


@pytest.mark.parametrize(
    ("value", "column", "says"),
    [
        ("12,5", "amount", "is not a decimal number"),
        ("1.1234567", "amount", "more than 6 decimal places"),
        ("soon", "usage_period_start_date", "is not an ISO 8601"),
        # extreme values stop the load too (no traceback from Python's 28-digit context, no
        # moment outside the years 0001-9999 UTC)
        ("1" * 23 + ".5", "amount", "more than 22 integer digits"),
        ("9" * 40, "amount", "more than 22 integer digits"),
        ("9999-12-31T23:59:59-01:00", "usage_period_start_date", "outside the years 0001"),
        ("0001-01-01T00:30:00+01:00", "usage_period_start_date", "outside the years 0001"),
    ],
)
def test_a_bad_feed_value_names_file_line_and_column(tmp_path, value, column, says):
    _good(tmp_path)
    line = (
        GOOD_EVENT.replace('"12.345678"', f'"{value}"')
        if column == "amount"
        else GOOD_EVENT.replace('"2026-10-01T00:00:00Z"', f'"{value}"')
    )
    _feed(tmp_path, "bad.csv", GOOD_EVENT, line)
    with pytest.raises(BillingError) as refused:
        _load(tmp_path)
    message = str(refused.value)
    assert "bad.csv" in message and f"line 3, column '{column}'" in message and says in message


def test_a_feed_missing_a_column_is_refused_by_its_header(tmp_path):
    _good(tmp_path)
    path = _feed(tmp_path, "short.csv", GOOD_EVENT)
    path.write_text(path.read_text().replace("amount,", "amt,", 1))
    [problem] = _refused_by_survey(tmp_path)
    assert "short.csv" in problem and "'amount' is missing" in problem


# --------------------------------------------------------------------------------------------
# Issue 16 and 17: content, not stat; a full refresh leaves nothing that says "built"; extreme
# values stop the load; names are printed escaped


def test_a_same_size_edit_with_its_modification_time_kept_is_seen(tmp_path):
    good = _good(tmp_path)
    _load(tmp_path)
    stat = good.stat()
    edited = good.read_bytes().replace(b"evt-1", b"evt-9")
    assert len(edited) == stat.st_size and edited != good.read_bytes()
    good.write_bytes(edited)
    os.utime(good, ns=(stat.st_atime_ns, stat.st_mtime_ns))
    assert (good.stat().st_size, good.stat().st_mtime_ns) == (stat.st_size, stat.st_mtime_ns)
    with pytest.raises(BillingError, match="content changed since it was loaded") as refused:
        _load(tmp_path)
    assert "good.parquet" in str(refused.value)


def test_the_load_uses_the_hashes_it_is_given(tmp_path):
    """A close hashes every file once, before the load: the load trusts those hashes (so a file
    is not read twice for its sha256) and registers them."""
    good = _good(tmp_path)
    survey = survey_landing(tmp_path / "landing", VOCABULARY)
    hashes = hash_landed(survey.files)
    assert hashes == {("usage_events", "usage_events/good.parquet"): _sha256(good)}
    with duckdb.connect(str(tmp_path / "wh.duckdb")) as con:
        load_landing(con, survey, VOCABULARY, hashes={key: "0" * 64 for key in hashes})
    assert _rows(tmp_path, "select sha256 from control.loaded_files") == [("0" * 64,)]


def _sha256(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def test_a_full_refresh_leaves_the_next_build_a_full_one(tmp_path):
    """load --full-refresh restarts load ids at 1: nothing may still say that the models were
    built over loads 1..n, or the next close would build incrementally over stale rows."""
    _good(tmp_path)
    _load(tmp_path)
    with duckdb.connect(str(tmp_path / "wh.duckdb")) as con:
        state.record(con, "fingerprint", False, "inputs")
        con.execute(
            "insert into control.file_warnings values "
            "('usage_events', 'usage_events/good.parquet', 1, 'w', now())"
        )
        assert not state.needs_full_rebuild(con, "fingerprint")
    _load(tmp_path, full_refresh=True)
    with duckdb.connect(str(tmp_path / "wh.duckdb")) as con:
        assert state.needs_full_rebuild(con, "fingerprint")
        assert not state.built_for(con, "inputs")
        assert state.pending_loads(con) == [1]
        for table in ("control.builds", "control.file_warnings"):
            assert con.execute(f"select count(*) from {table}").fetchall() == [(0,)]  # noqa: S608
        assert con.execute("select load_id from control.loaded_files").fetchall() == [(1,)]


def _moment_after_9999() -> pa.Array:
    last = dt.datetime(9999, 12, 31, 23, tzinfo=dt.UTC)
    micros = int(last.timestamp()) * 10**6 + 3600 * 10**6  # 10000-01-01T00:00Z
    return pa.array([micros], pa.int64()).cast(pa.timestamp("us", tz="UTC"))


@pytest.mark.parametrize("column", ["hour_start", "emitted_at"])
def test_a_parquet_moment_in_the_year_10000_stops_the_load_naming_the_column(tmp_path, column):
    _good(tmp_path)
    table = _with(_table(event_id="late"), column, _moment_after_9999())
    pq.write_table(table, _usage(tmp_path, "far.parquet"))
    with pytest.raises(BillingError) as refused:
        _load(tmp_path)
    message = str(refused.value)
    assert "far.parquet" in message and f"'{column}'" in message and "0001 to 9999" in message
    assert "good.parquet:" not in message
    assert _rows(tmp_path, "select count(*) from landing.usage_events") == [(0,)]


def test_a_licence_date_in_the_year_10000_stops_the_load(tmp_path):
    _good(tmp_path)
    table = pa.Table.from_pylist([licence_row()], schema=LICENSE_SCHEMA)
    table = table.set_column(
        table.schema.get_field_index("purchased_at"), "purchased_at", _moment_after_9999()
    )
    path = tmp_path / "landing" / "licenses" / "far.parquet"
    path.parent.mkdir(parents=True)
    pq.write_table(table, path)
    with pytest.raises(BillingError) as refused:
        _load(tmp_path)
    assert "far.parquet" in str(refused.value) and "'purchased_at'" in str(refused.value)


def test_a_huge_or_too_precise_licence_price_names_file_row_and_column(tmp_path):
    _good(tmp_path)
    schema = LICENSE_SCHEMA.set(
        LICENSE_SCHEMA.get_field_index("price_per_aku"),
        pa.field("price_per_aku", pa.decimal128(38, 10)),
    )
    rows = [
        licence_row(license_id="lic-1"),
        licence_row(license_id="lic-2", price_per_aku=Decimal("1" * 23 + ".5")),
    ]
    path = tmp_path / "landing" / "licenses" / "huge.parquet"
    write_rows(path, rows, schema)
    with pytest.raises(BillingError) as refused:
        _load(tmp_path)
    message = str(refused.value)
    assert "huge.parquet" in message and "'price_per_aku'" in message
    write_rows(
        path,
        rows,
        schema.set(
            schema.get_field_index("price_per_aku"), pa.field("price_per_aku", pa.decimal128(38, 6))
        ),
    )
    with pytest.raises(BillingError) as refused:
        _load(tmp_path)
    message = str(refused.value)
    assert "huge.parquet" in message and "'price_per_aku'" in message and "row 2" in message


def test_a_file_name_with_a_newline_or_an_override_is_printed_escaped(tmp_path):
    _good(tmp_path)
    folder = tmp_path / "landing" / "usage_events"
    pq.write_table(_table().drop(["meter"]), folder / "two\nlines.parquet")
    pq.write_table(_table().drop(["meter"]), folder / "exe\u202ecod.parquet")
    survey = survey_landing(tmp_path / "landing", VOCABULARY)
    assert len(survey.problems) == 2
    for problem in survey.problems:
        assert "\n" not in problem and "\u202e" not in problem
    text = "\n".join(survey.problems)
    assert "two\\nlines.parquet" in text and "exe\\u202ecod.parquet" in text
    assert shown(Path("/plain/usage events.parquet")) == "/plain/usage events.parquet"
