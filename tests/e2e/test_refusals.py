"""What the close and finalize refuse, and what they accept, as real processes (SPEC 1, 6, 8).

A refusal exits 2 with one clear message that names the file, column, path or month and says
"What to do", never a traceback, and writes nothing. Every run is the installed command by its
full path, from another folder, with a minimal environment (PATH=/usr/bin:/bin, no
AUTOMQ_BILLING_* variable; TMPDIR inside the test's temporary folder).

The whole closes are shared through one module fixture, `closes`: a landing at
`.../it's;here/land[1]/` (a quote, a semicolon and glob characters in its path, beside a
`land1/` holding other data) with extra columns named `source_file` and `file_row_number`, a
row dated 1970, a licence whose product secret is not UTF-8, a negative allocation, a non-Parquet
file and a broken symbolic link, closed once while a late file lands during the build (v1),
once more through `| head -n 1` (v2, which loads the late file), and a small landing closed for
December, whose only line is a subscription. The finalize tests work on copies of that output
folder.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import os
import re
import shutil
import subprocess
import time
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from decimal import Decimal
from pathlib import Path

import duckdb
import pyarrow as pa
import pyarrow.parquet as pq
import pytest
from cli_support import (
    MONTH,
    Finished,
    close_command,
    environment,
    loaded_files,
    run,
    start,
    tree,
)

from helpers import (
    ALLOCATION_SCHEMA,
    COMMAND,
    GIB,
    LICENSE_SCHEMA,
    USAGE_SCHEMA,
    assert_conservation,
    hour,
    licence_row,
    usage_row,
    write_rows,
    write_usage,
)

pytestmark = pytest.mark.e2e

SECRET = b"SECRETxK9Zq\xff\xfeTAILyP4w"  # not UTF-8 in the middle
SECRET_PIECES = [SECRET, b"SECRETxK9Zq", b"TAILyP4w"]  # whole, or decoded with replacements


# ---------------------------------------------------------------------------------------------
# Running the command


class Runner:
    """Runs commands from a folder that is not the project, in a minimal environment."""

    def __init__(self, root: Path) -> None:
        self.cwd = root / "elsewhere"
        self.env = environment(root / "tmp")

    def __call__(self, *args: str | Path, timeout: float = 300) -> Finished:
        return run([str(COMMAND), *map(str, args)], self.cwd, self.env, timeout)

    def close(self, landing: Path, output: Path, warehouse: Path, month: str = MONTH, **kw):
        return run(close_command(landing, output, warehouse, month=month), self.cwd, self.env, **kw)


def assert_refused(result: Finished, *names: str) -> None:
    """Exit 2, one message naming each of `names`, a "What to do", no traceback."""
    assert not result.stopped, f"not refused in time ({result.seconds:.0f}s)"
    assert result.returncode == 2, result.text
    assert "What to do:" in result.stderr, result.text
    assert "Traceback" not in result.text, result.text
    assert result.stderr.count("error:") == 1, result.stderr
    for name in names:
        assert str(name) in result.stderr, f"{name!r} not named in:\n{result.stderr}"


def assert_wrote_nothing(output: Path, warehouse: Path) -> None:
    assert not output.exists(), tree(output)
    assert loaded_files(warehouse) in (None, [])


def invalid_utf8(values: list[bytes]) -> pa.Array:
    binary = pa.array(values, pa.binary())
    return pa.Array.from_buffers(pa.string(), len(values), binary.buffers())


def uptime_rows(organization: str, hours: int, day: int, prefix: str) -> list[dict]:
    return [
        usage_row(
            event_id=f"{prefix}-{i}",
            organization_id=organization,
            instance_id=f"inst-{organization}",
            meter="uptime_seconds",
            quantity=3600,
            hour_start=hour(day, i),
            emitted_at=hour(day, i + 1),
        )
        for i in range(hours)
    ]


def small_landing(landing: Path) -> Path:
    write_usage(landing / "usage_events" / "good.parquet", uptime_rows("org-a", 2, 1, "good"))
    return landing


def statements(folder: Path) -> dict[str, Decimal]:
    table = pq.read_table(folder / "statements.parquet")
    return {row["organization_id"]: row["total_amount"] for row in table.to_pylist()}


def landed_parquet(landing: Path) -> dict[str, str]:
    """The regular *.parquet files of a landing, relative path -> sha256."""
    return {
        path.relative_to(landing).as_posix(): hashlib.sha256(path.read_bytes()).hexdigest()
        for path in landing.rglob("*.parquet")
        if path.is_file()
    }


# ---------------------------------------------------------------------------------------------
# The shared closes


@dataclass
class Closes:
    root: Path
    landing: Path
    neighbour: Path
    output: Path
    december_output: Path
    warehouse: Path
    runner: Runner
    listed: dict[str, str]  # the landing's files when v1 started
    late: str
    v1: Finished
    v2_status: int
    v2_stdout: str
    v2_stderr: str
    december: Finished

    @property
    def v1_folder(self) -> Path:
        return self.output / MONTH / "v1"

    @property
    def v2_folder(self) -> Path:
        return self.output / MONTH / "v2"


def _with_extra_column(path: Path, name: str, value, day: int) -> None:
    rows = [
        usage_row(event_id=f"{name}-ok", hour_start=hour(day), emitted_at=hour(day, 1)),
        usage_row(
            event_id=f"{name}-bad", meter="bogus", hour_start=hour(day), emitted_at=hour(day, 1)
        ),
    ]
    table = pa.Table.from_pylist(rows, schema=USAGE_SCHEMA)
    pq.write_table(table.append_column(name, pa.array([value, value])), path)


def _write_base_landing(landing: Path, neighbour: Path) -> dict[str, str]:
    usage = landing / "usage_events"
    # org-a: 3 pro hours (3 x 0.40) and 10 GiB of ingress (10 x 0.05) = 1.70
    write_usage(
        usage / "2026" / "10" / "part-0.parquet",
        uptime_rows("org-a", 3, 2, "up") + [usage_row(event_id="in-1", quantity=10 * GIB)],
    )
    _with_extra_column(usage / "extra_source_file.parquet", "source_file", "../../etc/passwd", 4)
    _with_extra_column(usage / "extra_row_number.parquet", "file_row_number", 999, 5)
    # a row dated 1970: a month no rate card prices
    epoch = dt.datetime(1970, 1, 1, tzinfo=dt.UTC)
    write_usage(
        usage / "epoch.parquet",
        [
            usage_row(
                event_id="epoch",
                organization_id="org-old",
                hour_start=epoch,
                emitted_at=epoch + dt.timedelta(hours=1),
            )
        ],
    )
    # a prepaid instance running in January 1971: a month no capacity spec sizes
    write_usage(
        usage / "epoch-prepaid.parquet",
        [
            usage_row(
                event_id="epoch-prepaid",
                organization_id="org-old",
                instance_id="old-prepaid",
                pricing_mode="prepaid",
                cluster_tier=None,
                meter="uptime_seconds",
                quantity=3600,
                hour_start=dt.datetime(1971, 1, 1, tzinfo=dt.UTC),
                emitted_at=dt.datetime(1971, 1, 1, 1, tzinfo=dt.UTC),
            )
        ],
    )
    (usage / "README.txt").write_text("exports of October\n")
    os.symlink(landing.parent / "nowhere" / "gone.parquet", usage / "gone.parquet")
    # a licence whose product secret is not UTF-8: 2 AKU monthly at list price 120 = 240.00
    table = pa.Table.from_pylist([licence_row(product_secret="placeholder")], schema=LICENSE_SCHEMA)
    index = table.schema.get_field_index("product_secret")
    table = table.set_column(index, "product_secret", invalid_utf8([SECRET]))
    (landing / "licenses").mkdir()
    pq.write_table(table, landing / "licenses" / "secret.parquet")
    write_rows(
        landing / "license_allocations" / "allocations.parquet",
        [
            {
                "license_id": "lic-1",
                "environment_id": "env-p",
                "aku_allocated": -2,
                "valid_from": hour(1),
                "valid_to": hour(5),
            }
        ],
        ALLOCATION_SCHEMA,
    )
    # the neighbour whose name the glob `land[1]` matches, with a file of the same name
    write_usage(
        neighbour / "usage_events" / "2026" / "10" / "part-0.parquet",
        uptime_rows("org-z", 5, 3, "z"),
    )
    write_usage(neighbour / "usage_events" / "z.parquet", uptime_rows("org-z2", 1, 3, "z2"))
    return landed_parquet(landing)


def _december_landing(landing: Path) -> Path:
    """A licence starting in December and usage only in October: December's only line is the
    subscription (2 AKU monthly at list price = 240.00)."""
    small_landing(landing)
    write_rows(
        landing / "licenses" / "december.parquet",
        [
            licence_row(
                license_id="lic-dec",
                organization_id="org-sub",
                start_date=dt.date(2026, 12, 1),
                end_date=dt.date(2027, 1, 1),
            )
        ],
        LICENSE_SCHEMA,
    )
    return landing


def through_pipe(
    runner: Runner, folder: Path, reader: str, command: list[str]
) -> tuple[int, str, str]:
    """Runs `command | reader` in a shell: (the command's exit status, what the reader printed,
    the command's stderr)."""
    folder.mkdir(parents=True, exist_ok=True)
    status, errors = folder / "status", folder / "stderr"
    script = f's=$1 e=$2; shift 2; {{ "$@" 2>"$e"; echo $? >"$s"; }} | {reader}'
    shell = subprocess.run(
        ["/bin/sh", "-c", script, "sh", str(status), str(errors), *command],
        cwd=runner.cwd,
        env=runner.env,
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
    assert shell.returncode == 0, shell.stderr
    return int(status.read_text()), shell.stdout, errors.read_text()


@pytest.fixture(scope="module")
def closes(tmp_path_factory) -> Closes:
    root = tmp_path_factory.mktemp("closes")
    top = root / "it's;here"
    landing, neighbour = top / "land[1]", top / "land1"
    listed = _write_base_landing(landing, neighbour)
    output, warehouse = root / "output", root / "warehouse" / "billing.duckdb"
    runner = Runner(root)
    late = "usage_events/late.parquet"
    # December closes on its own warehouse, side by side with v1
    december_landing = _december_landing(root / "december-landing")
    december_output = root / "december-output"
    with ThreadPoolExecutor(max_workers=1) as pool:
        december = pool.submit(
            runner.close,
            december_landing,
            december_output,
            root / "december-warehouse" / "b.duckdb",
            "2026-12",
        )

        # v1, with a file landing while dbt builds
        started = time.monotonic()
        process = start(close_command(landing, output, warehouse), runner.cwd, runner.env)
        seen = []
        assert process.stderr is not None
        for line in process.stderr:
            seen.append(line)
            if "Building and testing" in line:
                write_usage(landing / late, uptime_rows("org-late", 2, 6, "late"))
                break
        stdout, stderr = process.communicate(timeout=300)
        v1 = Finished(
            process.returncode, stdout, "".join(seen) + stderr, time.monotonic() - started
        )
        assert (landing / late).is_file(), v1.text
        # v2, through a pipe whose reader stops after one line
        v2_status, v2_stdout, v2_stderr = through_pipe(
            runner, root / "v2", "head -n 1", close_command(landing, output, warehouse)
        )
        return Closes(
            root=root,
            landing=landing,
            neighbour=neighbour,
            output=output,
            december_output=december_output,
            warehouse=warehouse,
            runner=runner,
            listed=listed,
            late=late,
            v1=v1,
            v2_status=v2_status,
            v2_stdout=v2_stdout,
            v2_stderr=v2_stderr,
            december=december.result(),
        )


def test_the_base_close_succeeds(closes):
    assert closes.v1.returncode == 0, closes.v1.text
    assert (closes.v1_folder / "manifest.json").is_file()
    assert_conservation(json.loads((closes.v1_folder / "manifest.json").read_text()))


# 2. glob characters, a quote and a semicolon in the landing path


def test_a_landing_path_with_glob_characters_bills_exactly_its_own_files(closes):
    assert closes.v1.returncode == 0, closes.v1.text
    manifest = json.loads((closes.v1_folder / "manifest.json").read_text())
    inputs = {entry["path"]: entry["sha256"] for entry in manifest["inputs"]}
    assert inputs == closes.listed  # land[1]'s files, none of land1's, not the late one
    assert manifest["paths"]["landing"] == str(closes.landing)
    # what land[1] alone gives: org-a 1.70 (usage) and org-prepaid 240.00 (subscription)
    assert statements(closes.v1_folder) == {
        "org-a": Decimal("1.70"),
        "org-prepaid": Decimal("240.00"),
    }
    assert manifest["totals"]["total_amount"] == "241.70"


# 3. a file that lands during the close


def test_a_file_landing_during_the_build_is_left_for_the_next_close(closes):
    v1 = json.loads((closes.v1_folder / "manifest.json").read_text())
    assert closes.late not in {entry["path"] for entry in v1["inputs"]}
    assert "org-late" not in statements(closes.v1_folder)
    assert closes.v2_status == 0, closes.v2_stderr
    v2 = json.loads((closes.v2_folder / "manifest.json").read_text())
    late = [entry for entry in v2["inputs"] if entry["path"] == closes.late]
    assert len(late) == 1 and late[0]["load_id"] > v1["inputs"][0]["load_id"]
    assert statements(closes.v2_folder)["org-late"] == Decimal("0.80")
    assert_conservation(v2)


# 10. `close | head -n 1`


def test_a_close_whose_reader_stops_early_still_publishes_and_exits_0(closes):
    assert closes.v2_status == 0, closes.v2_stderr
    assert closes.v2_stdout == f"Closed {MONTH} as v2: {closes.v2_folder}\n"
    assert (closes.v2_folder / "manifest.json").is_file()
    assert "Traceback" not in closes.v2_stderr and "Exception ignored" not in closes.v2_stderr
    assert not [p for p in closes.output.iterdir() if p.name.startswith(".")]


# 4. extra columns named like the load's own columns


def test_extra_columns_named_source_file_or_file_row_number_are_ignored(closes):
    assert closes.v1.returncode == 0, closes.v1.text
    quarantine = pq.read_table(closes.v1_folder / "quarantine.parquet").to_pylist()
    found = {(row["source_file"], row["file_row_number"], row["reason"]) for row in quarantine}
    assert found == {
        ("usage_events/extra_source_file.parquet", 1, "unknown_meter"),
        ("usage_events/extra_row_number.parquet", 1, "unknown_meter"),
    }
    manifest = json.loads((closes.v1_folder / "manifest.json").read_text())
    assert manifest["usage_events"]["rows"]["landed"] == 8
    assert manifest["usage_events"]["rows"]["quarantined"] == {"unknown_meter": 2}


# 5. the product secret goes nowhere


def test_a_product_secret_that_is_not_utf8_appears_nowhere(closes):
    assert closes.v1.returncode == 0, closes.v1.text
    dbt_files = closes.warehouse.parent / ".dbt"
    for expected in (
        dbt_files / "dbt-run.jsonl",
        dbt_files / "target" / "run_results.json",
        dbt_files / "target" / "compiled",
        closes.warehouse,
    ):
        assert expected.exists(), expected
    streams = [
        closes.v1.stdout,
        closes.v1.stderr,
        closes.v2_stdout,
        closes.v2_stderr,
        closes.december.text,
    ]
    for text in streams:
        for piece in SECRET_PIECES[1:]:
            assert piece.decode() not in text
    searched = 0
    for folder in (closes.output, closes.warehouse.parent, closes.runner.env["TMPDIR"]):
        for path in Path(folder).rglob("*"):
            if path.is_file() and not path.is_symlink():
                data = path.read_bytes()
                searched += 1
                for piece in SECRET_PIECES:
                    assert piece not in data, f"{piece!r} is in {path}"
    assert searched > 20
    # what the warehouse keeps is the sha256 of the secret's bytes
    with duckdb.connect(str(closes.warehouse), read_only=True) as con:
        hashes = con.execute(
            "select product_secret_sha256 from marts.dim_licenses where license_id = 'lic-1'"
        ).fetchall()
    assert hashes == [(hashlib.sha256(SECRET).hexdigest(),)]


# 6 (accepted). a non-Parquet file and a broken symbolic link are warnings


def test_a_non_parquet_file_and_a_broken_link_are_warnings_listed_by_the_close(closes):
    assert closes.v1.returncode == 0, closes.v1.text
    readme = closes.landing / "usage_events" / "README.txt"
    link = closes.landing / "usage_events" / "gone.parquet"
    summary = [line for line in closes.v1.stdout.splitlines() if "warning:" in line]
    assert any(str(readme) in line for line in summary), closes.v1.stdout
    assert any(str(link) in line for line in summary), closes.v1.stdout
    manifest = json.loads((closes.v1_folder / "manifest.json").read_text())
    assert any(str(readme) in warning for warning in manifest["warnings"])
    assert any(str(link) in warning for warning in manifest["warnings"])


# 9. a negative allocation is reported, never blocking


def test_a_negative_allocation_is_reported_as_invalid_allocation(closes):
    assert closes.v1.returncode == 0, closes.v1.text
    rows = pq.read_table(closes.v1_folder / "license_compliance.parquet").to_pylist()
    invalid = [row for row in rows if row["kind"] == "invalid_allocation"]
    assert [(r["license_id"], r["environment_id"], r["allocated_aku"]) for r in invalid] == [
        ("lic-1", "env-p", -2)
    ]
    manifest = json.loads((closes.v1_folder / "manifest.json").read_text())
    assert manifest["license_compliance"].get("invalid_allocation") == 1


# 8. a month with only a subscription


def test_a_month_with_only_a_subscription_can_be_closed(closes):
    assert closes.december.returncode == 0, closes.december.text
    lines = pq.read_table(
        closes.december_output / "2026-12" / "v1" / "statement_lines.parquet"
    ).to_pylist()
    assert [(r["line_type"], r["license_id"], r["amount"]) for r in lines] == [
        ("subscription", "lic-dec", Decimal("240.00"))
    ]


def test_a_month_with_no_data_is_refused_before_dbt(tmp_path):
    runner = Runner(tmp_path)
    landing = small_landing(tmp_path / "landing")
    output, warehouse = tmp_path / "output", tmp_path / "warehouse" / "b.duckdb"
    result = runner.close(landing, output, warehouse, "2026-09", timeout=60)
    assert_refused(result, "2026-09", landing)
    assert result.seconds < 10
    assert "dbt build" not in result.stderr
    assert not output.exists()


# 9. a row dated 1970 (in the base landing)


def test_a_row_dated_1970_does_not_block_closing_october(closes):
    assert closes.v1.returncode == 0, closes.v1.text
    manifest = json.loads((closes.v1_folder / "manifest.json").read_text())
    assert "usage_events/epoch.parquet" in {entry["path"] for entry in manifest["inputs"]}
    assert "org-old" not in statements(closes.v1_folder)


def test_closing_1970_is_refused_naming_the_rate_card_seed(closes, tmp_path):
    output = tmp_path / "output"
    result = closes.runner.close(closes.landing, output, closes.warehouse, "1970-01", timeout=300)
    assert_refused(result, "1970-01", "seeds/rate_card")
    assert not output.exists()


def test_closing_a_month_no_capacity_spec_sizes_is_refused_naming_the_seed(closes, tmp_path):
    output = tmp_path / "output"
    result = closes.runner.close(closes.landing, output, closes.warehouse, "1971-01", timeout=300)
    assert_refused(result, "1971-01", "seeds/aku_capacity_specs.csv", "1 prepaid instance-hour")
    assert not output.exists()


# ---------------------------------------------------------------------------------------------
# 1. validate --docs must not overlap the landing


@pytest.mark.parametrize("docs", ["holding the landing", "inside the landing"])
def test_validate_refuses_a_docs_folder_overlapping_the_landing(tmp_path, docs):
    runner = Runner(tmp_path)
    folder = tmp_path / "x"
    landing = small_landing(folder / "landing")
    (landing / "sub").mkdir()
    before = tree(folder)
    target = folder if docs == "holding the landing" else landing / "sub"
    result = runner("validate", "--landing", landing, "--docs", target, timeout=60)
    assert_refused(result, target, landing)
    assert tree(folder) == before  # same files, same sha256, nothing added


# ---------------------------------------------------------------------------------------------
# 6. bad landed files: refused before dbt, naming the file and the column


def _usage_table(**overrides) -> pa.Table:
    return pa.Table.from_pylist([usage_row(**overrides)], schema=USAGE_SCHEMA)


def _replace(table: pa.Table, name: str, array: pa.Array) -> pa.Table:
    return table.set_column(table.schema.get_field_index(name), name, array)


def _quantity_above_bigint(landing: Path) -> tuple[Path, str]:
    table = _replace(_usage_table(event_id="big"), "quantity", pa.array([2**63 + 5], pa.uint64()))
    path = landing / "usage_events" / "uint64.parquet"
    pq.write_table(table, path)
    return path, "quantity"


def _price_with_eight_decimals(landing: Path) -> tuple[Path, str]:
    index = LICENSE_SCHEMA.get_field_index("price_per_aku")
    schema = LICENSE_SCHEMA.set(index, pa.field("price_per_aku", pa.decimal128(20, 8)))
    path = landing / "licenses" / "price.parquet"
    write_rows(path, [licence_row(price_per_aku=Decimal("1.12345678"))], schema)
    return path, "price_per_aku"


def _price_above_decimal_18_6(landing: Path) -> tuple[Path, str]:
    index = LICENSE_SCHEMA.get_field_index("price_per_aku")
    schema = LICENSE_SCHEMA.set(index, pa.field("price_per_aku", pa.decimal128(38, 6)))
    path = landing / "licenses" / "price.parquet"
    write_rows(path, [licence_row(price_per_aku=Decimal("123456789012345.5"))], schema)
    return path, "price_per_aku"


def _organization_not_utf8(landing: Path) -> tuple[Path, str]:
    table = _replace(_usage_table(event_id="bad-org"), "organization_id", invalid_utf8([b"o\xff"]))
    path = landing / "usage_events" / "org.parquet"
    pq.write_table(table, path)
    return path, "organization_id"


def _duplicated_column(landing: Path) -> tuple[Path, str]:
    table = _usage_table(event_id="dup")
    table = pa.Table.from_arrays(
        [*table.columns, table.column("meter")], names=[*table.column_names, "meter"]
    )
    path = landing / "usage_events" / "dup.parquet"
    pq.write_table(table, path)
    return path, "meter"


def _corrupt_page(landing: Path) -> tuple[Path, str]:
    """Bytes flipped in the middle of the first column chunk (event_id); the footer is intact."""
    path = landing / "usage_events" / "corrupt.parquet"
    rows = [
        usage_row(
            event_id=f"evt-{i:05d}-{'x' * 20}",
            hour_start=hour(1 + i % 28, i % 24),
            emitted_at=hour(1 + i % 28, i % 24) + dt.timedelta(hours=1),
        )
        for i in range(2000)
    ]
    write_usage(path, rows)
    chunk = pq.read_metadata(path).row_group(0).column(0)
    assert chunk.path_in_schema == "event_id"
    start, size = chunk.data_page_offset, chunk.total_compressed_size
    data = bytearray(path.read_bytes())
    for i in range(start + size // 2, start + size // 2 + 32):
        data[i] ^= 0xFF
    path.write_bytes(bytes(data))
    pq.read_metadata(path)  # the footer still reads
    return path, "event_id"


BAD_FILES = {
    "quantity above BIGINT": _quantity_above_bigint,
    "price with 8 decimals": _price_with_eight_decimals,
    "licence price above DECIMAL(18,6)": _price_above_decimal_18_6,
    "organization_id not UTF-8": _organization_not_utf8,
    "duplicated column name": _duplicated_column,
    "corrupt data page": _corrupt_page,
}


@dataclass
class BadFile:
    path: Path
    column: str
    output: Path
    warehouse: Path
    result: Finished


@pytest.fixture(scope="module")
def bad_files(tmp_path_factory) -> dict[str, BadFile]:
    """Every bad-file close, two at a time (each stops before dbt)."""
    root = tmp_path_factory.mktemp("bad-files")
    runner = Runner(root)
    cases = {}
    for index, (name, write) in enumerate(BAD_FILES.items()):
        landing = small_landing(root / f"case-{index}" / "landing")
        path, column = write(landing)
        cases[name] = (path, column, landing, root / f"case-{index}")
    with ThreadPoolExecutor(max_workers=3) as pool:
        futures = {
            name: pool.submit(
                runner.close, landing, base / "output", base / "warehouse" / "b.duckdb"
            )
            for name, (_, _, landing, base) in cases.items()
        }
        return {
            name: BadFile(
                path,
                column,
                base / "output",
                base / "warehouse" / "b.duckdb",
                futures[name].result(),
            )
            for name, (path, column, _, base) in cases.items()
        }


@pytest.mark.parametrize("case", [name for name in BAD_FILES if name != "corrupt data page"])
def test_a_bad_landed_file_is_refused_naming_the_file_and_the_column(bad_files, case):
    bad = bad_files[case]
    assert_refused(bad.result, bad.path, f"'{bad.column}'")
    assert "nothing was written" in bad.result.stderr
    assert "dbt build" not in bad.result.stderr
    assert_wrote_nothing(bad.output, bad.warehouse)


def test_a_corrupt_data_page_is_refused_naming_the_file(bad_files):
    bad = bad_files["corrupt data page"]
    assert_refused(bad.result, bad.path)
    assert "dbt build" not in bad.result.stderr
    assert_wrote_nothing(bad.output, bad.warehouse)


def test_a_corrupt_data_page_is_refused_naming_the_column(bad_files):
    """The flipped bytes break whichever column chunks they fall in: the message names the first
    column whose pages cannot be decoded."""
    bad = bad_files["corrupt data page"]
    assert_refused(bad.result, bad.path, "cannot be read (a corrupt data page")
    assert re.search(r"column '[a-z_]+' cannot be read", bad.result.stderr)


# ---------------------------------------------------------------------------------------------
# 7. paths that cannot work: refused in seconds, before dbt


@pytest.fixture
def paths(tmp_path):
    runner = Runner(tmp_path)
    landing = small_landing(tmp_path / "landing")
    return runner, landing, tmp_path


def test_an_output_that_is_a_file_is_refused(paths):
    runner, landing, root = paths
    output = root / "output"
    output.write_text("not a folder")
    warehouse = root / "warehouse" / "b.duckdb"
    result = runner.close(landing, output, warehouse, timeout=30)
    assert_refused(result, output, "--output")
    assert result.seconds < 10
    assert output.read_text() == "not a folder"
    assert loaded_files(warehouse) is None


def close_until_dbt(runner: Runner, *args: Path) -> Finished:
    """Runs a close that should be refused before dbt: killed (and reported as stopped) as
    soon as it starts building instead."""
    started = time.monotonic()
    process = start(close_command(*args), runner.cwd, runner.env)
    assert process.stderr is not None
    seen = []
    for line in process.stderr:
        seen.append(line)
        if "Building and testing" in line:
            process.kill()
            break
    stdout, stderr = process.communicate(timeout=60)
    seconds = time.monotonic() - started
    building = any("Building and testing" in line for line in seen)
    return Finished(process.returncode, stdout, "".join(seen) + stderr, seconds, 0, building)


@pytest.fixture(scope="module")
def blocked_outputs(tmp_path_factory) -> dict[str, tuple[Path, Finished]]:
    """A close whose output holds a file where `2026-10` or `2026-10/v1` belongs; stopped if it
    starts dbt instead of refusing."""
    root = tmp_path_factory.mktemp("blocked")
    runner = Runner(root)
    landing = small_landing(root / "landing")
    blocked = {}
    for name in ("2026-10", "2026-10/v1"):
        base = root / name.replace("/", "-")
        (base / "output" / name).parent.mkdir(parents=True)
        (base / "output" / name).write_text("in the way")
        blocked[name] = (
            base / "output",
            close_until_dbt(runner, landing, base / "output", base / "wh" / "b.duckdb"),
        )
    return blocked


@pytest.mark.parametrize("blocked", ["2026-10", "2026-10/v1"])
def test_a_file_where_the_month_or_version_folder_belongs_is_refused_in_seconds(
    blocked_outputs, blocked
):
    output, result = blocked_outputs[blocked]
    assert (output / blocked).read_text() == "in the way"
    assert not result.stopped, "not refused before dbt: the close started building"
    assert_refused(result, output / blocked)
    assert result.seconds < 10


def test_a_read_only_output_folder_is_refused(paths):
    runner, landing, root = paths
    output = root / "output"
    output.mkdir()
    output.chmod(0o555)
    try:
        if os.access(output, os.W_OK):
            pytest.skip("this user (root) can write a 0o555 folder")
        result = runner.close(landing, output, root / "warehouse" / "b.duckdb", timeout=30)
        assert_refused(result, output)
        assert result.seconds < 10
        assert list(output.iterdir()) == []
    finally:
        output.chmod(0o755)


def test_a_warehouse_held_open_by_another_process_is_refused(paths):
    runner, landing, root = paths
    warehouse = root / "warehouse" / "b.duckdb"
    warehouse.parent.mkdir()
    holder = subprocess.Popen(
        [
            str(COMMAND.parent / "python"),
            "-c",
            "import sys, time, duckdb; con = duckdb.connect(sys.argv[1]); "
            "print('ready', flush=True); time.sleep(120)",
            str(warehouse),
        ],
        stdout=subprocess.PIPE,
        text=True,
        env={"PATH": "/usr/bin:/bin"},
    )
    try:
        assert holder.stdout is not None and holder.stdout.readline().strip() == "ready"
        output = root / "output"
        result = runner.close(landing, output, warehouse, timeout=30)
        assert_refused(result, warehouse, "another process")
        assert result.seconds < 10
        assert not output.exists()
    finally:
        holder.kill()
        holder.wait()


def test_a_warehouse_path_that_is_a_folder_is_refused(paths):
    runner, landing, root = paths
    warehouse = root / "warehouse"
    warehouse.mkdir()
    output = root / "output"
    result = runner.close(landing, output, warehouse, timeout=30)
    assert_refused(result, warehouse, "--warehouse")
    assert result.seconds < 10
    assert list(warehouse.iterdir()) == []
    assert not output.exists()


# ---------------------------------------------------------------------------------------------
# 11. finalize and status


def _copy_output(closes: Closes, destination: Path, *months: tuple[Path, str]) -> Path:
    """A copy of the base output folder (2026-10 v1 and v2) plus the named month folders."""
    assert closes.v1.returncode == 0 and closes.v2_status == 0
    shutil.copytree(closes.output, destination)
    for source, month in months:
        shutil.copytree(source / month, destination / month)
    return destination


def _finalize(closes: Closes, output: Path, month: str = MONTH, *extra: str) -> Finished:
    return closes.runner("finalize", "--month", month, "--output", output, *extra, timeout=60)


def test_finalize_refuses_an_unknown_version(closes, tmp_path):
    output = _copy_output(closes, tmp_path / "output")
    result = _finalize(closes, output, MONTH, "--version", "9")
    assert_refused(result, MONTH, "v9")
    assert not (output / MONTH / "final.json").exists()


def test_finalize_refuses_a_tampered_version(closes, tmp_path):
    output = _copy_output(closes, tmp_path / "output")
    csv = output / MONTH / "v1" / "statements.csv"
    data = bytearray(csv.read_bytes())
    data[len(data) // 2] ^= 0x01
    csv.write_bytes(bytes(data))
    result = _finalize(closes, output, MONTH, "--version", "1")
    assert_refused(result, "statements.csv", "v1")
    assert not (output / MONTH / "final.json").exists()


def test_finalize_refuses_a_month_already_final_and_status_lists_it(closes, tmp_path):
    output = _copy_output(closes, tmp_path / "output", (closes.december_output, "2026-12"))
    first = _finalize(closes, output)
    assert first.returncode == 0, first.text
    final = output / MONTH / "final.json"
    issued = final.read_bytes()
    assert json.loads(issued)["version"] == 2
    again = _finalize(closes, output, MONTH, "--version", "1")
    assert_refused(again, MONTH, "already final")
    assert final.read_bytes() == issued
    status = closes.runner("status", "--output", output, timeout=60)
    assert status.returncode == 0, status.text
    lines = status.stdout.splitlines()
    october = next(line for line in lines if line.strip().startswith(MONTH))
    assert "final: v2" in october and "v1 241.70 USD" in october and "v2 FINAL 242.50" in october
    december = next(line for line in lines if line.strip().startswith("2026-12"))
    assert "open (draft)" in december and "v1 240.00 USD" in december
    # December was closed before October was issued: its corrections are stale now
    stale = _finalize(closes, output, "2026-12")
    assert_refused(stale, "2026-12", "stale")
    assert not (output / "2026-12" / "final.json").exists()


def test_finalize_refuses_while_an_earlier_month_has_a_draft_not_final(closes, tmp_path):
    output = _copy_output(closes, tmp_path / "output", (closes.december_output, "2026-12"))
    result = _finalize(closes, output, "2026-12")
    assert_refused(result, "2026-12", MONTH)
    assert not (output / "2026-12" / "final.json").exists()


def test_finalize_refuses_a_month_when_a_later_month_is_final(closes, tmp_path):
    # December issued while October had no version there; October's drafts restored afterwards
    output = tmp_path / "output"
    shutil.copytree(closes.december_output, output)
    assert _finalize(closes, output, "2026-12").returncode == 0
    shutil.copytree(closes.output / MONTH, output / MONTH)
    result = _finalize(closes, output)
    assert_refused(result, MONTH, "2026-12")
    assert not (output / MONTH / "final.json").exists()


def test_finalize_whose_reader_has_gone_issues_the_month_and_exits_0(closes, tmp_path):
    output = _copy_output(closes, tmp_path / "output")
    status, _, stderr = through_pipe(
        closes.runner,
        tmp_path / "pipe",
        "true",
        [str(COMMAND), "finalize", "--month", MONTH, "--output", str(output)],
    )
    assert (output / MONTH / "final.json").is_file(), stderr
    assert status == 0 and "BrokenPipeError" not in stderr, stderr


def test_status_of_an_output_folder_exits_0(closes):
    result = closes.runner("status", "--output", closes.output, timeout=60)
    assert result.returncode == 0, result.text
    assert f"{MONTH}  open (draft)  |  v1 241.70 USD; v2 242.50 USD" in result.stdout
