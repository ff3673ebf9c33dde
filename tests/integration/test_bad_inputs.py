"""A catalogue of bad inputs and the outcome each must have (SPEC 1 and 6).

- File-level problems (unreadable, empty, missing or mistyped columns) stop the close before
  anything is written: exit 2, a message naming the file and the column and saying what to do, no
  output folder and no warehouse. Each has its own tiny landing; they fail in about a second.
- Landing-level problems (no landing, no usage files, a month without usage) and bad arguments
  (quoted paths, malformed months) are refused with exit 2.
- Value-level problems in readable files are quarantined and the close publishes. They all sit in
  ONE landing (each case on its own instance and event id) closed ONCE; each test then checks its
  case in the warehouse or in the published files.
"""

from __future__ import annotations

import csv
import datetime as dt
import json
import shutil
from dataclasses import dataclass, field
from decimal import ROUND_HALF_UP, Decimal, localcontext
from pathlib import Path

import duckdb
import pyarrow as pa
import pyarrow.csv as pacsv
import pyarrow.parquet as pq
import pytest
from test_close import run_cli, run_close_cli

from automq_billing.demo.licences import LICENSE_SCHEMA
from conftest import (
    REPO,
    USAGE_SCHEMA,
    assert_conservation,
    assert_secrets_nowhere,
    hour,
    usage_row,
    write_usage,
)

pytestmark = pytest.mark.slow

BIGINT_MAX = 2**63 - 1
GIB = 2**30
HOURS_IN_OCTOBER = 744


def _refused(result, *must_name: str) -> None:
    """Exit 2, no crash, the named things and a 'What to do' in the message."""
    assert "Traceback" not in result.stderr, result.stderr
    assert result.returncode == 2, (result.returncode, result.stderr)
    for name in must_name:
        assert name in result.stderr, f"{name!r} not named in: {result.stderr}"
    assert "What to do" in result.stderr, result.stderr


def _nothing_written(root: Path) -> None:
    assert not (root / "output").exists(), "an output folder was created"
    assert not (root / "wh").exists(), "a warehouse folder was created"


# --------------------------------------------------------------------------------------------
# File-level cases: each builds a landing under `root` and returns (file basename, column).
# --------------------------------------------------------------------------------------------


def _good_table(**overrides) -> pa.Table:
    return pa.Table.from_pylist([usage_row(**overrides)], schema=USAGE_SCHEMA)


def _with_column(table: pa.Table, name: str, array: pa.Array) -> pa.Table:
    return table.set_column(table.schema.get_field_index(name), name, array)


def _usage_file(root: Path, name: str) -> Path:
    path = root / "landing" / "usage_events" / name
    path.parent.mkdir(parents=True, exist_ok=True)
    return path


def _write_good(root: Path, name: str = "good.parquet") -> Path:
    path = _usage_file(root, name)
    pq.write_table(_good_table(), path)
    return path


def not_parquet_text(root):
    _write_good(root)
    _usage_file(root, "notes.parquet").write_text("this is a text file, not Parquet\n")
    return "notes.parquet", None


def csv_renamed(root):
    _write_good(root)
    pacsv.write_csv(_good_table(), _usage_file(root, "export-csv.parquet"))
    return "export-csv.parquet", None


def truncated(root):
    good = _write_good(root)
    data = good.read_bytes()
    _usage_file(root, "truncated.parquet").write_bytes(data[: len(data) // 2])
    return "truncated.parquet", None


def zero_bytes(root):
    _write_good(root)
    _usage_file(root, "empty.parquet").write_bytes(b"")
    return "empty.parquet", None


def zero_rows(root):
    _write_good(root)
    pq.write_table(USAGE_SCHEMA.empty_table(), _usage_file(root, "no-rows.parquet"))
    return "no-rows.parquet", None


def _missing(column: str):
    def build(root):
        _write_good(root)
        table = _good_table()
        pq.write_table(table.drop_columns([column]), _usage_file(root, f"no-{column}.parquet"))
        return f"no-{column}.parquet", column

    build.__name__ = f"missing_{column}"
    return build


def _retyped(column: str, array: pa.Array, label: str):
    def build(root):
        _write_good(root)
        table = _with_column(_good_table(), column, array)
        pq.write_table(table, _usage_file(root, f"{label}.parquet"))
        return f"{label}.parquet", column

    build.__name__ = label
    return build


def schema_drift(root):
    """Two files of the same month; only the second has a bad type. The good one is not named."""
    _write_good(root, "2026-10-01-export.parquet")
    table = _with_column(_good_table(event_id="evt-2"), "quantity", pa.array(["1024"], pa.string()))
    pq.write_table(table, _usage_file(root, "2026-10-02-export.parquet"))
    return "2026-10-02-export.parquet", "quantity"


def bad_licence_file(root):
    _write_good(root)
    licence = {
        "license_id": "lic-1",
        "organization_id": "org-a",
        "channel": "offline_contract",
        "term": "monthly",
        "aku_quota": 2,
        "start_date": dt.date(2026, 10, 1),
        "end_date": dt.date(2026, 11, 1),
        "price_per_aku": None,
        "currency": "USD",
        "product_secret": "s",
        "purchased_at": hour(1),
    }
    table = pa.Table.from_pylist([licence], schema=LICENSE_SCHEMA).drop_columns(["aku_quota"])
    path = root / "landing" / "licenses" / "licences-2026-10.parquet"
    path.parent.mkdir(parents=True)
    pq.write_table(table, path)
    return "licences-2026-10.parquet", "aku_quota"


def unreadable_licence_file(root):
    _write_good(root)
    path = root / "landing" / "licenses" / "broken-licences.parquet"
    path.parent.mkdir(parents=True)
    path.write_text("license_id,organization_id\nlic-1,org-a\n")
    return "broken-licences.parquet", None


def bad_allocation_type(root):
    _write_good(root)
    table = pa.table(
        {
            "license_id": ["lic-1"],
            "environment_id": ["env-a"],
            "aku_allocated": ["2"],  # a string where an integer is required
            "valid_from": pa.array([hour(1)], pa.timestamp("us", tz="UTC")),
            "valid_to": pa.array([None], pa.timestamp("us", tz="UTC")),
        }
    )
    path = root / "landing" / "license_allocations" / "alloc.parquet"
    path.parent.mkdir(parents=True)
    pq.write_table(table, path)
    return "alloc.parquet", "aku_allocated"


FILE_CASES = [
    pytest.param(not_parquet_text, id="text-file-named-parquet"),
    pytest.param(csv_renamed, id="csv-renamed-parquet"),
    pytest.param(truncated, id="truncated-parquet"),
    pytest.param(zero_bytes, id="zero-byte-file"),
    pytest.param(zero_rows, id="zero-row-parquet"),
    *(
        pytest.param(_missing(column), id=f"missing-{column}")
        for column in ("quantity", "hour_start", "event_id", "meter", "emitted_at", "cluster_tier")
    ),
    pytest.param(
        _retyped("quantity", pa.array([1024.0], pa.float64()), "quantity-float64"),
        id="quantity-float64",
    ),
    pytest.param(
        _retyped("quantity", pa.array(["1024"], pa.string()), "quantity-string"),
        id="quantity-string",
    ),
    pytest.param(
        _retyped("hour_start", pa.array(["2026-10-01T00:00:00Z"], pa.string()), "hour-string"),
        id="hour_start-string",
    ),
    pytest.param(
        _retyped("emitted_at", pa.array([1790816400], pa.int64()), "emitted-epoch"),
        id="emitted_at-int64-epoch",
    ),
    pytest.param(schema_drift, id="schema-drift-between-files"),
    pytest.param(bad_licence_file, id="licences-missing-aku_quota"),
    pytest.param(unreadable_licence_file, id="licences-not-parquet"),
    pytest.param(bad_allocation_type, id="allocations-aku_allocated-string"),
]


@pytest.mark.parametrize("build", FILE_CASES)
def test_a_bad_file_stops_the_close_before_anything_is_written(tmp_path, build):
    name, column = build(tmp_path)
    result = run_close_cli("2026-10", tmp_path / "landing", tmp_path)
    _refused(result, name, *([f"'{column}'"] if column else []))
    assert "nothing was written" in result.stderr
    for good in ("good.parquet", "2026-10-01-export.parquet"):
        assert good not in result.stderr, f"the good file {good} is blamed"
    _nothing_written(tmp_path)


# --------------------------------------------------------------------------------------------
# Landing-level cases and arguments
# --------------------------------------------------------------------------------------------


def test_a_missing_landing_folder_is_refused(tmp_path):
    result = run_close_cli("2026-10", tmp_path / "no-such-landing", tmp_path)
    _refused(result, "does not exist")
    _nothing_written(tmp_path)


def test_a_landing_without_usage_events_is_refused(tmp_path):
    (tmp_path / "landing" / "licenses").mkdir(parents=True)
    result = run_close_cli("2026-10", tmp_path / "landing", tmp_path)
    _refused(result, "usage_events")
    _nothing_written(tmp_path)


def test_usage_events_without_parquet_files_is_refused(tmp_path):
    folder = tmp_path / "landing" / "usage_events"
    folder.mkdir(parents=True)
    pacsv.write_csv(_good_table(), folder / "export.csv")
    result = run_close_cli("2026-10", tmp_path / "landing", tmp_path)
    _refused(result, "usage_events")
    _nothing_written(tmp_path)


def test_a_month_without_usage_rows_is_refused(tmp_path):
    _write_good(tmp_path)  # October only
    result = run_close_cli("2026-11", tmp_path / "landing", tmp_path)
    _refused(result, "No usage rows were landed for 2026-11")
    assert not (tmp_path / "output").exists()


@pytest.mark.parametrize("option", ["--landing", "--output", "--warehouse"])
def test_a_path_with_a_quote_is_refused(tmp_path, option):
    landing = tmp_path / "landing"
    _write_good(tmp_path)
    paths = {
        "--landing": str(landing),
        "--output": str(tmp_path / "output"),
        "--warehouse": str(tmp_path / "wh" / "billing.duckdb"),
    }
    if option == "--landing":
        quoted = tmp_path / "land'ing"
        shutil.copytree(landing, quoted)
        paths[option] = str(quoted)
    else:
        paths[option] = str(tmp_path / "it's" / Path(paths[option]).name)
    args = [arg for pair in paths.items() for arg in pair]
    result = run_cli("close", "--month", "2026-10", *args, cwd=tmp_path)
    _refused(result, option)
    _nothing_written(tmp_path)
    assert not (tmp_path / "it's").exists()


@pytest.mark.parametrize(
    "month",
    [
        "2026-10'; drop",
        "2026-00",
        "2026-10;",
        "2026-10 ",
        " 2026-10",
    ],
)
def test_a_malformed_month_is_refused(tmp_path, month):
    # A missing landing: if the month were accepted, the close would fail later for another
    # reason, without naming --month.
    result = run_close_cli(month, tmp_path / "no-such-landing", tmp_path)
    _refused(result, "--month must be a month written YYYY-MM")
    _nothing_written(tmp_path)


# --------------------------------------------------------------------------------------------
# Value-level cases: one landing, one close
# --------------------------------------------------------------------------------------------

RATED = [("rated", None)]
SQL_ORG = "org'; drop table marts.fct_statements; --"
SQL_ORGS = [
    SQL_ORG,
    'org"); select 1; --',
    "org' or '1'='1",
    "org\\'; copy (select 1) to '/tmp/x'; --",
    "{{ env_var('HOME') }}-org-{% raw %}",
    "org-$$-${landing_root}-%s",
]
UNICODE_ORGS = {
    "emoji": "org-🚀✨-émoji",
    "cjk": "组织-データ-조직",
    "combining": "org-e\u0301-a\u0308-\u0915\u094d\u0937",
    "zwj-rtl": "org-👩\u200d💻-\u05e9\u05dc\u05d5\u05dd",
}
LONG_ID = "x" * 9_990 + "-long-id"  # 9,998 characters...
LONG_ID = LONG_ID + "z" * (10_000 - len(LONG_ID))  # ...and exactly 10,000


@dataclass
class ValueCase:
    key: str
    overrides: dict
    expected: list
    files: tuple = ("main",)
    row: dict = field(init=False)

    def __post_init__(self):
        values = {"instance_id": self.key, "event_id": f"{self.key}-1", "quantity": 5 * GIB}
        values.update(self.overrides)
        self.row = usage_row(**values)


def _null_cases() -> list[ValueCase]:
    cases = []
    for column in USAGE_SCHEMA.names:
        if column == "cluster_tier":
            # required only for usage-based uptime rows
            overrides = {"meter": "uptime_seconds", "quantity": 3600, "cluster_tier": None}
        else:
            overrides = {column: None}
        cases.append(ValueCase(f"null-{column}", overrides, [("quarantined", "missing_field")]))
    return cases


VALUE_CASES = [
    *_null_cases(),
    ValueCase("unknown-meter", {"meter": "cpu_seconds"}, [("quarantined", "unknown_meter")]),
    ValueCase("unknown-mode", {"pricing_mode": "free"}, [("quarantined", "unknown_pricing_mode")]),
    ValueCase("unknown-tier", {"cluster_tier": "gold"}, [("quarantined", "unknown_cluster_tier")]),
    ValueCase("negative", {"quantity": -5}, [("quarantined", "negative_quantity")]),
    ValueCase("bigint-min", {"quantity": -(2**63)}, [("quarantined", "negative_quantity")]),
    ValueCase(
        "misaligned",
        {"hour_start": hour(1, 0, minute=30), "emitted_at": hour(1, 2)},
        [("quarantined", "misaligned_hour")],
    ),
    ValueCase(
        "misaligned-seconds",
        {"hour_start": hour(1).replace(second=1), "emitted_at": hour(1, 2)},
        [("quarantined", "misaligned_hour")],
    ),
    ValueCase(
        "uptime-3601",
        {"meter": "uptime_seconds", "quantity": 3601},
        [("quarantined", "uptime_out_of_range")],
    ),
    ValueCase(
        "future",
        {"hour_start": hour(20), "emitted_at": hour(19, 23)},
        [("quarantined", "future_hour")],
    ),
    # quantities at the BIGINT limit are rated and billed exactly
    ValueCase(
        "huge-ingress",
        {"organization_id": "org-huge-ingress", "quantity": BIGINT_MAX},
        RATED,
    ),
    ValueCase(
        "huge-twice-1",
        {
            "organization_id": "org-huge-twice",
            "quantity": BIGINT_MAX,
            "hour_start": hour(2),
            "emitted_at": hour(2, 1),
        },
        RATED,
    ),
    ValueCase(
        "huge-twice-2",
        {
            "organization_id": "org-huge-twice",
            "quantity": BIGINT_MAX,
            "hour_start": hour(3),
            "emitted_at": hour(3, 1),
        },
        RATED,
    ),
    ValueCase(
        "huge-retained",
        {"organization_id": "org-huge-retained", "meter": "retained_bytes", "quantity": BIGINT_MAX},
        RATED,
    ),
    ValueCase(
        "huge-egress",
        {"organization_id": "org-huge-egress", "meter": "egress_bytes", "quantity": BIGINT_MAX},
        RATED,
    ),
    ValueCase(
        "huge-write-peak",
        {"meter": "write_peak_bytes_per_s", "quantity": BIGINT_MAX},
        RATED,
    ),
    # unicode and very long ids are ordinary ids
    *(
        ValueCase(
            f"unicode-{name}",
            {"organization_id": org, "instance_id": f"inst-{org}", "event_id": f"evt-{org}"},
            RATED,
        )
        for name, org in UNICODE_ORGS.items()
    ),
    ValueCase(
        "long-ids",
        {"organization_id": LONG_ID, "instance_id": "i" + LONG_ID[1:], "event_id": "e" + LONG_ID},
        RATED,
    ),
    # ids that look like SQL are data, never SQL text
    *(
        ValueCase(
            f"sql-{index}",
            {
                "organization_id": org,
                "environment_id": f"env{org}",
                "instance_id": f"inst{org}",
                "event_id": f"evt{org}",
                "region": org,
            },
            RATED,
        )
        for index, org in enumerate(SQL_ORGS)
    ),
    # a file whose name holds a quote and a semicolon
    ValueCase("odd-file-name", {}, RATED, files=("odd",)),
    # the same file landed twice under two names: one copy rated, the other duplicate
    ValueCase(
        "copied-file",
        {"quantity": 7 * GIB},
        [("duplicate", None), ("rated", None)],
        files=("copy-1", "copy-2"),
    ),
    ValueCase(
        "copied-file-uptime",
        {"meter": "uptime_seconds", "quantity": 3600},
        [("duplicate", None), ("rated", None)],
        files=("copy-1", "copy-2"),
    ),
]
OTHER_MONTH_ROWS = [
    usage_row(
        organization_id="org-september",
        instance_id="september",
        event_id="september-1",
        hour_start=hour(30, 23, month=9),
        emitted_at=hour(1, 1),
    ),
    usage_row(
        organization_id="org-november",
        instance_id="november",
        event_id="november-1",
        hour_start=hour(1, month=11),
        emitted_at=hour(1, 1, month=11),
    ),
    usage_row(  # an invalid row of another month is not in this month's quarantine either
        organization_id="org-november",
        instance_id="november-bad",
        event_id="november-bad-1",
        meter="bogus",
        hour_start=hour(2, month=11),
        emitted_at=hour(2, 1, month=11),
    ),
]
FILE_NAMES = {
    "main": "month=2026-10/main.parquet",
    "odd": "it's;odd.parquet",
    "copy-1": "copies/export-0001.parquet",
    "copy-2": "copies/export-0001 (copy).parquet",
}
SECRETS = [
    "sk-live-normal-5f1c0e9b7d3a4c2e8b6f",
    "sec'ret\"with-both-quotes-7a9c1e3b5d",
    "秘密-🔑-sécret-e\u0301-2b4d6f8a0c",
    "sec;ret'; drop table staging.x; -- 3c5e7a9b",
]


def _licence(index: int, secret: str | None) -> dict:
    return {
        "license_id": f"lic-{index}",
        "organization_id": "org-prepaid",
        "channel": "offline_contract",
        "term": "monthly",
        "aku_quota": 2,
        "start_date": dt.date(2026, 10, 1),
        "end_date": dt.date(2026, 11, 1),
        "price_per_aku": None,
        "currency": "USD",
        "product_secret": secret,
        "purchased_at": hour(1),
    }


def _write_value_landing(landing: Path) -> None:
    by_file: dict[str, list[dict]] = {name: [] for name in FILE_NAMES}
    for case in VALUE_CASES:
        for name in case.files:
            by_file[name].append(case.row)
    by_file["main"].extend(OTHER_MONTH_ROWS)
    for name, rows in by_file.items():
        write_usage(landing / "usage_events" / FILE_NAMES[name], rows)
    assert (landing / "usage_events" / FILE_NAMES["copy-1"]).read_bytes() == (
        landing / "usage_events" / FILE_NAMES["copy-2"]
    ).read_bytes()
    licences = [_licence(i, s) for i, s in enumerate([*SECRETS, None])]
    path = landing / "licenses" / "licences.parquet"
    path.parent.mkdir(parents=True)
    pq.write_table(pa.Table.from_pylist(licences, schema=LICENSE_SCHEMA), path)


@pytest.fixture(scope="module")
def value_close(tmp_path_factory):
    root = tmp_path_factory.mktemp("bad_values")
    landing = root / "landing"
    _write_value_landing(landing)
    result = run_close_cli("2026-10", landing, root)
    folder = root / "output" / "2026-10" / "v1"
    con = duckdb.connect(str(root / "wh" / "billing.duckdb"), read_only=True)
    con.execute("set TimeZone = 'UTC'")
    yield {"root": root, "landing": landing, "result": result, "folder": folder, "con": con}
    con.close()


def _manifest(value_close) -> dict:
    return json.loads((value_close["folder"] / "manifest.json").read_text())


def _table(value_close, name: str) -> list[dict]:
    return pq.read_table(value_close["folder"] / f"{name}.parquet").to_pylist()


def test_the_value_level_landing_is_closed_and_published(value_close):
    result = value_close["result"]
    assert "Traceback" not in result.stderr
    assert result.returncode == 0, result.stderr
    assert (value_close["folder"] / "manifest.json").is_file()


@pytest.mark.parametrize("case", VALUE_CASES, ids=lambda case: case.key)
def test_value_case_outcome(value_close, case):
    rows = (
        value_close["con"]
        .execute(
            """
        select outcome, quarantine_reason from intermediate.int_usage_events_classified
        where instance_id is not distinct from ? and event_id is not distinct from ?
        order by outcome
        """,
            [case.row["instance_id"], case.row["event_id"]],
        )
        .fetchall()
    )
    assert rows == case.expected


def test_conservation_holds_and_counts_the_months_rows(value_close):
    manifest = _manifest(value_close)
    assert_conservation(manifest)
    landed = sum(len(case.files) for case in VALUE_CASES)  # every case row is October's or null
    assert manifest["usage_events"]["rows"]["landed"] == landed
    assert manifest["usage_events_scope"] == {
        "month_rows": landed - 1,
        "rows_without_month": 1,
    }
    assert manifest["usage_events"]["rows"]["duplicate"] == 2
    quantity = manifest["usage_events"]["quantity"]
    expected_landed: dict[str, int] = {}
    for case in VALUE_CASES:
        meter = case.row["meter"] if case.row["meter"] is not None else "(null)"
        expected_landed.setdefault(meter, 0)
        expected_landed[meter] += len(case.files) * (case.row["quantity"] or 0)
    assert {meter: block["landed"] for meter, block in quantity.items()} == expected_landed


def test_quarantine_file_holds_every_quarantined_case(value_close):
    quarantine = _table(value_close, "quarantine")
    got = {(row["instance_id"], row["event_id"], row["reason"]) for row in quarantine}
    expected = {
        (case.row["instance_id"], case.row["event_id"], reason)
        for case in VALUE_CASES
        for outcome, reason in case.expected
        if outcome == "quarantined"
    }
    assert got == expected
    manifest = _manifest(value_close)
    assert manifest["quarantine"]["rows"] == len(quarantine)
    assert sum(manifest["usage_events"]["rows"]["quarantined"].values()) == len(quarantine)


def test_rows_without_hour_start_are_reported_in_the_closed_month(value_close):
    [row] = [r for r in _table(value_close, "quarantine") if r["hour_start"] is None]
    assert (row["instance_id"], row["reason"]) == ("null-hour_start", "missing_field")
    assert Path(row["source_file"]).name == "main.parquet"
    assert _manifest(value_close)["usage_events_scope"]["rows_without_month"] == 1


def test_rows_of_other_months_are_not_on_this_months_outputs(value_close):
    statements = {row["organization_id"] for row in _table(value_close, "statements")}
    lines = {row["organization_id"] for row in _table(value_close, "statement_lines")}
    quarantine = _table(value_close, "quarantine")
    assert not {"org-september", "org-november"} & (statements | lines)
    assert not [row for row in quarantine if row["organization_id"] == "org-november"]
    for row in quarantine:
        assert row["hour_start"] is None or (
            dt.datetime(2026, 10, 1, tzinfo=dt.UTC)
            <= row["hour_start"]
            < dt.datetime(2026, 11, 1, tzinfo=dt.UTC)
        )


def _rate_card(billing_item: str) -> list[tuple[Decimal, Decimal | None, Decimal]]:
    with (REPO / "seeds" / "rate_card_tiers.csv").open() as handle:
        rows = [r for r in csv.DictReader(handle) if r["billing_item"] == billing_item]
    in_force = max(r["effective_from"] for r in rows if r["effective_from"] <= "2026-10-01")
    rows = [r for r in rows if r["effective_from"] == in_force]
    assert {r["tier_mode"] for r in rows} == {"graduated"}
    return [
        (
            Decimal(r["lower_bound"]),
            Decimal(r["upper_bound"]) if r["upper_bound"] else None,
            Decimal(r["unit_price"]),
        )
        for r in sorted(rows, key=lambda r: int(r["tier"]))
    ]


def _round(value: Decimal, places: str) -> Decimal:
    return value.quantize(Decimal(places), rounding=ROUND_HALF_UP)


def _ratio6(numerator: int, denominator: int) -> Decimal:
    with localcontext() as context:
        context.prec = 80
        return _round(Decimal(numerator) / Decimal(denominator), "0.000001")


def _graduated(quantity: Decimal, billing_item: str) -> list[tuple[Decimal, Decimal]]:
    """(tier quantity, amount) per emitted line, by a plain reading of SPEC 3."""
    lines = []
    for lower, upper, price in _rate_card(billing_item):
        top = quantity if upper is None else min(quantity, upper)
        if top > lower:
            lines.append((top - lower, _round((top - lower) * price, "0.01")))
    return lines


@pytest.mark.parametrize(
    ("organization_id", "billing_item", "quantity"),
    [
        ("org-huge-ingress", "data_ingress", _ratio6(BIGINT_MAX, GIB)),
        ("org-huge-twice", "data_ingress", _ratio6(2 * BIGINT_MAX, GIB)),
        ("org-huge-egress", "data_egress", _ratio6(BIGINT_MAX, GIB)),
        ("org-huge-retained", "data_retention", _ratio6(BIGINT_MAX, GIB * HOURS_IN_OCTOBER)),
    ],
)
def test_quantities_at_the_bigint_limit_are_billed_exactly(
    value_close, organization_id, billing_item, quantity
):
    lines = [
        line
        for line in _table(value_close, "statement_lines")
        if line["organization_id"] == organization_id
    ]
    assert {line["billing_item"] for line in lines} == {billing_item}
    got = [(line["quantity"], line["amount"]) for line in sorted(lines, key=lambda x: x["tier"])]
    assert got == _graduated(quantity, billing_item)
    for line in lines:
        assert isinstance(line["amount"], Decimal) and line["amount"].as_tuple().exponent == -2
    [statement] = [
        s for s in _table(value_close, "statements") if s["organization_id"] == organization_id
    ]
    assert statement["total_amount"] == sum(amount for _, amount in got)


@pytest.mark.parametrize("organization_id", SQL_ORGS, ids=lambda org: org[:20])
def test_sql_looking_ids_appear_verbatim_in_the_statements(value_close, organization_id):
    statements = _table(value_close, "statements")
    assert organization_id in {row["organization_id"] for row in statements}
    csv_ids = pacsv.read_csv(value_close["folder"] / "statements.csv").column("organization_id")
    assert organization_id in csv_ids.to_pylist()
    # nothing was executed: the tables the ids name are intact
    count = (
        value_close["con"]
        .execute("select count(*) from marts.fct_statements where statement_month = '2026-10-01'")
        .fetchone()[0]
    )
    assert count == len(statements)


@pytest.mark.parametrize(
    "organization_id", [*UNICODE_ORGS.values(), LONG_ID], ids=[*UNICODE_ORGS, "long"]
)
def test_unicode_and_long_ids_appear_verbatim_in_the_statements(value_close, organization_id):
    assert organization_id in {row["organization_id"] for row in _table(value_close, "statements")}
    assert organization_id in {
        row["organization_id"] for row in _table(value_close, "statement_lines")
    }


def test_a_file_name_with_a_quote_and_a_semicolon_is_read(value_close):
    [source] = (
        value_close["con"]
        .execute(
            "select source_file from intermediate.int_usage_events_classified "
            "where instance_id = 'odd-file-name'"
        )
        .fetchone()
    )
    assert Path(source).name == "it's;odd.parquet"
    inputs = {entry["path"] for entry in _manifest(value_close)["inputs"]}
    assert "usage_events/it's;odd.parquet" in inputs


def test_a_file_landed_twice_does_not_change_the_rated_quantity(value_close):
    rated = (
        value_close["con"]
        .execute(
            """
        select meter, sum(quantity) from intermediate.int_usage_events_classified
        where instance_id like 'copied-file%' and outcome = 'rated' group by meter order by meter
        """
        )
        .fetchall()
    )
    assert rated == [("ingress_bytes", 7 * GIB), ("uptime_seconds", 3600)]


def test_the_product_secret_is_nowhere(value_close):
    root = value_close["root"]
    hashes = (
        value_close["con"]
        .execute("select count(*) from marts.dim_licenses where product_secret_sha256 is not null")
        .fetchone()[0]
    )
    assert hashes == len(SECRETS)
    assert_secrets_nowhere(root / "wh" / "billing.duckdb", [root / "output", root / "wh"], SECRETS)
    result = value_close["result"]
    for secret in SECRETS:
        assert secret not in result.stdout and secret not in result.stderr


# --------------------------------------------------------------------------------------------
# A prepaid peak at the BIGINT limit: sized exactly, flagged above max_aku (its own close).
# --------------------------------------------------------------------------------------------


def test_a_prepaid_peak_at_the_bigint_limit_is_sized_without_overflow(tmp_path):
    landing = tmp_path / "landing"
    common = {"organization_id": "org-prepaid", "pricing_mode": "prepaid", "cluster_tier": None}
    write_usage(
        landing / "usage_events" / "peaks.parquet",
        [
            usage_row(event_id="w", meter="write_peak_bytes_per_s", quantity=BIGINT_MAX, **common),
            usage_row(event_id="r", meter="read_peak_bytes_per_s", quantity=BIGINT_MAX, **common),
            usage_row(event_id="u", meter="uptime_seconds", quantity=3600, **common),
        ],
    )
    result = run_close_cli("2026-10", landing, tmp_path)
    assert "Traceback" not in result.stderr
    assert result.returncode == 0, result.stderr
    folder = tmp_path / "output" / "2026-10" / "v1"
    assert_conservation(json.loads((folder / "manifest.json").read_text()))
    with duckdb.connect(str(tmp_path / "wh" / "billing.duckdb"), read_only=True) as con:
        [(required, exceeds)] = con.execute(
            "select required_aku, exceeds_max_aku from marts.fct_instance_aku_hourly"
        ).fetchall()
    assert required > 2**31 and exceeds
