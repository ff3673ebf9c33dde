"""One fixture landing holding a case per rule and per bad value (each on its own instance and
event id), closed ONCE per session in-process; the data-level tests read that close's warehouse
and output folder."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from pathlib import Path

import duckdb
import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from automq_billing.close import CloseOptions, run_close
from automq_billing.close import run as close_run
from helpers import (
    ALLOCATION_SCHEMA,
    GIB,
    LICENSE_SCHEMA,
    REPO,
    USAGE_SCHEMA,
    hour,
    licence_row,
    usage_row,
    write_rows,
)

BIGINT_MAX = 2**63 - 1
RATED = [("rated", None)]
SQL_ORGS = [
    "org'; drop table marts.fct_statements; --",
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
    "rtl-letters": "org-👩💻-\u05e9\u05dc\u05d5\u05dd",
}
LONG_ID = ("x" * 9_990 + "-long-id").ljust(10_000, "z")
SECRETS = [
    "sk-live-normal-5f1c0e9b7d3a4c2e8b6f",
    "sec'ret\"with-both-quotes-7a9c1e3b5d",
    "秘密-🔑-sécret-e\u0301-2b4d6f8a0c",
    "sec;ret'; drop table staging.x; -- 3c5e7a9b",
]


@dataclass
class Case:
    key: str
    overrides: dict
    expected: list
    files: tuple = ("main",)
    row: dict = field(init=False)

    def __post_init__(self):
        values = {"instance_id": self.key, "event_id": f"{self.key}-1", "quantity": 5 * GIB}
        values.update(self.overrides)
        self.row = usage_row(**values)


def _null_cases() -> list[Case]:
    cases = []
    for column in USAGE_SCHEMA.names:
        if column == "cluster_tier":  # required only for usage-based uptime rows
            overrides = {"meter": "uptime_seconds", "quantity": 3600, "cluster_tier": None}
        else:
            overrides = {column: None}
        cases.append(Case(f"null-{column}", overrides, [("quarantined", "missing_field")]))
    return cases


def _tie(key: str, common: dict | None = None, **differences) -> list[Case]:
    """Two rows of one measurement with the same latest emitted_at and quantity, different ids
    and the given differences: a measurement_conflict (SPEC 1.1 rule 3 as amended)."""
    common = {"instance_id": key, "emitted_at": hour(1, 3), "quantity": 7 * GIB, **(common or {})}
    conflict = [("quarantined", "measurement_conflict")]
    return [
        Case(f"{key}-a", {**common, "event_id": f"{key}-a"}, conflict),
        Case(f"{key}-b", {**common, "event_id": f"{key}-b", **differences}, conflict),
    ]


CASES = [
    *_null_cases(),
    Case("unknown-meter", {"meter": "cpu_seconds"}, [("quarantined", "unknown_meter")]),
    Case("unknown-mode", {"pricing_mode": "free"}, [("quarantined", "unknown_pricing_mode")]),
    Case("unknown-tier", {"cluster_tier": "gold"}, [("quarantined", "unknown_cluster_tier")]),
    Case("negative", {"quantity": -5}, [("quarantined", "negative_quantity")]),
    Case("bigint-min", {"quantity": -(2**63)}, [("quarantined", "negative_quantity")]),
    Case(
        "misaligned",
        {"hour_start": hour(1, 0, minute=30), "emitted_at": hour(1, 2)},
        [("quarantined", "misaligned_hour")],
    ),
    Case(
        "uptime-3601",
        {"meter": "uptime_seconds", "quantity": 3601},
        [("quarantined", "uptime_out_of_range")],
    ),
    Case(
        "future",
        {"hour_start": hour(20), "emitted_at": hour(19, 23)},
        [("quarantined", "future_hour")],
    ),
    # SPEC 1.1 invalid_id: empty, blank and padded ids never get a statement of their own
    Case("empty-org", {"organization_id": ""}, [("quarantined", "invalid_id")]),
    Case("blank-org", {"organization_id": " "}, [("quarantined", "invalid_id")]),
    Case("padded-org", {"organization_id": "org-a "}, [("quarantined", "invalid_id")]),
    Case("tab-event", {"event_id": "evt\tx"}, [("quarantined", "invalid_id")]),
    # SPEC 1.1 (amended): format and separator characters make a look-alike id invalid
    Case("zwj-org", {"organization_id": "org-👩\u200d💻"}, [("quarantined", "invalid_id")]),
    Case("rtl-override-org", {"organization_id": "org-\u202eab"}, [("quarantined", "invalid_id")]),
    Case("nbsp-instance", {"instance_id": "inst\u00a0x"}, [("quarantined", "invalid_id")]),
    # a tie on the latest emitted_at differing in the organization or the tier
    *_tie("org-tie", organization_id="org-b"),
    *_tie("tier-tie", {"meter": "uptime_seconds", "quantity": 3600}, cluster_tier="dev"),
    # quantities at the BIGINT limit are rated and billed exactly
    Case("huge-ingress", {"organization_id": "org-huge-ingress", "quantity": BIGINT_MAX}, RATED),
    *(
        Case(
            f"huge-twice-{day}",
            {
                "organization_id": "org-huge-twice",
                "quantity": BIGINT_MAX,
                "hour_start": hour(day),
                "emitted_at": hour(day, 1),
            },
            RATED,
        )
        for day in (2, 3)
    ),
    Case(
        "huge-retained",
        {"organization_id": "org-huge-retained", "meter": "retained_bytes", "quantity": BIGINT_MAX},
        RATED,
    ),
    Case(
        "huge-egress",
        {"organization_id": "org-huge-egress", "meter": "egress_bytes", "quantity": BIGINT_MAX},
        RATED,
    ),
    # unicode, very long and SQL-looking ids are ordinary data
    *(
        Case(
            f"unicode-{name}",
            {"organization_id": org, "instance_id": f"inst-{org}", "event_id": f"evt-{org}"},
            RATED,
        )
        for name, org in UNICODE_ORGS.items()
    ),
    Case(
        "long-ids",
        {"organization_id": LONG_ID, "instance_id": "i" + LONG_ID[1:], "event_id": "e" + LONG_ID},
        RATED,
    ),
    *(
        Case(
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
    Case("formula-org", {"organization_id": '=HYPERLINK("x")'}, RATED),
    Case("odd-file-name", {}, RATED, files=("odd",)),
    Case(
        "copied-file",
        {"quantity": 7 * GIB},
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
        organization_id="org-1970",
        instance_id="stray-1970",
        event_id="stray-1970",
        hour_start=dt.datetime(1970, 1, 1, tzinfo=dt.UTC),
        emitted_at=dt.datetime(1970, 1, 1, 1, tzinfo=dt.UTC),
    ),
    # a prepaid instance running in 1970, a month no capacity spec sizes
    usage_row(
        organization_id="org-1970",
        instance_id="stray-1970-prepaid",
        event_id="stray-1970-prepaid",
        pricing_mode="prepaid",
        cluster_tier=None,
        hour_start=dt.datetime(1970, 1, 1, tzinfo=dt.UTC),
        emitted_at=dt.datetime(1970, 1, 1, 1, tzinfo=dt.UTC),
        meter="uptime_seconds",
        quantity=3600,
    ),
]
PREPAID = {"organization_id": "org-prepaid", "pricing_mode": "prepaid", "cluster_tier": None}
PREPAID_ROWS = [
    usage_row(
        event_id="w",
        instance_id="peaks",
        meter="write_peak_bytes_per_s",
        quantity=BIGINT_MAX,
        **PREPAID,
    ),
    usage_row(
        event_id="r",
        instance_id="peaks",
        meter="read_peak_bytes_per_s",
        quantity=BIGINT_MAX,
        **PREPAID,
    ),
    usage_row(event_id="u", instance_id="peaks", meter="uptime_seconds", quantity=3600, **PREPAID),
    # a stopped prepaid instance (uptime 0) needs no capacity
    usage_row(event_id="s", instance_id="stopped", meter="uptime_seconds", quantity=0, **PREPAID),
]
FILE_NAMES = {
    "main": "month=2026-10/main.parquet",
    "odd": "it's;odd [1].parquet",
    "copy-1": "copies/export-0001.parquet",
    "copy-2": "copies/export-0001 (copy).parquet",
}
ALLOCATION = {
    "license_id": "lic-0",
    "environment_id": "env-a",
    "aku_allocated": 2,
    "valid_from": hour(1),
    "valid_to": None,
}


def write_fixture_landing(landing: Path) -> None:
    by_file: dict[str, list[dict]] = {name: [] for name in FILE_NAMES}
    for case in CASES:
        for name in case.files:
            by_file[name].append(case.row)
    by_file["main"] += OTHER_MONTH_ROWS + PREPAID_ROWS
    for name, rows in by_file.items():
        write_rows(landing / "usage_events" / FILE_NAMES[name], rows)
    licences = [
        licence_row(license_id=f"lic-{i}", product_secret=s) for i, s in enumerate([*SECRETS, None])
    ]
    write_rows(landing / "licenses" / "licences.parquet", licences, LICENSE_SCHEMA)
    allocations = [
        ALLOCATION,
        ALLOCATION,
        {**ALLOCATION, "aku_allocated": -1, "environment_id": "env-b"},
    ]
    write_rows(landing / "license_allocations" / "a.parquet", allocations, ALLOCATION_SCHEMA)
    # both copies of the copied export are byte-identical
    assert (landing / "usage_events" / FILE_NAMES["copy-1"]).read_bytes() == (
        landing / "usage_events" / FILE_NAMES["copy-2"]
    ).read_bytes()


@dataclass
class ClosedFixture:
    root: Path
    landing: Path
    warehouse: Path
    folder: Path
    result: object
    con: duckdb.DuckDBPyConnection

    def table(self, name: str) -> list[dict]:
        return pq.read_table(self.folder / f"{name}.parquet").to_pylist()


@pytest.fixture(scope="session")
def closed(tmp_path_factory) -> ClosedFixture:
    root = tmp_path_factory.mktemp("data_tier")
    landing = root / "landing"
    write_fixture_landing(landing)
    options = CloseOptions(
        month=dt.date(2026, 10, 1),
        landing=landing,
        output=root / "output",
        warehouse=root / "wh" / "billing.duckdb",
        project_dir=REPO,
        documents=False,
    )
    # this close takes the path of a landing too large for the validation worker beside dbt:
    # the landing suites run after the build (the e2e closes run them beside it)
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(close_run, "WORKER_BESIDE_DBT_MAX_ROWS", 0)
        result = run_close(options)
    results = (result.folder / "validation" / "results.json").read_text("utf-8")
    assert '"usage_events_files"' in results, "the landing suites ran after the build"
    con = duckdb.connect(str(options.warehouse), read_only=True)
    con.execute("set TimeZone = 'UTC'")
    yield ClosedFixture(root, landing, options.warehouse, result.folder, result, con)
    con.close()


__all__ = ["CASES", "pa"]
