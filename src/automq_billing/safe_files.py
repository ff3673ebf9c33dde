"""Writing files without following symbolic links (SPEC 8: no command writes through a link).

A planted link in the warehouse folder or beside the output folder must never redirect a write
onto another file (an issued statement, a landed Parquet file). So the files this project writes
outside a fresh temporary folder are opened with `O_NOFOLLOW` and only as regular files with a
single name (`open_regular`), or written to a new temporary file and renamed over the name
(`write_text_atomically`: a rename replaces a link, it never writes through it), in a folder
that is itself no link (`real_folder`).
"""

from __future__ import annotations

import contextlib
import os
import stat
from pathlib import Path
from typing import IO

from automq_billing.errors import BillingError

_NO_FOLLOW = getattr(os, "O_NOFOLLOW", 0) | getattr(os, "O_CLOEXEC", 0)


def _refusal(path: Path, what: str) -> BillingError:
    return BillingError(
        f"{path} is {what}, not a file this project wrote; nothing is written through it.",
        hint=f"move {path} away (the project recreates it), then run again",
    )


def open_regular(path: Path, mode: str = "w") -> IO[str]:
    """`path` opened for writing ("w": emptied first) or for reading and writing ("r+", created
    when missing), refusing a symbolic link, a hard link or anything but a regular file."""
    flags = os.O_CREAT | os.O_NONBLOCK | _NO_FOLLOW
    flags |= os.O_WRONLY if mode == "w" else os.O_RDWR
    try:
        descriptor = os.open(path, flags, 0o644)
    except OSError as error:
        if os.path.islink(path):
            raise _refusal(path, "a symbolic link") from None
        raise BillingError(
            f"{path} cannot be opened for writing: {error.strerror or error}.",
            hint=f"make {path.parent} writable by this user, or move {path} away",
        ) from None
    try:
        info = os.fstat(descriptor)
        if not stat.S_ISREG(info.st_mode):
            raise _refusal(path, "not a regular file (a folder, a FIFO or a device)")
        if info.st_nlink != 1:
            raise _refusal(path, "a hard link to another file")
        os.set_blocking(descriptor, True)
        if mode == "w":
            os.ftruncate(descriptor, 0)
        return os.fdopen(descriptor, mode, encoding="utf-8")
    except BaseException:
        os.close(descriptor)
        raise


def real_folder(path: Path) -> Path:
    """`path` as a folder (created when missing) that is no symbolic link."""
    with contextlib.suppress(FileExistsError):
        path.mkdir(parents=True, exist_ok=True)
    if path.is_symlink() or not path.is_dir():
        raise _refusal(path, "a symbolic link" if path.is_symlink() else "not a folder")
    return path


def write_text_atomically(path: Path, text: str) -> Path:
    """Writes `text` to a new temporary file beside `path` and renames it over `path`."""
    real_folder(path.parent)
    temporary = path.with_name(f".{path.name}.tmp-{os.getpid()}")
    flags = os.O_WRONLY | os.O_CREAT | os.O_EXCL | _NO_FOLLOW
    try:
        descriptor = os.open(temporary, flags, 0o644)
        with os.fdopen(descriptor, "w", encoding="utf-8", newline="\n") as handle:
            handle.write(text)
            handle.flush()
            os.fsync(handle.fileno())
        os.replace(temporary, path)
    except BaseException:
        with contextlib.suppress(OSError):
            if not temporary.is_symlink():
                temporary.unlink()
        raise
    return path


def links_or_special(folder: Path, limit: int = 5) -> list[Path]:
    """The symbolic links and the entries that are neither folders nor regular files below
    `folder` (the folder itself included), without following any link."""
    found: list[Path] = []
    if folder.is_symlink():
        return [folder]
    for root, folders, files in os.walk(folder, followlinks=False):
        for name in folders + files:
            entry = Path(root) / name
            mode = entry.lstat().st_mode
            if stat.S_ISLNK(mode) or not (stat.S_ISDIR(mode) or stat.S_ISREG(mode)):
                found.append(entry)
                if len(found) >= limit:
                    return found
    return found
