"""The demo landing: every dataset of the landing zone (SPEC 1, 9.1) for a span of months,
landed as of a moment (`timeline`), deterministic (same arguments, same bytes)."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

import numpy as np

from automq_billing.demo.billing_events import billing_event_files, billing_events
from automq_billing.demo.clock import Span, iso
from automq_billing.demo.corrections import correction_rows
from automq_billing.demo.files import GenerateSummary, PlannedFile, as_of_moment, land
from automq_billing.demo.imperfections import Imperfections, add_imperfections
from automq_billing.demo.licences import build_licences, licence_files, required_aku
from automq_billing.demo.marketplace import MeteringLog, marketplace_notes, metering_files
from automq_billing.demo.metering import metered_units
from automq_billing.demo.profiles import profile_files
from automq_billing.demo.reference import Reference
from automq_billing.demo.rows import UsageCodes, concat
from automq_billing.demo.usage import DATASET as USAGE
from automq_billing.demo.usage import base_rows, usage_files
from automq_billing.demo.world import World, build_world

Progress = Callable[[str], None] | None

# independent random streams, so that one dataset's scenarios never shift another's
_LICENCES_STREAM = 0x11CE
_MARKETPLACE_STREAM = 0xA3F5
_BILLING_STREAM = 0xB111


def _stream(seed: int, tag: int) -> np.random.Generator:
    return np.random.Generator(np.random.PCG64(np.random.SeedSequence([seed, tag])))


def _say(progress: Progress, message: str) -> None:
    if progress is not None:
        progress(message)


def plan_landing(
    months: Sequence[dt.date], orgs: int, seed: int, reference: Reference
) -> tuple[World, list[PlannedFile], dict[str, Any]]:
    """Every file the demo landing will ever hold, with the moment it lands, and the notes."""
    span = Span.of(list(months))
    rng = np.random.Generator(np.random.PCG64(seed))
    world = build_world(rng, orgs, span, reference)
    codes = UsageCodes.of(reference)
    base = base_rows(rng, world, codes)
    imperfections = Imperfections(rng, base, world, codes)
    blocks = add_imperfections(imperfections, reference.names("usage_quarantine_reasons"))
    corrected, corrections = correction_rows(imperfections)
    planned, usage_notes = usage_files(concat([base, *blocks, *corrected]), world, codes)

    required = required_aku(base, world, codes, reference)
    book, licence_notes = build_licences(
        _stream(seed, _LICENCES_STREAM), world, reference, required
    )
    licence_planned, duplicates = licence_files(book, reference)
    licence_notes["license_scenarios"].update(duplicates)
    for month, lost in licence_notes["license_scenarios"]["lost_exports"].items():
        corrections[month]["late_license"] = lost

    log = MeteringLog(
        _stream(seed, _MARKETPLACE_STREAM),
        world,
        reference,
        metered_units(base, world, codes, reference),
    )
    metering = log.log()
    feed = billing_events(_stream(seed, _BILLING_STREAM), log, log.accepted(metering))
    market = marketplace_notes(log)
    market["billing_events"] = feed.notes

    notes = {
        "seed": seed,
        **world.notes,
        "usage_scenarios": imperfections.notes,
        **usage_notes,
        "corrections": corrections,
        **licence_notes,
        "marketplace": market,
    }
    planned += licence_planned + metering_files(log, metering) + billing_event_files(feed)
    planned += profile_files(world, reference)
    # when every file of the landing lands, landed by as_of or not yet
    notes["landing_times"] = {
        f.relative: iso(f.landed_at)
        for f in sorted(planned, key=lambda f: (f.landed_at, f.relative))
    }
    return world, planned, notes


def generate_landing(
    out_dir: Path,
    months: Sequence[dt.date],
    orgs: int,
    seed: int,
    *,
    as_of: dt.date | dt.datetime | None = None,
    project_dir: Path | None = None,
    progress: Progress = None,
) -> GenerateSummary:
    """Write the demo landing of `months` under `out_dir`, as of `as_of` (a date: the end of
    that day, UTC; None: every file). Files already there must be byte-identical to what these
    arguments write (ValueError otherwise, nothing written); running again with a later `as_of`
    adds the files that landed in between."""
    if orgs < 1:
        raise ValueError(f"orgs must be >= 1, got {orgs}")
    reference = Reference(project_dir)
    moment = as_of_moment(as_of)
    _say(progress, f"generating {orgs} organizations over {len(months)} month(s) (seed {seed})")
    world, planned, notes = plan_landing(months, orgs, seed, reference)
    landed = land(Path(out_dir), planned, moment)
    new = sum(f.new for f in landed)
    when = "in all" if moment is None else f"by {moment:%Y-%m-%d %H:%M} UTC"
    _say(progress, f"{len(landed)} file(s) landed {when}: {new} new")
    return GenerateSummary(
        files=landed,
        rows=sum(f.rows for f in landed if f.dataset == USAGE),
        months=[f"{m:%Y-%m}" for m in world.span.months],
        organizations=world.organizations,
        instances=len(world.instances),
        as_of=moment,
        notes=notes,
    )
