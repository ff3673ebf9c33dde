"""`automq-billing`: the command line. Thin: it parses, resolves paths and calls the library.
Exit codes: 0 done, 2 refused (one sentence saying why and what to do), 130 interrupted."""

from __future__ import annotations

import argparse
import errno
import signal
import sys
from collections.abc import Sequence
from pathlib import Path

from automq_billing import __version__
from automq_billing.errors import BillingError
from automq_billing.months import parse_month
from automq_billing.paths import option_path, resolve_project_dir

EXIT_OK, EXIT_REFUSED, EXIT_INTERRUPTED = 0, 2, 130


def _progress(message: str) -> None:
    print(message, file=sys.stderr, flush=True)


def _quiet(message: str) -> None:
    pass


def _engine(args: argparse.Namespace) -> str:
    from automq_billing.build.engine import engine_name

    return engine_name(getattr(args, "engine", None))


def _paths(args: argparse.Namespace, project_dir: Path, *names: str) -> dict[str, Path]:
    # a Spark warehouse is a folder (its catalog and Parquet tables), DuckDB's one file
    warehouse = "spark" if _engine(args) == "spark" else "billing.duckdb"
    defaults = {
        "landing": ("AUTOMQ_BILLING_LANDING", project_dir / "data" / "landing"),
        "output": ("AUTOMQ_BILLING_OUTPUT", project_dir / "output"),
        "warehouse": ("AUTOMQ_BILLING_WAREHOUSE", project_dir / "warehouse" / warehouse),
    }
    return {
        name: option_path(getattr(args, name), defaults[name][0], defaults[name][1], f"--{name}")
        for name in names
    }


def _cmd_close(args: argparse.Namespace) -> int:
    from automq_billing.close import CloseOptions, run_close
    from automq_billing.summary import print_close_summary

    month = parse_month(args.month)
    project_dir = resolve_project_dir(args.project_dir)
    paths = _paths(args, project_dir, "landing", "output", "warehouse")
    options = CloseOptions(
        month=month,
        project_dir=project_dir,
        full_refresh=args.full_refresh,
        documents=not args.no_documents,
        pdfs=args.pdf,
        engine=_engine(args),
        **paths,
    )
    result = run_close(options, progress=_quiet if args.quiet else _progress)
    print_close_summary(result, timings=args.timings)
    return EXIT_OK


def _cmd_load(args: argparse.Namespace) -> int:
    from automq_billing import build
    from automq_billing.locks import command_line, exclusive, holder
    from automq_billing.paths import check_close_paths
    from automq_billing.vocabulary import load_vocabulary

    project_dir = resolve_project_dir(args.project_dir)
    paths = _paths(args, project_dir, "landing", "warehouse")
    engine = build.make_engine(_engine(args), paths["warehouse"], project_dir)
    check_close_paths(
        paths["landing"], paths["landing"].parent / ".unused-output", engine.warehouse_file
    )
    engine.check_writable()
    vocabulary = load_vocabulary(project_dir)
    with exclusive("warehouse", paths["warehouse"], holder(command_line())):
        survey = build.survey(paths["landing"], vocabulary, _progress)
        # a full refresh also resets the control state: the next build is a full one
        load = build.load(engine, survey, full_refresh=args.full_refresh, progress=_progress)
    print(
        f"Loaded {len(load.new_files)} new file(s), {load.rows_loaded():,} row(s) into "
        f"{paths['warehouse']}; {len(load.files) - len(load.new_files)} file(s) already loaded. "
        "Next: dbt build (see the README)."
    )
    return EXIT_OK


def _cmd_finalize(args: argparse.Namespace) -> int:
    from automq_billing.book.commands import run_finalize

    month = parse_month(args.month)
    output = _paths(args, resolve_project_dir(args.project_dir), "output")["output"]
    for line in run_finalize(output, month, args.version, approved_by=args.approved_by):
        print(line)
    return EXIT_OK


def _cmd_status(args: argparse.Namespace) -> int:
    from automq_billing.book.commands import run_status

    output = _paths(args, resolve_project_dir(args.project_dir), "output")["output"]
    run_status(output, lambda line: print(line, flush=True))  # exit 2 when not as written
    return EXIT_OK


def _cmd_reconcile(args: argparse.Namespace) -> int:
    from automq_billing.reconcile import run_reconcile, summary_lines

    month = parse_month(args.month)
    project_dir = resolve_project_dir(args.project_dir)
    paths = _paths(args, project_dir, "landing", "output", "warehouse")
    result = run_reconcile(
        month,
        landing=paths["landing"],
        output=paths["output"],
        warehouse_path=paths["warehouse"],
        project_dir=project_dir,
        progress=_progress,
        engine=_engine(args),
    )
    for line in summary_lines(result):
        print(line)
    return EXIT_OK


def _cmd_documents(args: argparse.Namespace) -> int:
    from automq_billing.documents import render_documents_again
    from automq_billing.locks import command_line, run_locks

    month = parse_month(args.month)
    project_dir = resolve_project_dir(args.project_dir)
    output = _paths(args, project_dir, "output")["output"]
    with run_locks(command_line(), output=output):
        folder = render_documents_again(output, month, args.version)
    print(f"Rendered the documents of {args.month} again: {folder}")
    return EXIT_OK


def _cmd_validate(args: argparse.Namespace) -> int:
    from automq_billing.validate import validate_landing

    project_dir = resolve_project_dir(args.project_dir)
    landing = _paths(args, project_dir, "landing")["landing"]
    docs = option_path(
        args.docs, "AUTOMQ_BILLING_VALIDATION_DOCS", project_dir / "validation", "--docs"
    )
    return validate_landing(landing, docs, project_dir, progress=_progress, engine=_engine(args))


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


def _add_paths(parser: argparse.ArgumentParser, *names: str) -> None:
    helps = {
        "landing": "landing root holding usage_events/ (env AUTOMQ_BILLING_LANDING; "
        "default <project-dir>/data/landing)",
        "output": "where closes are written (env AUTOMQ_BILLING_OUTPUT; "
        "default <project-dir>/output)",
        "warehouse": "DuckDB file, or with --engine spark the folder of the Spark catalog and "
        "tables (env AUTOMQ_BILLING_WAREHOUSE; default <project-dir>/warehouse/billing.duckdb, "
        "or <project-dir>/warehouse/spark)",
    }
    for name in names:
        parser.add_argument(f"--{name}", help=helps[name])
    parser.add_argument("--project-dir", help="the dbt project (default: this repository's root)")


def _add_engine(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--engine",
        choices=["duckdb", "spark"],
        help="where the warehouse is built: duckdb (embedded, the default) or spark (dbt-spark; "
        "a local Spark session unless the profile names a cluster; env AUTOMQ_BILLING_ENGINE)",
    )


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="automq-billing",
        description="AutoMQ BYOC billing warehouse: monthly close, issued months, demo data.",
    )
    parser.add_argument("--version", action="version", version=f"%(prog)s {__version__}")
    commands = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")

    close = commands.add_parser(
        "close",
        help="load, build and test the warehouse, then publish one month's draft statements",
        description="Loads the new landed files, runs `dbt build` (models and data tests), "
        "validates the month and writes <output>/<YYYY-MM>/v<N>/ (statements, lines, "
        "quarantines, corrections, documents, manifest), all or nothing.",
    )
    close.add_argument("--month", required=True, help="billing month, YYYY-MM (e.g. 2026-10)")
    _add_paths(close, "landing", "output", "warehouse")
    close.add_argument(
        "--full-refresh",
        action="store_true",
        help="reload every landed file and rebuild every table (same statements, slower)",
    )
    close.add_argument("--timings", action="store_true", help="print the time of each stage")
    close.add_argument(
        "--no-documents", action="store_true", help="skip the PDF/HTML statements and the report"
    )
    close.add_argument(
        "--pdf",
        action="store_true",
        help="also typeset the draft's statement PDFs (by default a draft has HTML statements; "
        "finalize adds the PDFs of the version it issues, `documents` renders them on demand)",
    )
    close.add_argument("--quiet", action="store_true", help="no progress lines, only the summary")
    _add_engine(close)
    close.set_defaults(handler=_cmd_close)

    load = commands.add_parser(
        "load",
        help="load the new landed files into the warehouse (before a dbt build by hand)",
        description="Checks and loads every landed file the warehouse has not loaded yet, "
        "exactly as a close does, without building or publishing anything.",
    )
    _add_paths(load, "landing", "warehouse")
    load.add_argument(
        "--full-refresh", action="store_true", help="reload every landed file from scratch"
    )
    _add_engine(load)
    load.set_defaults(handler=_cmd_load)

    finalize = commands.add_parser(
        "finalize",
        help="issue a month: freeze one version as final (SPEC 8)",
        description="Writes <output>/<YYYY-MM>/final.json for the version (default: the latest) "
        "after checking its files, that earlier months are final, no later month is, and the "
        "version is not stale. An issued month never changes.",
    )
    finalize.add_argument("--month", required=True, help="billing month, YYYY-MM")
    finalize.add_argument("--version", type=int, help="version number N of v<N> (default: latest)")
    finalize.add_argument(
        "--approved-by", help="who approves the issue, recorded in final.json (default: OS user)"
    )
    _add_paths(finalize, "output")
    finalize.set_defaults(handler=_cmd_finalize)

    status = commands.add_parser(
        "status",
        help="list the months of the output folder: versions, totals, which one is final",
        description="Lists every month: its versions and totals, which one is final, when and by "
        "whom. Every final month's files are checked again against final.json and its "
        "manifest; exit 2 when anything no longer matches what the runs wrote.",
    )
    _add_paths(status, "output")
    status.set_defaults(handler=_cmd_status)

    reconcile = commands.add_parser(
        "reconcile",
        help="reconcile a month with AWS Marketplace again (after AWS's invoice lands)",
        description="Loads the new landed files, rebuilds the Marketplace reports from the "
        "current landing and writes <output>/<YYYY-MM>/reconciliation/r<N>/ (reconciliation, "
        "exceptions, their CSVs, a manifest), all or nothing, for open and final months; it "
        "never changes a statement folder.",
    )
    reconcile.add_argument("--month", required=True, help="billing month, YYYY-MM")
    _add_paths(reconcile, "landing", "output", "warehouse")
    _add_engine(reconcile)
    reconcile.set_defaults(handler=_cmd_reconcile)

    documents = commands.add_parser(
        "documents",
        help="render a version's statements, close report and workbook again",
        description="Renders the documents of an existing version (e.g. after a template "
        "change) into a new <output>/<YYYY-MM>/v<N>/documents-<k>/ folder, without touching the "
        "version's data files. Refused for an issued (final) month, which never changes.",
    )
    documents.add_argument("--month", required=True, help="billing month, YYYY-MM")
    documents.add_argument("--version", type=int, help="version number N (default: the latest)")
    _add_paths(documents, "output")
    documents.set_defaults(handler=_cmd_documents)

    validate = commands.add_parser(
        "validate",
        help="check the landing zone before a close (load into a scratch warehouse + suites)",
        description="Checks every landed file as a close would (footer, types, values) in a "
        "scratch warehouse, runs the landing suites and writes their results. Exit 0 when a "
        "close could start, 2 when it could not.",
    )
    _add_paths(validate, "landing")
    validate.add_argument(
        "--docs", help="where to write the results (default <project-dir>/validation)"
    )
    _add_engine(validate)
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
    signal.signal(signal.SIGTERM, _interrupt)  # a terminated run cleans up like Ctrl-C
    parser = build_parser()
    args = parser.parse_args(argv)
    try:
        code = args.handler(args)
        sys.stdout.flush()  # a reader that went away shows here, not at interpreter exit
        return code
    except BillingError as error:
        print(f"automq-billing {args.command}: error: {error}", file=sys.stderr)
        return EXIT_REFUSED
    except KeyboardInterrupt:
        print(
            f"automq-billing {args.command}: interrupted; nothing was published.", file=sys.stderr
        )
        return EXIT_INTERRUPTED
    except BrokenPipeError:
        # the reader of the summary went away (e.g. `| head`): the work is done
        _silence_stdout()
        return EXIT_OK
    except OSError as error:
        if error.errno == errno.ENOSPC:
            print(
                f"automq-billing {args.command}: error: the disk is full ({error.filename}); "
                "nothing was published.\n  What to do: free space and run again",
                file=sys.stderr,
            )
            return EXIT_REFUSED
        raise


def _silence_stdout() -> None:
    import os

    try:
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())
    except OSError:
        pass


if __name__ == "__main__":
    sys.exit(main())
