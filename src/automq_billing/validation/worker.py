"""The validation worker: a child process that imports Great Expectations once, while the close
loads the landing and runs dbt, then validates the suites the close hands it.

Protocol: the close writes, per batch of suites, one line to the worker's stdin naming a folder
(each suite a Parquet frame plus `suites.json`); the worker answers one line on stdout with the
report (JSON). The worker dies with the close (Linux kills it when its parent dies, however).
"""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
import tempfile
from dataclasses import asdict
from pathlib import Path

import pandas as pd

from automq_billing.dbt_runner import die_with_parent
from automq_billing.errors import BillingError
from automq_billing.validation.cache import ValidationCache, suites_key
from automq_billing.validation.specs import ExpectationSpec, Suite, ValidationReport


class ValidationWorker:
    """The worker process, started at once or (`start=False`) when a batch first needs it; with a
    `cache`, a batch validated before is answered from it (`validation.cache`)."""

    def __init__(self, *, cache: ValidationCache | None = None, start: bool = True) -> None:
        self._folder = Path(tempfile.mkdtemp(prefix="automq-billing-validation-"))
        self._batches = 0
        self._cache = cache
        self._process: subprocess.Popen | None = None
        if start:
            self.start()

    def start(self) -> None:
        """Starts the worker (it imports Great Expectations while the caller goes on)."""
        if self._process is not None:
            return
        self._process = subprocess.Popen(
            [sys.executable, "-m", "automq_billing.validation.worker"],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
            preexec_fn=die_with_parent if sys.platform.startswith("linux") else None,  # noqa: PLW1509
        )

    def run(self, suites: list[Suite]) -> ValidationReport:
        if not suites:
            return ValidationReport()
        if self._cache is None:
            return self._validate(suites)
        # suite by suite: a close's landing batch and mart batch differ from the last close's
        # only in the suites whose frames changed
        keys = [suites_key([suite]) for suite in suites]
        found = [self._cache.report(key) for key in keys]
        missing = [i for i, report in enumerate(found) if report is None or len(report.suites) != 1]
        if missing:
            fresh = self._validate([suites[i] for i in missing])
            for i, result in zip(missing, fresh.suites, strict=True):
                found[i] = ValidationReport(suites=[result])
                self._cache.keep(keys[i], found[i])
        return ValidationReport(suites=[report.suites[0] for report in found if report])

    def _validate(self, suites: list[Suite]) -> ValidationReport:
        self.start()
        assert self._process is not None
        self._batches += 1
        batch = self._folder / f"batch-{self._batches}"
        write_suites(batch, suites)
        assert self._process.stdin is not None and self._process.stdout is not None
        try:
            self._process.stdin.write(str(batch) + "\n")
            self._process.stdin.flush()
            answer = self._process.stdout.readline()
        except (BrokenPipeError, OSError):
            answer = ""
        if not answer.strip():
            raise self._failed()
        return ValidationReport.from_json(answer)

    def _failed(self) -> BillingError:
        assert self._process is not None
        self._process.kill()
        _, error = self._process.communicate(timeout=30)
        last = (error or "").strip().splitlines()[-1:] or ["no message"]
        return BillingError(
            f"The validation process failed ({last[0][:300]}); nothing was written.",
            hint="run the command again; if it fails again, report it with the message above",
        )

    def close(self, *, abandon: bool = False) -> None:
        if self._process is None:
            shutil.rmtree(self._folder, ignore_errors=True)
            return
        if abandon and self._process.poll() is None:  # the run failed: no result is awaited
            self._process.kill()
        if self._process.poll() is None:
            try:
                assert self._process.stdin is not None
                self._process.stdin.close()
                self._process.wait(timeout=10)
            except (OSError, subprocess.TimeoutExpired):
                self._process.kill()
        shutil.rmtree(self._folder, ignore_errors=True)

    def __enter__(self) -> ValidationWorker:
        return self

    def __exit__(self, kind: object, *exc: object) -> None:
        self.close(abandon=kind is not None)


def write_suites(folder: Path, suites: list[Suite]) -> None:
    folder.mkdir(parents=True)
    specs = []
    for index, suite in enumerate(suites):
        frame_path = folder / f"{index}.parquet"
        suite.frame.to_parquet(frame_path, index=False)
        specs.append(
            {
                "name": suite.name,
                "description": suite.description,
                "frame": frame_path.name,
                "key": suite.key,
                "expectations": [asdict(e) for e in suite.expectations],
            }
        )
    (folder / "suites.json").write_text(json.dumps(specs), encoding="utf-8")


def read_suites(folder: Path) -> list[Suite]:
    specs = json.loads((folder / "suites.json").read_text(encoding="utf-8"))
    return [
        Suite(
            name=spec["name"],
            frame=pd.read_parquet(folder / spec["frame"]),
            expectations=[ExpectationSpec(**e) for e in spec["expectations"]],
            key=spec["key"],
            description=spec["description"],
        )
        for spec in specs
    ]


def main() -> int:
    from automq_billing.validation.engine import Engine

    engine = Engine()
    for line in sys.stdin:
        folder = Path(line.strip())
        report = engine.run(read_suites(folder))
        sys.stdout.write(report.to_json().replace("\n", " ") + "\n")
        sys.stdout.flush()
    return 0


if __name__ == "__main__":
    sys.exit(main())
