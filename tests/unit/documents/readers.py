"""Minimal readers the document tests use to look inside what was rendered: the cells of an HTML
table and the cells of an xlsx workbook (zip + XML, no spreadsheet library)."""

from __future__ import annotations

import re
import zipfile
from dataclasses import dataclass
from html.parser import HTMLParser
from pathlib import Path
from xml.etree import ElementTree

_MAIN = "{http://schemas.openxmlformats.org/spreadsheetml/2006/main}"
_REL = "{http://schemas.openxmlformats.org/officeDocument/2006/relationships}"
_PACKAGE_REL = "{http://schemas.openxmlformats.org/package/2006/relationships}"


class _Cells(HTMLParser):
    """Collects the text of every td and th; a cell holding a table counts with its own text
    and each inner cell counts too."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.cells: list[str] = []
        self._open: list[list[str]] = []

    def handle_starttag(self, tag: str, attrs: list) -> None:
        if tag in ("td", "th"):
            self._open.append([])

    def handle_endtag(self, tag: str) -> None:
        if tag in ("td", "th") and self._open:
            self.cells.append(" ".join("".join(self._open.pop()).split()))

    def handle_data(self, data: str) -> None:
        for text in self._open:
            text.append(data)


def html_cells(text: str) -> list[str]:
    """The text of every table cell, whitespace collapsed, entities decoded."""
    parser = _Cells()
    parser.feed(text)
    return parser.cells


class _Attributes(HTMLParser):
    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.tags: list[tuple[str, dict[str, str | None]]] = []

    def handle_starttag(self, tag: str, attrs: list) -> None:
        self.tags.append((tag, dict(attrs)))


def html_tags(text: str) -> list[tuple[str, dict[str, str | None]]]:
    parser = _Attributes()
    parser.feed(text)
    return parser.tags


@dataclass(frozen=True)
class Cell:
    kind: str  # "n" number, "s" text, "b" boolean, "f" formula
    value: str


def _column(reference: str) -> int:
    letters = re.match(r"[A-Z]+", reference).group(0)
    number = 0
    for letter in letters:
        number = number * 26 + ord(letter) - 64
    return number - 1


def read_xlsx(path: Path) -> dict[str, list[list[Cell | None]]]:
    """Every sheet as rows of cells (None where empty)."""
    with zipfile.ZipFile(path) as archive:
        shared = _shared_strings(archive)
        workbook = ElementTree.fromstring(archive.read("xl/workbook.xml"))
        rels = ElementTree.fromstring(archive.read("xl/_rels/workbook.xml.rels"))
        targets = {
            rel.get("Id"): rel.get("Target") for rel in rels.iter(f"{_PACKAGE_REL}Relationship")
        }
        sheets = {}
        for sheet in workbook.iter(f"{_MAIN}sheet"):
            target = targets[sheet.get(f"{_REL}id")].removeprefix("/xl/")
            sheets[sheet.get("name")] = _rows(archive.read(f"xl/{target}"), shared)
        return sheets


def _shared_strings(archive: zipfile.ZipFile) -> list[str]:
    if "xl/sharedStrings.xml" not in archive.namelist():
        return []
    root = ElementTree.fromstring(archive.read("xl/sharedStrings.xml"))
    return [
        "".join(t.text or "" for t in item.iter(f"{_MAIN}t")) for item in root.iter(f"{_MAIN}si")
    ]


def _rows(xml: bytes, shared: list[str]) -> list[list[Cell | None]]:
    rows: list[list[Cell | None]] = []
    for row in ElementTree.fromstring(xml).iter(f"{_MAIN}row"):
        index = int(row.get("r")) - 1
        while len(rows) <= index:
            rows.append([])
        cells = rows[index]
        for cell in row.iter(f"{_MAIN}c"):
            column = _column(cell.get("r"))
            while len(cells) <= column:
                cells.append(None)
            cells[column] = _cell(cell, shared)
    return rows


def _cell(cell: ElementTree.Element, shared: list[str]) -> Cell:
    if cell.find(f"{_MAIN}f") is not None:
        return Cell("f", cell.find(f"{_MAIN}f").text or "")
    kind = cell.get("t", "n")
    if kind == "inlineStr":
        return Cell("s", "".join(t.text or "" for t in cell.iter(f"{_MAIN}t")))
    value = cell.find(f"{_MAIN}v").text
    if kind == "s":
        return Cell("s", shared[int(value)])
    if kind == "str":
        return Cell("f", value)
    return Cell(kind, value)
