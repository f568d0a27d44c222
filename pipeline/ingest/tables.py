"""Read a register file into a table of text: CSV, Parquet, and GeoPackage/GeoJSON points (Excel: :mod:`.excel`).

Every cell comes back as text exactly as typed (leading zeros of codes and
NIKs kept); parsing values is validation's job. Bad files are refused with
one line naming the file and the fix: empty, binary, ZIP, mixed encodings,
lines over :data:`MAX_LINE_BYTES`, ragged rows, duplicated headers.
"""

from __future__ import annotations

import csv
import functools
import io
import logging
import re
from pathlib import Path

import numpy as np
import pandas as pd
import pyarrow.parquet as pq
import pyogrio

from .. import columns as C
from ..errors import CRSError, InputError
from .headers import HEADER_SEARCH_ROWS, P3KE_HEADERS, find_header_row, header_hits
from .split import SPLIT_MARK

logger = logging.getLogger(__name__)


CSV_SUFFIXES: tuple[str, ...] = (".csv", ".txt")
POINT_SUFFIXES: tuple[str, ...] = (".gpkg", ".geojson", ".json", ".shp", ".fgb")


#: The longest line a register row may have. A household row is a few kilobytes; a longer "line" is a file
#: without line breaks (or not a CSV at all), and reading it whole could exhaust memory.
MAX_LINE_BYTES: int = 1 << 20


CSV_DELIMITERS: tuple[str, ...] = (",", ";", "\t", "|")


#: Bytes of a CSV register checked or parsed at a time (about 200,000 register rows).
CSV_BLOCK_BYTES: int = 64 << 20


#: A character that only a valid multi-byte UTF-8 sequence decodes to.
_NON_ASCII_TEXT = re.compile("[^\x00-\x7f\ufffd]")


def _not_utf8(path: Path, line: int, *, text_elsewhere: bool) -> str:
    """The encoding of a CSV whose first non-UTF-8 byte is on ``line``: cp1252, unless it also holds UTF-8 text.

    Raises
    ------
    InputError
        If other lines hold valid UTF-8 characters: the file mixes encodings.
    """
    if text_elsewhere:
        raise InputError(
            f"{path}: line {line} is not UTF-8 while other lines are (the file mixes encodings, e.g. two "
            "exports pasted together); open it in a spreadsheet and save it again as CSV UTF-8"
        )
    logger.warning("%s: not UTF-8 (first non-UTF-8 byte on line %d); read as Windows-1252 (cp1252)", path.name, line)
    return "cp1252"


def _refuse_long_line(path: Path, line: int, longest: int, *, utf16: bool) -> None:
    """Refuse a file whose line ``line`` is ``longest`` bytes, when that is over :data:`MAX_LINE_BYTES`.

    Raises
    ------
    InputError
        If the line is too long to be a register row.
    """
    if longest > MAX_LINE_BYTES * (2 if utf16 else 1):
        raise InputError(
            f"{path}: line {line} is {longest:,} bytes long with no line break (a register row is a few kB); "
            "this is not a register export, or its line breaks were lost. Export it again as CSV"
        )


def check_csv_start(head: bytes, path: Path) -> bool:
    """Refuse a file whose first bytes are not a CSV text; whether it is UTF-16 (with a BOM).

    Raises
    ------
    InputError
        For an empty file, a ZIP (an XLSX workbook or zipped file renamed
        ``.csv``) or binary data.
    """
    if not head or head.isspace():  # as head.strip() == b"", without copying a whole file
        raise InputError(f"{path}: the file is empty; export the register again")
    if head.startswith(b"PK\x03\x04"):
        raise InputError(
            f"{path}: this is a ZIP archive, not a CSV text (an .xlsx workbook renamed .csv?); "
            "rename it to .xlsx, or unzip it and list the CSV inside"
        )
    utf16 = head.startswith((b"\xff\xfe", b"\xfe\xff"))
    if not utf16 and b"\x00" in head[:65_536]:
        raise InputError(f"{path}: holds binary data (NUL bytes), not CSV text; export the register as CSV or XLSX")
    return utf16


def _longest_line(raw: bytes) -> tuple[int, int]:
    """The 0-based index and the length in bytes of the longest line of ``raw``."""
    breaks = np.flatnonzero(np.frombuffer(raw, dtype=np.uint8) == 10)
    lengths = np.diff(np.concatenate(([-1], breaks, [len(raw)]))) - 1
    at = int(np.argmax(lengths))
    return at, int(lengths[at])


def scan_csv(path: Path, *, utf16: bool, block_bytes: int = CSV_BLOCK_BYTES, raw: bytes | None = None) -> str:
    """Check every line of a CSV file, a block of whole lines at a time; its encoding.

    The whole file is checked, not a sample, so a multi-byte character
    split at any offset cannot tip the choice: UTF-8 (with or without BOM),
    UTF-16 (``utf16``: it starts with a BOM), or cp1252 when no line holds
    valid UTF-8 text beside a byte that is not UTF-8. Memory holds one block.
    ``raw``: the file's bytes when already read (``path`` then only names it).

    Raises
    ------
    InputError
        For a line over the length limit or a file that mixes encodings.
    """
    line_base, worst, bad_line, text_seen = 0, (0, 0), None, False
    carry = b""
    with io.BytesIO(raw) if raw is not None else path.open("rb") as handle:
        while True:
            block = handle.read(block_bytes)
            data = carry + block
            cut = data.rfind(b"\n") + 1 if block else len(data)
            if not data:
                break
            if cut == 0:  # no line break in a whole block: that line alone is longer than a register row
                _refuse_long_line(path, line_base + 1, len(data), utf16=utf16)
                carry = data
                continue
            piece, carry = data[:cut], data[cut:]
            at, length = _longest_line(piece)
            worst = max(worst, (length, -(line_base + at + 1)))
            if not utf16 and not piece.isascii():  # ASCII is UTF-8 and cp1252 alike
                try:
                    piece.decode("utf-8")
                    text_seen = True  # non-ASCII, and valid UTF-8
                except UnicodeDecodeError as exc:
                    bad_line = bad_line or line_base + piece.count(b"\n", 0, exc.start) + 1
                    text = piece.decode("utf-8", errors="replace")
                    text_seen = text_seen or bool(_NON_ASCII_TEXT.search(text))
            line_base += piece.count(b"\n")
            if not block:
                break
    _refuse_long_line(path, -worst[1], worst[0], utf16=utf16)
    if utf16:
        return "utf-16"
    return "utf-8-sig" if bad_line is None else _not_utf8(path, bad_line, text_elsewhere=text_seen)


@functools.lru_cache(maxsize=16)
def scan_csv_once(path: Path, size: int, modified: int, block_bytes: int, utf16: bool) -> str:
    """:func:`scan_csv`, once per file version: a second reading of the same file (a split's second pass) skips it.

    ``size`` and ``modified`` (ns) are part of the key, so a file changed in between is checked again;
    a warning (cp1252) is logged by the first reading only.
    """
    return scan_csv(path, utf16=utf16, block_bytes=block_bytes)


def _csv_layout(lines: list[str], path: Path) -> tuple[str, int]:
    """The delimiter and the header line (0-based) of a CSV, from its first lines.

    Each delimiter is tried; the one whose best line matches the most known
    headers wins, so title lines above the header (a P3KE export) and
    separators inside titles do not mislead. Without any known header, the
    delimiter that splits the first lines most consistently is used.
    """
    best = (None, 0, 1)  # delimiter, header line, hits
    for delimiter in CSV_DELIMITERS:
        rows = list(csv.reader(lines, delimiter=delimiter))
        at = find_header_row(rows)
        if at is not None:
            hits = header_hits(rows[at])
            if hits > best[2]:
                best = (delimiter, at, hits)
    if best[0] is not None:
        return best[0], best[1]
    try:
        return csv.Sniffer().sniff("\n".join(lines), delimiters="".join(CSV_DELIMITERS)).delimiter, 0
    except csv.Error:
        raise InputError(
            f"{path}: could not find a header line with ',', ';', tab or '|' between columns in the first "
            f"{len(lines)} lines; export the register as CSV with one header line"
        ) from None


def csv_layout(head: bytes, encoding: str, path: Path) -> tuple[str, int, list[str]]:
    """The delimiter, header line (0-based) and header of a CSV from its first bytes; a repeated name is refused.

    Raises
    ------
    InputError
        If no header line is found, or the header names a column twice.
    """
    lines = head.decode(encoding, errors="replace").splitlines()[:HEADER_SEARCH_ROWS]
    delimiter, skip = _csv_layout(lines, path)
    header = next(csv.reader(lines[skip : skip + 1], delimiter=delimiter), [])
    names = [h.strip() for h in header if h.strip()]
    twice = sorted({h for h in names if names.count(h) > 1})
    if twice:
        raise InputError(
            f"{path}: column(s) {', '.join(repr(h) for h in twice)} appear more than once in the header "
            f"(line {skip + 1}); rename or delete the extra column so that each value has one meaning"
        )
    return delimiter, skip, header


def read_csv(path: Path) -> pd.DataFrame:
    raw = path.read_bytes()
    encoding = scan_csv(path, utf16=check_csv_start(raw, path), raw=raw)
    if encoding == "utf-16":
        raw, encoding = raw.decode("utf-16").encode("utf-8"), "utf-8"
    delimiter, skip, _ = csv_layout(raw[:65_536], encoding, path)
    options = {"sep": delimiter, "dtype": str, "keep_default_na": False, "encoding": encoding, "skiprows": skip}
    try:
        frame = pd.read_csv(io.BytesIO(raw), engine="pyarrow", **options)  # multithreaded, ~5x faster
    except (ValueError, ImportError) as exc:  # an option or file the pyarrow parser cannot handle
        logger.debug("%s: pyarrow CSV reader failed (%s); using the C reader", path.name, exc)
        try:
            frame = pd.read_csv(io.BytesIO(raw), engine="c", **options)
        except pd.errors.ParserError as error:
            found = re.search(r"Expected (\d+) fields in line (\d+), saw (\d+)", str(error))
            detail = (
                f"line {int(found[2]) + skip} has {found[3]} values where the header has {found[1]}"
                if found
                else str(error).strip()
            )
            raise InputError(
                f"{path}: {detail}; a value probably holds the separator {delimiter!r} without quotes. "
                "Fix that line, or export again with text in quotes"
            ) from None
        if not isinstance(frame.index, pd.RangeIndex):  # every row longer than the header: pandas made an index
            raise InputError(
                f"{path}: line {skip + 2} has {len(frame.columns) + frame.index.nlevels} values where the header "
                f"has {len(frame.columns)}; a value probably holds the separator {delimiter!r} without quotes. "
                "Fix that line, or export again with text in quotes"
            ) from None
    frame[C.BARIS_SUMBER] = frame.index.to_numpy() + 2 + skip
    return frame


def read_parquet(path: Path) -> pd.DataFrame:
    """A Parquet register as text; a part of a province register keeps the origin of its rows.

    A part written by :func:`pipeline.ingest.split.split_register` carries
    ``file_sumber``, ``lembar_sumber`` and ``baris_sumber`` of the province
    file each row came from; it is marked in the file's metadata, so that a
    column of that name in any other file is not taken for an origin.
    """
    frame = pd.read_parquet(path)
    text = frame.astype("string").fillna("")
    if SPLIT_MARK in (pq.read_schema(path).metadata or {}) and C.BARIS_SUMBER in frame:
        text[C.BARIS_SUMBER] = frame[C.BARIS_SUMBER].to_numpy()
        text.attrs[SPLIT_MARK.decode()] = True
    else:
        text[C.BARIS_SUMBER] = frame.index.to_numpy() + 1
    return text


def read_points(path: Path) -> pd.DataFrame:
    try:
        layer = pyogrio.read_dataframe(path)
    except (pyogrio.errors.DataSourceError, pyogrio.errors.DataLayerError) as exc:
        raise InputError(
            f"{path}: GDAL cannot read it as a point layer ({exc}); export it as GeoPackage or CSV"
        ) from None
    if layer.crs is None:
        raise CRSError(f"{path}: point layer has no CRS; assign one in QGIS (Layer > Set CRS) and export again")
    if set(layer.geom_type.dropna()) - {"Point"}:
        raise InputError(f"{path}: households must be points, found {sorted(set(layer.geom_type.dropna()))}")
    points = layer.geometry.to_crs("EPSG:4326")
    text = pd.DataFrame(layer.drop(columns="geometry")).astype("string").fillna("")
    text[P3KE_HEADERS[C.LAT]] = points.y.map("{:.7f}".format).where(points.notna(), "")
    text[P3KE_HEADERS[C.LON]] = points.x.map("{:.7f}".format).where(points.notna(), "")
    text[C.BARIS_SUMBER] = layer.index.to_numpy() + 1
    return text
