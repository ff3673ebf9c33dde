"""Reading what a run wrote into the output folder: JSON files (a manifest, final.json, the
reconciliations' numbering) and the times they record, each refused naming the path when it is
not as a run wrote it (a link, a special file, a damaged or oversized file)."""

from __future__ import annotations

import datetime as dt
import json
import os
import stat
from pathlib import Path

from automq_billing.errors import BillingError

MAX_JSON_BYTES = 16 * 2**20
RESTORE = (
    "move what is named out of the output folder (a copy, a link or a leftover is never read as "
    "issued); an issued month's folder is restored from a backup, a damaged draft is closed again"
)


def read_json(path: Path, what: str) -> dict:
    """A JSON object this project wrote at `path`, or BillingError naming the path: a link, a
    FIFO or anything but a regular file is refused before it is opened (so nothing hangs), and
    a damaged, oversized or too deeply nested file is refused, never half-read."""
    try:
        info = path.lstat()
    except OSError as error:
        raise BillingError(
            f"{path} cannot be read ({error.strerror or error}); {what}.", hint=RESTORE
        ) from None
    if not stat.S_ISREG(info.st_mode):
        kind = "a symbolic link" if stat.S_ISLNK(info.st_mode) else "not a regular file"
        raise BillingError(f"{path} is {kind}; {what}.", hint=RESTORE)
    if info.st_size > MAX_JSON_BYTES:
        raise BillingError(f"{path} is larger than any file a run writes; {what}.", hint=RESTORE)
    try:
        descriptor = os.open(path, os.O_RDONLY | os.O_NOFOLLOW | os.O_NONBLOCK)
        with os.fdopen(descriptor, "rb") as handle:
            data = json.loads(handle.read().decode("utf-8"))
    except RecursionError:
        raise BillingError(
            f"{path} is nested too deeply to be JSON a run wrote; {what}.", hint=RESTORE
        ) from None
    except (OSError, ValueError) as error:
        raise BillingError(f"{path} cannot be read ({error}); {what}.", hint=RESTORE) from None
    if not isinstance(data, dict):
        raise BillingError(f"{path} does not hold a JSON object; {what}.", hint=RESTORE)
    return data


def utc_moment(value: object, path: Path, key: str) -> dt.datetime:
    """An ISO 8601 time with its UTC offset, as final.json and a manifest record them."""
    try:
        moment = dt.datetime.fromisoformat(value) if isinstance(value, str) else None
    except ValueError:
        moment = None
    if moment is None or moment.tzinfo is None:
        raise BillingError(
            f"{path} records {key} {str(value)[:60]!r}, which is not an ISO 8601 time with its "
            "UTC offset; the file is damaged.",
            hint=RESTORE,
        )
    return moment
