"""The first rows of an ``.xlsx`` sheet, read from the file's XML without parsing the whole sheet.

Finding the header row of a register needs only its first rows, but a
spreadsheet reader parses a whole sheet before it returns any: for a
200,000-row register that is seconds spent twice. This module streams the
sheet's XML and stops after the rows asked for, looking up only the shared
strings those rows use. It gives text for finding headers, not cell values
to keep: numbers come back as written in the XML.
"""

from __future__ import annotations

import posixpath
import re
import zipfile
from collections.abc import Iterator
from pathlib import Path
from xml.etree.ElementTree import Element, iterparse

_RELATIONSHIP = "{http://schemas.openxmlformats.org/officeDocument/2006/relationships}id"
_CELL_REF = re.compile(r"([A-Z]+)(\d+)")


def _local(tag: str) -> str:
    """An XML tag without its namespace (transitional and strict OOXML use different ones)."""
    return tag.rpartition("}")[2]


def _elements(book: zipfile.ZipFile, member: str, tag: str) -> Iterator[Element]:
    """Each closed element named ``tag`` of a workbook part, in file order, dropped once the caller is done."""
    open_elements: list[Element] = []
    with book.open(member) as stream:
        for event, element in iterparse(stream, events=("start", "end")):
            if event == "start":
                open_elements.append(element)
                continue
            open_elements.pop()
            if _local(element.tag) == tag:
                yield element
                if open_elements:  # keep memory flat over a long part
                    open_elements[-1].remove(element)


def _sheet_part(book: zipfile.ZipFile, sheet: str) -> str | None:
    """The zip member holding the worksheet named ``sheet``."""
    ids = {e.get("name"): e.get(_RELATIONSHIP) for e in _elements(book, "xl/workbook.xml", "sheet")}
    targets = {e.get("Id"): e.get("Target", "") for e in _elements(book, "xl/_rels/workbook.xml.rels", "Relationship")}
    target = targets.get(ids.get(sheet))
    if not target:
        return None
    return target.lstrip("/") if target.startswith("/") else posixpath.normpath(posixpath.join("xl", target))


def _column(letters: str) -> int:
    """``"A"`` -> 0, ``"AB"`` -> 27."""
    number = 0
    for letter in letters:
        number = number * 26 + ord(letter) - 64
    return number - 1


def _text(element: Element) -> str:
    """The text of a string item or inline string: its ``<t>`` and rich-text runs, without phonetic guides."""
    parts = []
    for child in element:
        if _local(child.tag) == "t":
            parts.append(child.text or "")
        elif _local(child.tag) == "r":
            parts.extend(t.text or "" for t in child if _local(t.tag) == "t")
    return "".join(parts)


def _cells(book: zipfile.ZipFile, part: str, rows: int) -> dict[tuple[int, int], tuple[str, str]]:
    """(row, column) -> (cell type, raw value) of the first ``rows`` rows of a worksheet part."""
    cells: dict[tuple[int, int], tuple[str, str]] = {}
    row_number = 0
    for row in _elements(book, part, "row"):
        row_number = int(row.get("r") or row_number + 1)
        if row_number > rows:
            break
        column = -1
        for cell in row:
            if _local(cell.tag) != "c":
                continue
            found = _CELL_REF.fullmatch(cell.get("r") or "")
            column = _column(found[1]) if found else column + 1
            kind = cell.get("t", "n")
            if kind == "inlineStr":
                value = "".join(_text(child) for child in cell if _local(child.tag) == "is")
            else:
                value = next((child.text or "" for child in cell if _local(child.tag) == "v"), "")
            cells[row_number - 1, column] = (kind, value)
    return cells


def _shared_strings(book: zipfile.ZipFile, needed: set[int]) -> dict[int, str]:
    """The shared strings of the given indexes, read until the largest of them."""
    if not needed or "xl/sharedStrings.xml" not in book.namelist():
        return {}
    last, found = max(needed), {}
    for index, item in enumerate(_elements(book, "xl/sharedStrings.xml", "si")):
        if index in needed:
            found[index] = _text(item)
        if index >= last:
            break
    return found


def first_rows(path: Path, sheet: str, *, rows: int) -> list[list[str]] | None:
    """The first ``rows`` rows of a sheet as text, column A first; None when the file cannot be read so.

    Parameters
    ----------
    path : Path
        An ``.xlsx`` workbook.
    sheet : str
        The sheet's name.
    rows : int
        How many rows from Excel row 1.

    Returns
    -------
    list of list of str, or None
        Row ``i`` is Excel row ``i + 1``; empty cells are ``""``. Shared and
        inline strings are their text, booleans ``"1"``/``"0"``, numbers
        and others their raw XML value. None for anything unexpected (not
        a zip, a part missing, an index out of range): the caller then
        reads the sheet another way.
    """
    try:
        with zipfile.ZipFile(path) as book:
            part = _sheet_part(book, sheet)
            if part is None or part not in book.namelist():
                return None
            cells = _cells(book, part, rows)
            strings = _shared_strings(book, {int(v) for k, v in cells.values() if k == "s" and v.isdigit()})
    except (zipfile.BadZipFile, KeyError, ValueError, OSError, SyntaxError):  # ParseError is a SyntaxError
        return None
    width = 1 + max((column for _, column in cells), default=-1)
    table = [[""] * width for _ in range(rows)]
    for (row, column), (kind, value) in cells.items():
        if kind == "s":
            if not value.isdigit() or int(value) not in strings:
                return None
            value = strings[int(value)]
        table[row][column] = value
    return table
