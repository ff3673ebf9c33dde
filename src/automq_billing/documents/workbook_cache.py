"""The workbook's data sheets, reused when their Parquet file did not change.

A data sheet of `close.xlsx` is a pure function of its Parquet file and the number of rows it
shows: its XML names no version, time or sheet name (the cover sheet and the workbook's parts
hold those), and every cell format has a fixed index (`workbook._formats` numbers them all up
front). So a re-close with nothing new, whose Parquet files are the same bytes, need not write a
hundred thousand rows again: the sheet's compressed XML is kept in a verified, content-addressed
cache (`<output>/.cache/xlsx/`, the PDF cache's kind) under the sha256 of the Parquet bytes, the
row count and the writer's versions.

The workbook is written by xlsxwriter with a cached sheet left empty, then its zip is copied
member by member (compressed bytes as they are) with the cached sheet's bytes in place of the
empty one. The copy lays the archive out exactly as Python's zipfile (xlsxwriter's) does, so the
workbook's bytes are the same whether a sheet came from the cache or not.
"""

from __future__ import annotations

import hashlib
import struct
import zipfile
import zlib
from dataclasses import dataclass
from importlib.metadata import version
from pathlib import Path

from automq_billing.documents.pdf_cache import PdfCache

# bump when workbook.py changes how a data sheet's rows become XML (formats, writers, widths)
SHEET_FORMAT = "xlsx-sheet-1"
_LOCAL = struct.Struct("<4s2B4HL2L2H")
_CENTRAL = struct.Struct("<4s4B4HL2L5H2L")
_END = struct.Struct("<4s4H2LH")


class SheetCache(PdfCache):
    """Verified entries of compressed sheet XML under `<output>/.cache/xlsx/`."""

    folder = Path(".cache") / "xlsx"
    suffix = ".sheet"


@dataclass(frozen=True)
class Member:
    """One zip member as stored: its compressed (deflate) bytes, CRC-32 and size."""

    raw: bytes
    crc: int
    size: int

    def encode(self) -> bytes:
        return struct.pack("<LQ", self.crc, self.size) + self.raw

    @classmethod
    def decode(cls, data: bytes) -> Member | None:
        if len(data) < 12:
            return None
        crc, size = struct.unpack_from("<LQ", data)
        raw = data[12:]
        try:  # the entry's own check: it inflates to `size` bytes with that CRC
            xml = zlib.decompress(raw, -15)
        except zlib.error:
            return None
        if len(xml) != size or zlib.crc32(xml) != crc:
            return None
        return cls(raw, crc, size)


def sheet_key(parquet: Path, rows: int) -> str:
    digest = hashlib.sha256()
    with open(parquet, "rb") as handle:
        file_digest = hashlib.file_digest(handle, "sha256").hexdigest()
    for part in (SHEET_FORMAT, version("xlsxwriter"), zlib.ZLIB_VERSION, str(rows), file_digest):
        encoded = part.encode("utf-8")
        digest.update(len(encoded).to_bytes(8, "big"))
        digest.update(encoded)
    return digest.hexdigest()


def sheet_member(index: int) -> str:
    """The zip member of the workbook's `index`-th worksheet (1 is the cover)."""
    return f"xl/worksheets/sheet{index}.xml"


def read_members(path: Path) -> tuple[list[zipfile.ZipInfo], dict[str, Member]]:
    """The members of a zip written by Python's zipfile, with their stored bytes."""
    data = path.read_bytes()
    with zipfile.ZipFile(path) as archive:
        infos = archive.infolist()
    members = {}
    for info in infos:
        header = _LOCAL.unpack_from(data, info.header_offset)
        start = info.header_offset + _LOCAL.size + header[-2] + header[-1]
        raw = data[start : start + info.compress_size]
        members[info.filename] = Member(raw, info.CRC, info.file_size)
    return infos, members


def write_members(target: Path, infos: list[zipfile.ZipInfo], members: dict[str, Member]) -> None:
    """Writes the zip as Python's zipfile lays it out (no data descriptors, no extras): the same
    bytes as the archive `infos` came from when `members` are its own."""
    body, central = bytearray(), bytearray()
    for info in infos:
        member = members[info.filename]
        name = info.filename.encode("utf-8")
        year, month, day, hour, minute, second = info.date_time
        dos_date = (year - 1980) << 9 | month << 5 | day
        dos_time = hour << 11 | minute << 5 | second // 2
        common = (info.compress_type, dos_time, dos_date, member.crc, len(member.raw), member.size)
        offset = len(body)
        version_needed, reserved, flags = info.extract_version, info.reserved, info.flag_bits
        body += _LOCAL.pack(b"PK\x03\x04", version_needed, reserved, flags, *common, len(name), 0)
        body += name + member.raw
        central += _CENTRAL.pack(
            b"PK\x01\x02",
            info.create_version,
            info.create_system,
            info.extract_version,
            info.reserved,
            info.flag_bits,
            *common,
            len(name),
            0,
            0,
            0,
            info.internal_attr,
            info.external_attr,
            offset,
        )
        central += name
    end = _END.pack(b"PK\x05\x06", 0, 0, len(infos), len(infos), len(central), len(body), 0)
    if len(body) + len(central) >= 0xFFFFFFFF or len(infos) >= 0xFFFF:
        raise ValueError("the workbook is too large for a zip without zip64")
    with open(target, "xb") as handle:
        handle.write(bytes(body) + bytes(central) + end)
