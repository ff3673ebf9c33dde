"""When each file of the demo landing lands (UTC): the story the demo tells.

- Usage: each month's regular exports are four files, each covering about a week and landing
  soon after its last day (01:30 the next day); the month's late file (restatements, redelivered
  duplicates, invalid rows) lands on the 5th of the next month, before the month is closed; for
  every month but the last, a correction file lands on the 15th of the next month, after the
  month was closed and issued: the corrections the next close books (SPEC 8).
- Licences, allocations, Marketplace customers and metering: daily exports of what happened that
  day, landing at 02:00 the next day; what predates the span is one history file landing just
  before it; a licence whose export was lost lands with the correction file.
- AWS billing events: AWS invoices a month on the 3rd of the next; its seller feed delivers one
  CSV per day with events, landing at 01:00 the next day; disbursements on the 20th.

With months 2026-09:2026-10: `as_of` 2026-10-06 holds September complete (and its late file, its
invoice) but no October usage; `as_of` 2026-11-06 adds October and the late September
corrections of 2026-10-15.
"""

from __future__ import annotations

import datetime as dt

from automq_billing.demo.clock import midnight
from automq_billing.months import days_in_month as month_days
from automq_billing.months import next_month

CHUNKS_PER_MONTH = 4
INVOICE_DAY = 3
DISBURSEMENT_DAY = 20
_LATE_FILE_DAY = 5
_CORRECTION_DAY = 15


def chunk_of_day(day_index: int, days: int) -> int:
    """Which regular file of its month a day (0-based) is exported in."""
    return day_index * CHUNKS_PER_MONTH // days


def chunk_days(month: dt.date, chunk: int) -> tuple[dt.date, dt.date]:
    """[first day, day after the last) a regular file covers."""
    days = month_days(month)
    covered = [d for d in range(days) if chunk_of_day(d, days) == chunk]
    first = month + dt.timedelta(days=covered[0])
    return first, month + dt.timedelta(days=covered[-1] + 1)


def regular_landing(month: dt.date, chunk: int) -> dt.datetime:
    _, end = chunk_days(month, chunk)
    return midnight(end) + dt.timedelta(hours=1, minutes=30 + 7 * chunk)


def late_landing(month: dt.date) -> dt.datetime:
    """The month's late file: on the 5th of the next month, before the month's close."""
    return midnight(next_month(month).replace(day=_LATE_FILE_DAY)) + dt.timedelta(hours=6)


def correction_landing(month: dt.date) -> dt.datetime:
    """The month's correction file: mid next month, after the month was issued."""
    return midnight(next_month(month).replace(day=_CORRECTION_DAY)) + dt.timedelta(hours=9)


def export_landing(day: dt.date) -> dt.datetime:
    """A daily export of the control plane (licences, allocations, customers, metering)."""
    return midnight(day + dt.timedelta(days=1)) + dt.timedelta(hours=2)


def history_landing(span_start: dt.date) -> dt.datetime:
    """The export of everything that predates the span."""
    return midnight(span_start) - dt.timedelta(hours=1)


def invoice_day(month: dt.date) -> dt.date:
    return next_month(month).replace(day=INVOICE_DAY)


def disbursement_day(month: dt.date) -> dt.date:
    return next_month(month).replace(day=DISBURSEMENT_DAY)


def feed_landing(day: dt.date) -> dt.datetime:
    """A daily delivery of AWS's seller feed."""
    return midnight(day + dt.timedelta(days=1)) + dt.timedelta(hours=1)
