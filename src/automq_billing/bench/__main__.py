"""`python -m automq_billing.bench --scenario small|scale|history|documents|engines [--rows N]`
(`make bench BENCH=... ROWS=...`): times real closes against the engine floor (one DuckDB query
for the same totals, same settings, same run), with the peak memory of each process tree, and
writes `bench/results/<scenario>-<rows>.json` and, from every result there, the README's
benchmark table.

- small: one month of ROWS rows (default 1,000,000): the close and the floor.
- scale: the same at scale (e.g. ROWS=50000000).
- history: twelve months of ROWS rows each (default 4,000,000; 2026-01 to 2026-12 by default),
  landed, closed and issued month after month, then: the last month's close against a close of
  a landing holding that month alone; a re-close with no new file; a late file of 100,000 rows
  for the ninth month (issued: the close books its corrections) and a close.
- documents: a landing of about --orgs organizations (default 1,000; 14,000 rows each) for one
  month: the close, a
  re-close with nothing new, and finalize (which typesets every issued statement's PDF).
- engines: one month of 1,000,000 and of 10,000,000 rows (or ROWS rows) closed on DuckDB and on
  Spark (SPEC 11), in one run.
Closes run as users run them, documents included; the table shows each close's stages (load, dbt,
suites, exports, documents).
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from pathlib import Path

from automq_billing.bench.measure import machine_info
from automq_billing.bench.readme import update_readme
from automq_billing.bench.scenarios import documents, history, single_month
from automq_billing.errors import BillingError
from automq_billing.months import parse_month
from automq_billing.paths import repository_root

ENGINE_ROWS = (1_000_000, 10_000_000)  # the engines scenario's sizes (SPEC 11, issue 19)


def _log(message: str) -> None:
    print(f"[bench {time.strftime('%H:%M:%S')}] {message}", file=sys.stderr, flush=True)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m automq_billing.bench", description=__doc__)
    parser.add_argument(
        "--scenario",
        choices=["small", "scale", "history", "documents", "engines"],
        default="small",
    )
    parser.add_argument("--rows", type=int, help="rows per month (see the scenarios)")
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--orgs", type=int, default=1000, help="organizations (documents)")
    parser.add_argument(
        "--month",
        help="the (last) month, YYYY-MM; default 2026-10, and 2026-12 for history, so that its "
        "twelve months fall under the default reference seeds (in force from 2026-01)",
    )
    parser.add_argument("--workdir", type=Path, default=Path("bench"))
    parser.add_argument("--project-dir", type=Path, default=repository_root())
    args = parser.parse_args(argv)
    month = parse_month(args.month or ("2026-12" if args.scenario == "history" else "2026-10"))
    workdir = args.workdir.resolve()
    if args.scenario == "history":
        rows = args.rows or 4_000_000
        report = history(args.project_dir, workdir, rows, args.seed, month, _log)
    elif args.scenario == "engines":  # 1 and 10 million rows in one run unless --rows says
        from automq_billing.bench.engines import engines

        status = 0
        for rows in [args.rows] if args.rows else list(ENGINE_ROWS):
            report = engines(args.project_dir, workdir, rows, args.seed, month, _log)
            status = max(status, _report(args, workdir, report, rows))
        return status
    elif args.scenario == "documents":
        rows = args.orgs
        report = documents(args.project_dir, workdir, rows, args.seed, month, _log)
    else:
        rows = args.rows or 1_000_000
        report = single_month(
            args.project_dir, workdir, rows, args.seed, month, _log, args.scenario
        )
    return _report(args, workdir, report, rows)


def _report(args: argparse.Namespace, workdir: Path, report: dict, rows: int) -> int:
    """Writes the scenario's result and the README's table; 0 when the totals matched."""
    report["machine"] = machine_info()
    report["measured_at"] = time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime())
    path = workdir / "results" / f"{args.scenario}-{rows}.json"
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(report, indent=2) + "\n")
    for line in report["summary"]:
        print(line)
    print(f"report: {path}")
    readme = args.project_dir / "README.md"
    if workdir == (args.project_dir / "bench").resolve() and update_readme(readme, path.parent):
        print(f"benchmark table updated in {readme}")
    return 0 if report.get("totals_match", True) else 1


if __name__ == "__main__":
    try:
        sys.exit(main())
    except BillingError as error:
        print(f"bench: error: {error}", file=sys.stderr)
        sys.exit(2)
