"""Where things are: the project, the landing, the output folder, the warehouse, and the rules
that keep them apart (the landing zone is never written to)."""

from __future__ import annotations

import os
import re
from pathlib import Path

from automq_billing.errors import BillingError


def repository_root() -> Path | None:
    """The checkout this package was installed from (editable install), if it is one."""
    candidate = Path(__file__).resolve().parents[2]
    return candidate if (candidate / "dbt_project.yml").is_file() else None


def resolve_project_dir(given: str | None) -> Path:
    project_dir = Path(given).expanduser().resolve() if given else (repository_root() or Path.cwd())
    if not (project_dir / "dbt_project.yml").is_file():
        raise BillingError(
            f"{project_dir} is not the billing project (no dbt_project.yml there).",
            hint="pass --project-dir pointing at a copy of the automq-billing repository",
        )
    return project_dir


def option_path(given: str | None, env_name: str, default: Path, option: str) -> Path:
    """An explicit flag, else the environment variable, else the default under the project;
    relative paths are taken from the current folder. Always absolute. Any character a file
    system allows is accepted (paths never become SQL text or file patterns), except line
    breaks and NUL, which no sane path holds."""
    value = given or os.environ.get(env_name)
    path = (Path(value).expanduser() if value else default).resolve()
    if any(ch in str(path) for ch in ("\n", "\r", "\x00")):
        raise BillingError(
            f"{option} {str(path)!r} contains a line break or a NUL character.",
            hint=f"use a {option} path without control characters",
        )
    return path


def _inside(path: Path, folder: Path) -> bool:
    return path == folder or folder in path.parents


def check_close_paths(landing: Path, output: Path, warehouse: Path) -> None:
    """The close never writes into the landing zone, and its paths must not overlap."""
    _outside_landing(landing, "--output", output)
    if _inside(landing, output):
        raise BillingError(
            f"The landing zone {landing} lies inside --output {output}.",
            hint="keep the landing zone and the output folder apart",
        )
    check_warehouse_path(landing, warehouse)
    refuse_inside_issued(warehouse, "--warehouse", output)
    check_output_folder(output)


def _outside_landing(landing: Path, option: str, path: Path) -> None:
    if _inside(path, landing):
        raise BillingError(
            f"{option} {path} lies inside the landing zone {landing}; landed data is "
            "immutable and nothing is ever written there.",
            hint=f"choose an {option} outside the landing folder",
        )


def check_warehouse_path(landing: Path, warehouse: Path) -> None:
    _outside_landing(landing, "--warehouse", warehouse)
    if warehouse.is_dir():
        raise BillingError(
            f"--warehouse {warehouse} is a folder; it must name a DuckDB file.",
            hint="pass e.g. --warehouse warehouse/billing.duckdb",
        )
    journal = warehouse.with_name(f"{warehouse.name}.wal")
    if journal.is_symlink():
        raise BillingError(
            f"The warehouse's journal {journal} is a symbolic link; DuckDB would write through it.",
            hint=f"remove the link {journal}, then run again",
        )


_MONTH_NAME = re.compile(r"\d{4}-\d{2}")


def refuse_inside_issued(path: Path, option: str, output: Path | None = None) -> None:
    """Nothing but a close writes into a month folder of the output, and nothing at all into an
    issued one (a folder `YYYY-MM` holding final.json, in any output folder): `path` (absolute,
    resolved) must lie in neither."""
    for folder in (path, *path.parents):
        issued = _MONTH_NAME.fullmatch(folder.name) and os.path.lexists(folder / "final.json")
        ours = output is not None and folder.parent == output and _MONTH_NAME.fullmatch(folder.name)
        if issued or ours:
            raise BillingError(
                f"{option} {path} lies inside the month folder {folder} of an output folder"
                f"{' that is issued (final)' if issued else ''}; only a close writes there, and "
                "nothing is ever written into an issued month.",
                hint=f"choose an {option} outside the output folder's month folders",
            )


def check_output_folder(output: Path) -> None:
    if output.exists() and not output.is_dir():
        raise BillingError(
            f"--output {output} is a file; it must be a folder.",
            hint="pass a folder (it is created when missing)",
        )
    existing = output
    while not existing.exists():
        existing = existing.parent
    if not os.access(existing, os.W_OK | os.X_OK):
        raise BillingError(
            f"The output folder {output} cannot be created or written by this user.",
            hint="make it writable, or pass another --output",
        )


def check_docs_folder(docs: Path, landing: Path) -> None:
    """`validate --docs` writes there: never inside the landing, never holding it, never inside
    an issued month folder."""
    refuse_inside_issued(docs, "--docs")
    if _inside(docs, landing) or _inside(landing, docs):
        raise BillingError(
            f"--docs {docs} and the landing zone {landing} overlap; nothing is ever written into "
            "the landing zone, and a docs folder holding it could lose it.",
            hint="choose a --docs folder outside the landing zone (e.g. the default validation/)",
        )
