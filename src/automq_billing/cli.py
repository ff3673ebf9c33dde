"""`automq-billing`: the command line. Thin: it parses, resolves paths and calls the library."""

from __future__ import annotations

import argparse
import os
import shutil
import signal
import sys
from collections.abc import Sequence
from pathlib import Path

from automq_billing import __version__
from automq_billing.errors import BillingError
from automq_billing.months import parse_month

EXIT_OK, EXIT_ERROR, EXIT_USAGE = 0, 1, 2


def _repository_root() -> Path | None:
    """The checkout this package was installed from (editable install), if it is one."""
    candidate = Path(__file__).resolve().parents[2]
    return candidate if (candidate / "dbt_project.yml").is_file() else None


def resolve_project_dir(given: str | None) -> Path:
    if given:
        project_dir = Path(given).expanduser().resolve()
    else:
        project_dir = _repository_root() or Path.cwd().resolve()
    if not (project_dir / "dbt_project.yml").is_file():
        raise BillingError(
            f"{project_dir} is not the billing project (no dbt_project.yml there).",
            hint="pass --project-dir pointing at a copy of the automq-billing repository",
        )
    return project_dir


def _path(given: str | None, env_name: str, default: Path) -> Path:
    """An explicit flag, else the environment variable, else the default under the project;
    relative paths are taken from the current folder. Always returned absolute."""
    value = given or os.environ.get(env_name)
    path = Path(value).expanduser() if value else default
    return path.resolve()


def _check_safe_path(path: Path, option: str) -> Path:
    text = str(path)
    if any(ch in text for ch in ("'", "\n", "\r", "\x00")):
        raise BillingError(
            f"{option} {text!r} contains a quote or a control character.",
            hint=f"use a {option} path without quotes or line breaks",
        )
    return path


def _progress(message: str) -> None:
    print(message, file=sys.stderr, flush=True)


def _cmd_close(args: argparse.Namespace) -> int:
    from automq_billing.close import CloseOptions, run_close
    from automq_billing.summary import print_close_summary

    month = parse_month(args.month)
    project_dir = resolve_project_dir(args.project_dir)
    options = CloseOptions(
        month=month,
        landing=_check_safe_path(
            _path(args.landing, "AUTOMQ_BILLING_LANDING", project_dir / "data" / "landing"),
            "--landing",
        ),
        output=_check_safe_path(
            _path(args.output, "AUTOMQ_BILLING_OUTPUT", project_dir / "output"), "--output"
        ),
        warehouse=_check_safe_path(
            _path(
                args.warehouse,
                "AUTOMQ_BILLING_WAREHOUSE",
                project_dir / "warehouse" / "billing.duckdb",
            ),
            "--warehouse",
        ),
        project_dir=_check_safe_path(project_dir, "--project-dir"),
    )
    result = run_close(options, progress=(lambda message: None) if args.quiet else _progress)
    print_close_summary(result)
    return EXIT_OK


def _cmd_validate(args: argparse.Namespace) -> int:
    from automq_billing.landing import landing_error, survey_landing
    from automq_billing.validation import ValidationReport, Validator, landing_suites

    project_dir = resolve_project_dir(args.project_dir)
    landing = _check_safe_path(
        _path(args.landing, "AUTOMQ_BILLING_LANDING", project_dir / "data" / "landing"),
        "--landing",
    )
    docs = _path(args.docs, "AUTOMQ_BILLING_VALIDATION_DOCS", project_dir / "validation")
    _progress(f"Validating the landing zone {landing}")
    files, problems = survey_landing(landing)
    with Validator() as validator:
        report = validator.run(landing_suites(files, landing)) if files else ValidationReport()
        shutil.rmtree(docs / "landing", ignore_errors=True)
        entry = validator.export(docs / "landing", report)
    print(
        f"{len(files)} file(s), {sum(f.rows for f in files):,} row(s); "
        f"{entry['expectations']} expectation(s) evaluated, {len(report.blocking)} blocking "
        f"failure(s), {len(report.warnings)} warning(s)"
    )
    for warning in report.warnings:
        print(f"  warning: {warning.describe()}")
    print(f"Data Docs: {docs / 'landing' / 'data_docs' / 'index.html'}")
    if problems or report.blocking:
        raise landing_error(
            landing, problems or [failure.describe() for failure in report.blocking]
        )
    print("The landing zone is ready for a close.")
    return EXIT_OK


def _cmd_generate(args: argparse.Namespace) -> int:
    import datetime as dt

    from automq_billing.demo import generate_landing
    from automq_billing.months import parse_month_range

    months = parse_month_range(args.months, "--months")
    if args.orgs < 1:
        raise BillingError(f"--orgs must be at least 1, got {args.orgs}.")
    as_of = None
    if args.as_of is not None:
        try:
            as_of = dt.date.fromisoformat(args.as_of)
        except ValueError:
            raise BillingError(
                f"--as-of must be a date written YYYY-MM-DD; got {args.as_of!r}.",
                hint="pass e.g. --as-of 2026-10-06 (the files landed by the end of that day, UTC)",
            ) from None
    out = Path(args.out).expanduser().resolve()
    try:
        summary = generate_landing(
            out,
            months,
            orgs=args.orgs,
            seed=args.seed,
            as_of=as_of,
            project_dir=resolve_project_dir(args.project_dir),
            progress=_progress,
        )
    except ValueError as error:
        raise BillingError(
            str(error),
            hint="generate into an empty folder, or into one written with the same --months, "
            "--orgs and --seed (a later --as-of adds the files landed since)",
        ) from error
    new = sum(f.new for f in summary.files)
    moment = f"as of {as_of}" if as_of else "in all"
    print(
        f"{len(summary.files)} file(s) landed {moment} under {out}: {new} new, "
        f"{len(summary.files) - new} already there; {summary.rows:,} usage rows"
    )
    return EXIT_OK


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="automq-billing",
        description="AutoMQ BYOC billing warehouse: monthly close and demo data.",
    )
    parser.add_argument("--version", action="version", version=f"%(prog)s {__version__}")
    commands = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")

    close = commands.add_parser(
        "close",
        help="build and test the warehouse, then freeze one month's statements",
        description="Reads the landing zone, runs `dbt build` (models and tests), and writes "
        "<output>/<YYYY-MM>/v<N>/ with statement_lines, statements (Parquet and CSV), "
        "quarantine.parquet and manifest.json, all or nothing.",
    )
    close.add_argument("--month", required=True, help="billing month, YYYY-MM (e.g. 2026-10)")
    close.add_argument(
        "--landing",
        help="landing root holding usage_events/ (env AUTOMQ_BILLING_LANDING; "
        "default <project-dir>/data/landing)",
    )
    close.add_argument(
        "--output",
        help="where closes are written (env AUTOMQ_BILLING_OUTPUT; default <project-dir>/output)",
    )
    close.add_argument(
        "--warehouse",
        help="DuckDB file (env AUTOMQ_BILLING_WAREHOUSE; "
        "default <project-dir>/warehouse/billing.duckdb)",
    )
    close.add_argument("--project-dir", help="the dbt project (default: this repository's root)")
    close.add_argument("--quiet", action="store_true", help="no progress lines, only the summary")
    close.set_defaults(handler=_cmd_close)

    validate = commands.add_parser(
        "validate",
        help="run the landing suites alone (Great Expectations), before a close",
        description="Checks every landed file (readable, required columns and types, rows, "
        "per-file summaries, a sample of rows) and writes Great Expectations Data Docs. "
        "Exit 0 when a close could start, 2 when a blocking expectation fails.",
    )
    validate.add_argument("--landing", help="landing root (as for close)")
    validate.add_argument(
        "--docs",
        help="where to write the results and Data Docs (default <project-dir>/validation)",
    )
    validate.add_argument("--project-dir", help="the dbt project (default: this repository)")
    validate.set_defaults(handler=_cmd_validate)

    generate = commands.add_parser(
        "generate",
        help="write realistic demo landing data, as of a date",
        description="Writes a deterministic demo landing (usage exports, licences and "
        "allocations, AWS Marketplace customers, metering and billing events) for the months, "
        "with the files that had landed by --as-of: on-time exports, late files, and "
        "corrections of issued months. Run again with a later --as-of to add the files landed "
        "since; files already there are never changed.",
    )
    generate.add_argument("--out", required=True, help="landing root")
    generate.add_argument("--months", required=True, help="YYYY-MM or YYYY-MM:YYYY-MM (inclusive)")
    generate.add_argument("--orgs", type=int, default=12, help="number of organizations")
    generate.add_argument("--seed", type=int, default=42, help="random seed")
    generate.add_argument(
        "--as-of",
        help="YYYY-MM-DD: write the files landed by the end of that day, UTC (default: all)",
    )
    generate.add_argument("--project-dir", help="the dbt project (default: this repository)")
    generate.set_defaults(handler=_cmd_generate)
    return parser


def _interrupt(signum: int, frame: object) -> None:
    raise KeyboardInterrupt


def main(argv: Sequence[str] | None = None) -> int:
    signal.signal(signal.SIGTERM, _interrupt)  # a terminated close cleans up like Ctrl-C
    parser = build_parser()
    args = parser.parse_args(argv)
    try:
        return args.handler(args)
    except BillingError as error:
        print(f"automq-billing {args.command}: error: {error}", file=sys.stderr)
        return EXIT_USAGE
    except KeyboardInterrupt:
        print(
            f"automq-billing {args.command}: interrupted; nothing was published.", file=sys.stderr
        )
        return 130


if __name__ == "__main__":
    sys.exit(main())
