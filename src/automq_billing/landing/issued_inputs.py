"""The inputs of an issued month stay landed (SPEC 8): every close checks that each landed file
a final month's manifest lists (`inputs`: dataset, path, sha256) is still in the landing with the
same sha256, whatever the warehouse knows: a full refresh or a new `--warehouse` rebuilds from the
landing as it is, so a removed or edited input of an issued month would otherwise be re-rated
without it and booked as a correction without a word.

The sha256 of the landing's files are computed once per run (`hash_landed`), and the load uses
the same ones: no file is read twice for its hash.
"""

from __future__ import annotations

from pathlib import Path

from automq_billing.book.folder import Month
from automq_billing.errors import BillingError
from automq_billing.landing.hashing import Hashes
from automq_billing.landing.survey import shown


def issued_inputs(months: list[Month]) -> list[tuple[str, str, str, str]]:
    """(month label, dataset, path, sha256) of every input of every final month's final version,
    or BillingError naming a manifest whose inputs cannot be read."""
    listed = []
    for state in months:
        if state.final is None:
            continue
        version = state.version(state.final.version)
        manifest = version.manifest()
        inputs = manifest.get("inputs") if isinstance(manifest, dict) else None
        if not isinstance(inputs, list) or not all(
            isinstance(entry, dict)
            and all(isinstance(entry.get(key), str) for key in ("dataset", "path", "sha256"))
            for entry in inputs
        ):
            raise BillingError(
                f"{shown(version.folder / 'manifest.json')}: the manifest of the issued month "
                f"{state.label} does not list its inputs (dataset, path and sha256 of each "
                "landed file), so nothing can check that they are still landed.",
                hint="restore the version folder from a backup; an issued month never changes",
            )
        listed.extend(
            (state.label, entry["dataset"], entry["path"], entry["sha256"]) for entry in inputs
        )
    return listed


def check_issued_inputs(months: list[Month], landing: Path, hashes: Hashes) -> None:
    """Refuses (BillingError) when a landed file an issued month used is gone or changed;
    `hashes` are the sha256 of the files the run's survey lists."""
    problems = []
    for label, dataset, path, sha256 in issued_inputs(months):
        current = hashes.get((dataset, path))
        if current is None:
            problems.append(
                f"{shown(landing / path)} ({dataset}), an input of the issued month {label}, "
                "is no longer in the landing"
            )
        elif current != sha256:
            problems.append(
                f"{shown(landing / path)} ({dataset}), an input of the issued month {label}, "
                f"changed since {label} was issued (sha256 {current[:12]}... where {label}'s "
                f"manifest lists {sha256[:12]}...)"
            )
    if problems:
        listed = "\n".join(f"  - {p}" for p in problems[:25])
        more = f"\n  ... and {len(problems) - 25} more" if len(problems) > 25 else ""
        raise BillingError(
            f"The landing zone {shown(landing)} no longer holds the inputs of issued months as "
            f"they were issued ({len(problems)} file(s)); an issued month never changes, so "
            f"nothing was written:\n{listed}{more}",
            hint="put the original files back in the landing (landed files are immutable: land "
            "corrections as new files); a full refresh or another --warehouse does not change "
            "this check",
        )
