"""`automq-billing validate`: would a close accept this landing? The files are checked and
loaded exactly as a close loads them, into a scratch warehouse that is deleted afterwards, and
the landing suites run on what was loaded. Nothing is written into the landing zone; the results
go to `<docs>/landing-results.json`."""

from __future__ import annotations

import tempfile
from collections.abc import Callable
from pathlib import Path

from automq_billing import build
from automq_billing.errors import BillingError
from automq_billing.paths import check_docs_folder
from automq_billing.safe_files import write_text_atomically
from automq_billing.validation import ValidationWorker
from automq_billing.validation.landing_suites import landing_suites
from automq_billing.vocabulary import load_vocabulary


def validate_landing(
    landing: Path,
    docs: Path,
    project_dir: Path,
    progress: Callable[[str], None],
    engine: str = "duckdb",
) -> int:
    check_docs_folder(docs, landing)
    vocabulary = load_vocabulary(project_dir)
    progress(f"Validating the landing zone {landing}")
    survey = build.survey(landing, vocabulary, print)
    with (
        ValidationWorker() as worker,
        tempfile.TemporaryDirectory(prefix="automq-validate-") as tmp,
    ):
        scratch = Path(tmp) / ("spark" if engine == "spark" else "scratch.duckdb")
        on = build.make_engine(engine, scratch, project_dir)
        load = build.load(on, survey, progress=progress)
        with on.connect() as con:
            suites = landing_suites(survey, con, load.load_id, vocabulary)
        report = worker.run(suites)
    results = write_text_atomically(docs / "landing-results.json", report.to_json() + "\n")
    print(
        f"{len(survey.files)} file(s), {load.rows_loaded():,} row(s) loaded as a close would; "
        f"{report.evaluated} expectation(s) evaluated, {len(report.blocking)} blocking "
        f"failure(s), {len(report.warnings)} warning(s)"
    )
    for warning in report.warnings:
        print(f"  warning: {warning.describe()}")
    print(f"Results: {results}")
    if report.blocking:
        raise BillingError(
            f"The landing zone {landing} would be refused: "
            + "; ".join(f.describe() for f in report.blocking[:10]),
            hint="fix or remove the named files, then validate again",
        )
    print("The landing zone is ready for a close.")
    return 0
