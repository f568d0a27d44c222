"""Read a register file into a table of text: CSV, Excel, Parquet, and GeoPackage/GeoJSON points.

Every cell comes back as text exactly as typed (leading zeros of codes and
NIKs kept); parsing values is validation's job. Bad files are refused with
one line naming the file and the fix: empty, binary, ZIP, mixed encodings,
lines over :data:`MAX_LINE_BYTES`, ragged rows, duplicated headers.
"""

from __future__ import annotations

import csv
import datetime as dt
import logging
import re
from pathlib import Path

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq
import pyogrio
import python_calamine

from .. import columns as C
from ..errors import CRSError, InputError
from .headers import HEADER_SEARCH_ROWS, P3KE_HEADERS, find_header_row, header_hits
from .split import SPLIT_MARK

logger = logging.getLogger(__name__)


CSV_SUFFIXES: tuple[str, ...] = (".csv", ".txt")
EXCEL_SUFFIXES: tuple[str, ...] = (".xlsx", ".xls")


POINT_SUFFIXES: tuple[str, ...] = (".gpkg", ".geojson", ".json", ".shp", ".fgb")


#: The longest line a register row may have. A household row is a few kilobytes; a longer "line" is a file
#: without line breaks (or not a CSV at all), and reading it whole could exhaust memory.
MAX_LINE_BYTES: int = 1 << 20


CSV_DELIMITERS: tuple[str, ...] = (",", ";", "\t", "|")


#: A character that only a valid multi-byte UTF-8 sequence decodes to.
_NON_ASCII_TEXT = re.compile("[^\x00-\x7f\ufffd]")


def _csv_encoding(raw: bytes, path: Path) -> str:
    """The encoding of a whole CSV file: UTF-8 (with or without BOM), UTF-16 (with BOM), or cp1252.

    The whole file is checked, not a sample, so a multi-byte character
    split at any offset cannot tip the choice. A file that holds valid
    UTF-8 characters *and* bytes that are not UTF-8 mixes encodings:
    refused with the line of the first bad byte.

    Raises
    ------
    InputError
        If the file mixes encodings.
    """
    if raw.startswith((b"\xff\xfe", b"\xfe\xff")):
        return "utf-16"
    try:
        raw.decode("utf-8")
    except UnicodeDecodeError as exc:
        line = raw.count(b"\n", 0, exc.start) + 1
        decoded = raw.decode("utf-8", errors="replace")
        if _NON_ASCII_TEXT.search(decoded):
            raise InputError(
                f"{path}: line {line} is not UTF-8 while other lines are (the file mixes encodings, e.g. two "
                "exports pasted together); open it in a spreadsheet and save it again as CSV UTF-8"
            ) from None
        logger.warning(
            "%s: not UTF-8 (first non-UTF-8 byte on line %d); read as Windows-1252 (cp1252)", path.name, line
        )
        return "cp1252"
    return "utf-8-sig"


def _check_csv_bytes(raw: bytes, path: Path) -> None:
    """Refuse files that are not a CSV text before any parser sees them.

    Raises
    ------
    InputError
        For an empty file, a ZIP (an XLSX workbook or zipped file renamed
        ``.csv``), binary data, or a line longer than :data:`MAX_LINE_BYTES`.
    """
    if not raw.strip():
        raise InputError(f"{path}: the file is empty; export the register again")
    if raw.startswith(b"PK\x03\x04"):
        raise InputError(
            f"{path}: this is a ZIP archive, not a CSV text (an .xlsx workbook renamed .csv?); "
            "rename it to .xlsx, or unzip it and list the CSV inside"
        )
    utf16 = raw.startswith((b"\xff\xfe", b"\xfe\xff"))
    if not utf16 and b"\x00" in raw[:65_536]:
        raise InputError(f"{path}: holds binary data (NUL bytes), not CSV text; export the register as CSV or XLSX")
    breaks = np.flatnonzero(np.frombuffer(raw, dtype=np.uint8) == 10)
    edges = np.concatenate(([-1], breaks, [len(raw)]))
    longest = int(np.diff(edges).max()) - 1
    if longest > MAX_LINE_BYTES * (2 if utf16 else 1):
        line = int(np.argmax(np.diff(edges))) + 1
        raise InputError(
            f"{path}: line {line} is {longest:,} bytes long with no line break (a register row is a few kB); "
            "this is not a register export, or its line breaks were lost. Export it again as CSV"
        )


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


def read_csv(path: Path) -> pd.DataFrame:
    import io

    raw = path.read_bytes()
    _check_csv_bytes(raw, path)
    encoding = _csv_encoding(raw, path)
    if encoding == "utf-16":
        raw, encoding = raw.decode("utf-16").encode("utf-8"), "utf-8"
    head = raw[:65_536].decode(encoding, errors="replace").splitlines()[:HEADER_SEARCH_ROWS]
    delimiter, skip = _csv_layout(head, path)
    header = next(csv.reader(head[skip : skip + 1], delimiter=delimiter), [])
    names = [h.strip() for h in header if h.strip()]
    twice = sorted({h for h in names if names.count(h) > 1})
    if twice:
        raise InputError(
            f"{path}: column(s) {', '.join(repr(h) for h in twice)} appear more than once in the header "
            f"(line {skip + 1}); rename or delete the extra column so that each value has one meaning"
        )
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
    frame[C.BARIS_SUMBER] = frame.index.to_numpy() + 2 + skip
    return frame


#: Rows converted to Arrow text at a time when reading a sheet (bounds peak memory).
EXCEL_CHUNK_ROWS: int = 50_000


def _cell_text(value: object) -> str:
    """One non-text Excel cell as text, the way the register meant it.

    Whole numbers lose their ``.0``; a number of 16 digits or more keeps
    Excel's scientific form (``3.374012345678901E+15``), because Excel kept
    only 15 significant digits: such a NIK or No KK is broken and must be
    reported, not repaired. Dates become ISO dates; TRUE/FALSE become 1/0.
    """
    if isinstance(value, bool):
        return "1" if value else "0"
    if isinstance(value, float):
        if abs(value) >= 1e15:
            return f"{value:.15E}"
        return str(int(value)) if value.is_integer() else repr(value)
    if isinstance(value, dt.datetime):
        return value.date().isoformat() if value.time() == dt.time() else value.isoformat(sep=" ")
    if isinstance(value, (dt.date, dt.time)):
        return value.isoformat()
    return "" if value is None else str(value)


_to_text = np.frompyfunc(_cell_text, 1, 1)


def _text_array(values: np.ndarray) -> pa.Array:
    """An object column of Excel cells as an Arrow string array (fast when all cells are text)."""
    try:
        return pa.array(values, type=pa.large_string())
    except (pa.ArrowTypeError, pa.ArrowInvalid):  # numbers, dates or booleans among the text
        return pa.array(_to_text(values), type=pa.large_string())


def _sheet_table(sheet: python_calamine.CalamineSheet, path: Path) -> pd.DataFrame | None:
    """One sheet's table below its detected header row, all text; None when no header is found."""
    rows = sheet.iter_rows()  # from Excel row 1, even when the sheet's first rows are empty
    head = [row for _, row in zip(range(HEADER_SEARCH_ROWS), rows, strict=False)]
    head_text = [[_cell_text(v).strip() for v in row] for row in head]
    at = find_header_row(head_text)
    if at is None:
        if any(any(row) for row in head_text):
            logger.warning(
                "%s [%s]: no household or member header found in the first %d rows; sheet skipped",
                path.name,
                sheet.name,
                HEADER_SEARCH_ROWS,
            )
        return None
    headers = [h or f"kolom_{i + 1}" for i, h in enumerate(head_text[at])]
    width = len(headers)
    tables, first_line = [], at + 2  # Excel's own row number of the first row below the header
    pending = head[at + 1 :]
    while True:
        pending += [row for _, row in zip(range(EXCEL_CHUNK_ROWS - len(pending)), rows, strict=False)]
        if not pending:
            break
        grid = np.empty((len(pending), width), dtype=object)
        grid[:] = [row[:width] + [""] * (width - len(row)) for row in pending]
        columns = {name: _text_array(grid[:, j]) for j, name in enumerate(headers)}
        columns[C.BARIS_SUMBER] = pa.array(np.arange(first_line, first_line + len(pending)))
        tables.append(pa.table(columns))
        first_line += len(pending)
        pending = []
    if not tables:
        return pd.DataFrame(columns=[*headers, C.BARIS_SUMBER, C.LEMBAR_SUMBER])
    body = pa.concat_tables(tables).to_pandas()
    body = body[(body[headers] != "").any(axis=1)].reset_index(drop=True)  # empty rows are not records
    body[C.LEMBAR_SUMBER] = sheet.name
    return body


def read_excel(path: Path, sheet: str | None) -> list[pd.DataFrame]:
    """Every sheet of a workbook that holds a table, read with calamine (Rust) a chunk at a time."""
    try:
        book = python_calamine.CalamineWorkbook.from_path(str(path))
        names = [sheet] if sheet else book.sheet_names
        sheets = [book.get_sheet_by_name(name) for name in names]
    except python_calamine.PasswordError:
        raise InputError(f"{path}: the workbook is password-protected; save a copy without a password") from None
    except (python_calamine.CalamineError, python_calamine.XmlError, python_calamine.ZipError, ValueError) as exc:
        if sheet and "sheet" in str(exc).lower():
            raise InputError(
                f"{path}: no sheet named '{sheet}' ({exc}); fix [households] sheet in the region TOML"
            ) from None
        raise InputError(
            f"{path}: the workbook cannot be read ({exc}); it is damaged or not an Excel file. Open it in Excel or "
            "LibreOffice and save it again as .xlsx, or export the register as CSV"
        ) from None
    frames = [frame for frame in (_sheet_table(s, path) for s in sheets) if frame is not None]
    if not frames:
        raise InputError(f"{path}: no sheet holds a household table (headers such as NIK, Desil, ID Keluarga)")
    return frames


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
