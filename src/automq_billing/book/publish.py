"""Publishing into the output folder and cleaning up after a killed run: a close, a
reconciliation or a rendering writes into a hidden temporary folder (`names.TEMPORARY`) that is
renamed into place whole, or removed; a temporary whose process is gone is removed by the next
run, and what a killed finalize left is completed or removed (`remove_final_temporaries`)."""

from __future__ import annotations

import errno
import os
import shutil
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from automq_billing.book.names import (
    FINAL_FILE,
    FINAL_TEMPORARY,
    INVOICES_TEMPORARY,
    MONTH_FOLDER,
    STAMP_TEMPORARY,
    TEMPORARY,
)
from automq_billing.errors import BillingError


def remove_final_temporaries(output: Path) -> None:
    """What a finalize killed half-way left in the month folders: its `.final.json.tmp-<pid>`
    (removed), its invoice PDFs (`.invoices.tmp-<pid>`: put in place as `invoices/` when
    final.json was written, else removed) and its stamped pages (`.<page>.html.stamp-<pid>`:
    put in place when final.json was written, which is the moment a month is issued, else
    removed). The caller holds the
    output folder's lock, so no finalize is running."""
    if not output.is_dir():
        return
    for folder in output.iterdir():
        if not MONTH_FOLDER.fullmatch(folder.name) or folder.is_symlink() or not folder.is_dir():
            continue
        issued = os.path.lexists(folder / FINAL_FILE)
        for entry in folder.iterdir():
            if FINAL_TEMPORARY.fullmatch(entry.name):
                entry.unlink(missing_ok=True)
            elif INVOICES_TEMPORARY.fullmatch(entry.name) and not entry.is_symlink():
                # the invoice PDFs: in place once final.json is (their numbers are issued)
                if issued and not os.path.lexists(folder / "invoices") and entry.is_dir():
                    os.rename(entry, folder / "invoices")
                elif entry.is_dir():
                    shutil.rmtree(entry, ignore_errors=True)
                else:
                    entry.unlink(missing_ok=True)
        for entry in folder.glob("v*/documents*/.*.stamp-*"):
            match = STAMP_TEMPORARY.fullmatch(entry.name)
            linked = entry.parent.is_symlink() or entry.parent.parent.is_symlink()
            if match and issued and not linked:
                os.replace(entry, entry.parent / match["name"])
            elif match and not linked:
                entry.unlink(missing_ok=True)


def remove_own_temporaries(output: Path) -> list[Path]:
    """Removes the hidden temporary folders a killed run of this project left in the output
    folder: only names of the exact form `.<YYYY-MM>-v<N>.tmp-<pid>` (a close),
    `.<YYYY-MM>-r<N>.tmp-<pid>` (a reconciliation) or `.documents-<n>.tmp-<pid>` (a rendering),
    and only when that process is gone; and what a killed finalize left
    (`remove_final_temporaries`). The caller holds the output folder's lock."""
    remove_final_temporaries(output)
    removed = []
    candidates = [output] + [
        p for p in output.glob("[0-9][0-9][0-9][0-9]-[0-9][0-9]") if _real_folder(p)
    ]
    candidates += [p for m in candidates[1:] for p in m.glob("v*") if _real_folder(p)]
    for folder in candidates if output.is_dir() else []:
        for entry in folder.iterdir():
            match = TEMPORARY.fullmatch(entry.name)
            if match and _real_folder(entry) and not _alive(int(match["pid"])):
                shutil.rmtree(entry, ignore_errors=True)
                removed.append(entry)
    return removed


def _real_folder(path: Path) -> bool:
    return path.is_dir() and not path.is_symlink()


def _alive(pid: int) -> bool:
    if pid == os.getpid():
        return False
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


@contextmanager
def publishing(temporary: Path, final: Path, what: str) -> Iterator[Path]:
    """Yields the hidden temporary folder to write into, renamed to `final` when the block
    succeeds and removed when it fails: the folder appears whole or not at all."""
    try:
        temporary.mkdir(parents=True)
        yield temporary
        final.parent.mkdir(parents=True, exist_ok=True)
        for folder in (final.parent, final.parent.parent):
            if folder.is_symlink():  # never publish through a link into another folder
                raise BillingError(
                    f"{folder} is a symbolic link; {what} is not published through it.",
                    hint=f"move the link {folder} out of the output folder, then run again",
                )
        os.rename(temporary, final)
    except OSError as error:
        shutil.rmtree(temporary, ignore_errors=True)
        if error.errno == errno.ENOSPC:
            raise BillingError(
                f"The disk holding {final.parent} is full; {what} was not published and nothing "
                "was left behind.",
                hint="free space (or pass an --output on a disk with room) and run again",
            ) from None
        if error.errno in (errno.EACCES, errno.EROFS, errno.EPERM):
            raise BillingError(
                f"{final.parent} cannot be written ({error.strerror}); {what} was not published.",
                hint="make the output folder writable, or pass another --output",
            ) from None
        raise
    except BaseException:
        shutil.rmtree(temporary, ignore_errors=True)
        raise
