"""The close report's journal section (SPEC 12.3, 12.1): debits and credits per account (the
manifest's `journal` block), the deferred revenue roll-forward per licence
(deferred_revenue.parquet) and the organizations without a usable billing profile. Strings only;
every landed value stays text for the template to escape."""

from __future__ import annotations

from dataclasses import dataclass

from automq_billing.documents.close_report_tables import Table, amount_text
from automq_billing.documents.version_folder import VersionFolder, read_rows


@dataclass(frozen=True)
class JournalSection:
    entries: str
    lines: str
    debit: str
    credit: str
    balanced: bool
    accounts: Table
    roll_forward: Table
    no_profile: tuple[str, ...]
    profile_conflict: tuple[str, ...]
    profiles_in_force: str


def journal_section(close: VersionFolder) -> JournalSection | None:
    """None for a version closed before the journal existed."""
    block = close.manifest.get("journal")
    if not isinstance(block, dict):
        return None
    accounts = tuple(
        (str(code), str(entry.get("name", "")), amount_text(entry.get("debit")),
         amount_text(entry.get("credit")))
        for code, entry in sorted((block.get("by_account") or {}).items())
    )  # fmt: skip
    total = ("Total", "", amount_text(block.get("debit")), amount_text(block.get("credit")))
    accounts += (total,)
    rows = read_rows(close.folder / "deferred_revenue.parquet", required=False) or []
    roll = tuple(
        (
            str(row["license_id"]),
            str(row["organization_id"]),
            amount_text(row["opening_balance"]),
            amount_text(row["invoiced_amount"]),
            amount_text(row["recognised_amount"]),
            amount_text(row["closing_balance"]),
        )
        for row in rows
    )
    totals = block.get("deferred_revenue") or {}
    keys = ("opening", "invoiced", "recognised", "closing")
    roll += (("Total", f"{len(rows)} licence(s)", *(amount_text(totals.get(k)) for k in keys)),)
    profiles = block.get("profiles") or {}
    return JournalSection(
        entries=str(block.get("entries", "")),
        lines=str(block.get("lines", "")),
        debit=amount_text(block.get("debit")),
        credit=amount_text(block.get("credit")),
        balanced=block.get("debit") == block.get("credit"),
        accounts=Table(("Account", "Name", "Debit (USD)", "Credit (USD)"), accounts, (2, 3)),
        roll_forward=Table(
            ("Licence", "Organization", "Opening", "Invoiced", "Recognised", "Closing"),
            roll,
            (2, 3, 4, 5),
        ),
        no_profile=tuple(str(o) for o in profiles.get("no_profile") or ()),
        profile_conflict=tuple(str(o) for o in profiles.get("profile_conflict") or ()),
        profiles_in_force=str(profiles.get("in_force", "")),
    )
