"""The demo's billing profiles (SPEC 12.1, landing `organization_profiles/`): one file landed on
the first day of the span, with a profile for every organization but the last (which has none:
`no_profile`), one multi-line address, one profile without a tax id, and hostile text (HTML
markup, spreadsheet formula characters) that the documents must escape or neutralise."""

from __future__ import annotations

import datetime as dt
from functools import partial

import pyarrow as pa

from automq_billing.demo.clock import midnight
from automq_billing.demo.files import PlannedFile, parquet_bytes
from automq_billing.demo.reference import Reference
from automq_billing.demo.world import World

DATASET = "organization_profiles"
_COUNTRIES = ("US", "DE", "SG", "GB", "JP", "FR", "AU", "CA")


def profile_rows(world: World) -> list[dict]:
    """The profiles, by organization (the last organization has none)."""
    start = world.span.months[0]
    rows = []
    orgs = world.names.orgs[: world.organizations]
    for index, org in enumerate(orgs[:-1] if len(orgs) > 1 else []):
        row = {
            "organization_id": org,
            "legal_name": f"Customer {index + 1:03d} Ltd",
            "billing_address": f"{100 + index} Market Street\nSuite {index + 2}00\nSpringfield",
            "country": _COUNTRIES[index % len(_COUNTRIES)],
            "tax_id": f"TAX-{index + 1:06d}",
            "billing_email": f"ap+{index + 1}@customer{index + 1:03d}.example",
            "payment_terms_days": (30, 45, 14, None)[index % 4],
            "purchase_order": f"PO-{2026_0000 + index}" if index % 2 == 0 else None,
            "valid_from": dt.date(start.year - 1, 1, 1),
        }
        if index == 0:  # markup and a formula: escaped in HTML and PDF, neutralised in CSV/xlsx
            row["legal_name"] = 'Harbour & Sons <b>Trading</b> "HK" Ltd'
            row["billing_address"] = "Suite 4001, Tower 2\n1 Harbour Road\nWan Chai\nHong Kong"
            row["purchase_order"] = '=HYPERLINK("http://example.invalid","PO")'
        elif index == 1:  # no tax id, a formula-like e-mail
            row["tax_id"] = None
            row["billing_email"] = "@accounts-payable@example.invalid"
        elif index == 2:  # a name that starts like a formula, a script in the address
            row["legal_name"] = "+Plus Analytics GmbH"
            row["billing_address"] = "Hauptstrasse 1\n<script>alert(1)</script>\n10115 Berlin"
        rows.append(row)
    return rows


def profile_files(world: World, reference: Reference) -> list[PlannedFile]:
    rows = profile_rows(world)
    if not rows:
        return []
    schema = reference.schema(DATASET)
    landed = midnight(world.span.months[0]) + dt.timedelta(hours=1)

    def render(rows: list[dict]) -> bytes:
        return parquet_bytes(pa.Table.from_pylist(rows, schema=schema))

    return [
        PlannedFile(
            DATASET,
            f"{DATASET}/initial/part-0000.parquet",
            landed,
            len(rows),
            partial(render, rows),
        )
    ]
