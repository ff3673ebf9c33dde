"""Content-addressed caches of rendered documents: PDFs, so that a statement is typeset only when
its content changed since it was last rendered, and the workbook's data sheets
(`documents.workbook_cache`), so that a re-close with nothing new writes none again.

An entry is addressed by the sha256 of everything the PDF is made from (the typesetter and its
version, the renderer's settings, the document identifier and the HTML text) and holds the PDF
bytes beside the sha256 of those bytes. An entry is reused only when the bytes still hash to the
recorded value; a damaged entry is rendered again and replaced. The cache lives in a hidden folder
of the output folder (`<output>/.cache/pdf/`, `<output>/.cache/xlsx/`); it is never followed
through a symbolic link, and is written only by creating a new file and renaming it into place.
"""

from __future__ import annotations

import hashlib
import os
import stat
import uuid
from importlib.metadata import PackageNotFoundError, version
from pathlib import Path

from automq_billing.errors import BillingError

CACHE_DIR = Path(".cache") / "pdf"
# bump when pdf.py changes how the same HTML becomes bytes (options, fetcher, fonts)
RENDERER_FORMAT = "weasyprint-pdf-3"
_KEY = frozenset("0123456789abcdef")


def _typesetter() -> str:
    try:
        return f"weasyprint {version('weasyprint')}"
    except PackageNotFoundError:  # pragma: no cover - a dependency of the project
        return "weasyprint unknown"


def pdf_key(html_text: str, identifier: str) -> str:
    """The address of the PDF rendered from `html_text` with `identifier`."""
    digest = hashlib.sha256()
    for part in (_typesetter(), RENDERER_FORMAT, identifier, html_text):
        encoded = part.encode("utf-8")
        digest.update(len(encoded).to_bytes(8, "big"))
        digest.update(encoded)
    return digest.hexdigest()


def _refuse_link(path: Path) -> None:
    try:
        mode = os.lstat(path).st_mode
    except FileNotFoundError:
        return
    if stat.S_ISLNK(mode) or not stat.S_ISDIR(mode):
        raise BillingError(
            f"The documents cache folder {path} is a symbolic link or not a folder; the cache is "
            "never written through a link.",
            hint=f"remove {path} (the cache is rebuilt on the next rendering)",
        )


class PdfCache:
    """Reads and writes verified entries under `root` (created on first write)."""

    folder = CACHE_DIR
    suffix = ".pdf"

    def __init__(self, root: Path) -> None:
        self.root = root
        self.hits = 0
        self.misses = 0

    @classmethod
    def for_output(cls, output_root: Path) -> PdfCache:
        return cls(output_root / cls.folder)

    def _check_folders(self) -> None:
        for folder in (self.root.parent, self.root):
            _refuse_link(folder)

    def _entry(self, key: str) -> tuple[Path, Path]:
        if len(key) != 64 or not set(key) <= _KEY:
            raise ValueError(f"not a cache key: {key[:80]!r}")
        return self.root / f"{key}{self.suffix}", self.root / f"{key}.sha256"

    def get(self, key: str) -> bytes | None:
        """The bytes of the entry, or None when there is none or it fails its check."""
        self._check_folders()
        pdf, recorded = self._entry(key)
        try:
            data = _read_no_follow(pdf)
            expected = _read_no_follow(recorded).decode("ascii").strip()
        except (FileNotFoundError, UnicodeDecodeError):
            self.misses += 1
            return None
        if hashlib.sha256(data).hexdigest() != expected:
            self.misses += 1
            return None
        self.hits += 1
        return data

    def put(self, key: str, data: bytes) -> None:
        self._check_folders()
        self.root.mkdir(parents=True, exist_ok=True)
        self._check_folders()
        pdf, recorded = self._entry(key)
        _replace(pdf, data)
        _replace(recorded, hashlib.sha256(data).hexdigest().encode("ascii") + b"\n")


def _read_no_follow(path: Path) -> bytes:
    try:
        descriptor = os.open(path, os.O_RDONLY | os.O_NOFOLLOW)
    except OSError as error:
        if isinstance(error, FileNotFoundError):
            raise
        raise FileNotFoundError(str(path)) from error  # a link or unreadable: not an entry
    with os.fdopen(descriptor, "rb") as handle:
        if not stat.S_ISREG(os.fstat(handle.fileno()).st_mode):
            raise FileNotFoundError(str(path))
        return handle.read()


def _replace(path: Path, data: bytes) -> None:
    """Writes a new file beside `path` and renames it over `path` (a rename replaces a link
    there, it never writes through it)."""
    temporary = path.with_name(f".{path.name}.tmp-{os.getpid()}-{uuid.uuid4().hex[:8]}")
    flags = os.O_WRONLY | os.O_CREAT | os.O_EXCL | os.O_NOFOLLOW
    descriptor = os.open(temporary, flags, 0o644)
    try:
        with os.fdopen(descriptor, "wb") as handle:
            handle.write(data)
        os.replace(temporary, path)
    except BaseException:
        temporary.unlink(missing_ok=True)
        raise


def write_new_file(path: Path, data: bytes) -> None:
    """Writes `path`, which must not exist (never through a link), via a temporary file renamed
    into place, so a reader never sees half a PDF."""
    if os.path.lexists(path):
        raise BillingError(
            f"{path} already exists; documents are never written over other files.",
            hint="render into a new folder",
        )
    _replace(path, data)
