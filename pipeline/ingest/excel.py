"""Read the tables of an Excel workbook as text, the way the register meant each cell.

Each sheet is read in two passes of fastexcel (calamine, in Rust, straight
into Arrow): its first :data:`~.headers.HEADER_SEARCH_ROWS` rows as text to
find the header row under title lines, then the rows below it with one type
per column. Numbers, dates and booleans are then turned into text in whole
columns, with the same rules as :func:`cell_text`. A sheet with a column
that mixes types (a NIK typed as a number in some rows and as text in
others) is read cell by cell with python-calamine instead, because
fastexcel would write its numbers as Excel displays them and so hide a NIK
that Excel has already rounded.
"""

from __future__ import annotations

import datetime as dt
import logging
from pathlib import Path

import fastexcel
import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc
import python_calamine

from .. import columns as C
from ..errors import InputError
from .headers import HEADER_SEARCH_ROWS, find_header_row
from .xlsx_head import first_rows

logger = logging.getLogger(__name__)
logging.getLogger("fastexcel").setLevel(logging.ERROR)  # its dtype guesses are not news to a data officer

EXCEL_SUFFIXES: tuple[str, ...] = (".xlsx", ".xls")

#: Rows converted to Arrow text at a time when a sheet is read cell by cell (bounds peak memory).
EXCEL_CHUNK_ROWS: int = 50_000

#: Numbers this large were rounded by Excel to 15 significant digits: a NIK or No KK so stored is broken.
_EXCEL_DIGITS_LIMIT = 1e15


def cell_text(value: object) -> str:
    """One non-text Excel cell as text, the way the register meant it.

    Whole numbers lose their ``.0``; a number of 16 digits or more keeps
    Excel's scientific form (``3.374012345678901E+15``), because Excel kept
    only 15 significant digits: such a NIK or No KK is broken and must be
    reported, not repaired. Other numbers are written in their shortest
    exact form. Dates become ISO dates; TRUE/FALSE become 1/0.
    """
    if isinstance(value, bool):
        return "1" if value else "0"
    if isinstance(value, float):
        if abs(value) >= _EXCEL_DIGITS_LIMIT:
            return f"{value:.15E}"
        return str(int(value)) if value.is_integer() else repr(value)
    if isinstance(value, dt.datetime):
        return value.date().isoformat() if value.time() == dt.time() else value.isoformat(sep=" ")
    if isinstance(value, (dt.date, dt.time)):
        return value.isoformat()
    return "" if value is None else str(value)


class _MixedColumn(Exception):
    """A sheet fastexcel cannot read with one type per column: a column mixing types, or a cell it cannot take."""


def _numbers_text(values: np.ndarray) -> np.ndarray:
    """Float cells as text by :func:`cell_text`'s rules, a whole column at a time; NaN (empty) as ""."""
    out = np.full(len(values), "", dtype=object)
    present = ~np.isnan(values)
    big = present & (np.abs(values, where=present, out=np.zeros_like(values)) >= _EXCEL_DIGITS_LIMIT)
    whole = present & ~big & (values == np.floor(values, where=present, out=np.zeros_like(values)))
    fraction = present & ~big & ~whole
    out[whole] = values[whole].astype(np.int64).astype(str)
    out[fraction] = values[fraction].astype(str)  # numpy's shortest round-trip form, as repr()
    out[big] = [f"{v:.15E}" for v in values[big]]
    return out


def _times_text(values: pd.Series) -> np.ndarray:
    """Excel date-times as text: a date at midnight, a time of day alone, else date and time."""
    out = np.full(len(values), "", dtype=object)
    present = values.notna().to_numpy()
    stamps = values[present]
    day = stamps.dt.normalize()
    clock = stamps - day
    fraction = stamps.dt.microsecond.to_numpy() != 0
    text = np.where(
        fraction, stamps.dt.strftime("%Y-%m-%d %H:%M:%S.%f"), stamps.dt.strftime("%Y-%m-%d %H:%M:%S")
    ).astype(object)
    midnight = (clock == pd.Timedelta(0)).to_numpy()
    text[midnight] = stamps[midnight].dt.strftime("%Y-%m-%d").to_numpy()
    time_only = (day == pd.Timestamp("1899-12-31")).to_numpy()  # a serial under 1: a time of day
    text[time_only] = [t[11:] for t in text[time_only]]
    text[time_only & midnight] = "00:00:00"
    out[present] = text
    return out


def _column_text(column: pa.Array) -> pa.Array:
    """A typed Arrow column of Excel cells as an Arrow text column, empty cells as ""."""
    kind = column.type
    if pa.types.is_string(kind) or pa.types.is_large_string(kind):
        return column.cast(pa.large_string()).fill_null("")
    if pa.types.is_null(kind):
        return pa.array([""] * len(column), type=pa.large_string())
    if pa.types.is_boolean(kind):
        return pc.if_else(column, "1", "0").cast(pa.large_string()).fill_null("")
    if pa.types.is_floating(kind):
        return pa.array(_numbers_text(column.to_numpy(zero_copy_only=False).astype(float)), pa.large_string())
    if pa.types.is_integer(kind):  # cells stored as whole numbers (.xls); python-calamine gives int
        values = column.to_pandas()
        return pa.array(values.astype("string").fillna("").to_numpy(dtype=object), pa.large_string())
    if pa.types.is_timestamp(kind):
        return pa.array(_times_text(column.to_pandas()), pa.large_string())
    if pa.types.is_date(kind):
        return pc.strftime(column.cast(pa.timestamp("s")), "%Y-%m-%d").cast(pa.large_string()).fill_null("")
    raise _MixedColumn(str(kind))


def _header(rows: list[list[object]], path: Path, sheet: str) -> tuple[int, list[str]] | None:
    """The header row's index (0 = Excel row 1) and column names; None (with a warning) when there is none."""
    head_text = [[cell_text(v).strip() for v in row] for row in rows]
    at = find_header_row(head_text)
    if at is None:
        if any(any(row) for row in head_text):
            logger.warning(
                "%s [%s]: no household or member header found in the first %d rows; sheet skipped",
                path.name,
                sheet,
                HEADER_SEARCH_ROWS,
            )
        return None
    headers = [h or f"kolom_{i + 1}" for i, h in enumerate(head_text[at])]
    twice = sorted({h for h in headers if headers.count(h) > 1})
    if twice:
        raise InputError(
            f"{path} [{sheet}]: column(s) {', '.join(repr(h) for h in twice)} appear more than once in the header "
            f"(row {at + 1}); rename or delete the extra column so that each value has one meaning"
        )
    return at, headers


def _finish(body: pd.DataFrame, headers: list[str], sheet: str) -> pd.DataFrame:
    """Drop rows with no value under any header (they are not records) and name the sheet."""
    body = body[(body[headers] != "").any(axis=1)].reset_index(drop=True)
    body[C.LEMBAR_SUMBER] = sheet
    return body


def _fast_sheet(book: fastexcel.ExcelReader, name: str, path: Path) -> pd.DataFrame | None:
    """One sheet's table read by fastexcel; :class:`_MixedColumn` when a column mixes cell types.

    The header row is found in the sheet's first rows, streamed from the
    ``.xlsx`` XML (:func:`~.xlsx_head.first_rows`) or, for other workbooks,
    read by fastexcel as text. The rows below it are then read once, each
    column with the one type all its cells have.
    """
    head = first_rows(path, name, rows=HEADER_SEARCH_ROWS) if path.suffix.lower() == ".xlsx" else None
    if head is None:
        top = book.load_sheet(name, header_row=None, skip_rows=0, n_rows=HEADER_SEARCH_ROWS, dtypes="string")
        head = [list(row.values()) for row in top.to_arrow().to_pylist()]
    found = _header(head, path, name)
    if found is None:
        return None
    at, expected = found
    try:
        sheet = book.load_sheet(
            name,
            header_row=at,
            skip_rows=0,
            dtype_coercion="strict",
            schema_sample_rows=None,  # every cell decides its column's type
        )
        batch = sheet.to_arrow()
    except fastexcel.FastExcelError as exc:  # mostly a column mixing types; else the cell reader says what is wrong
        raise _MixedColumn(str(exc).splitlines()[0]) from None
    named = ["" if n.startswith("__UNNAMED__") else n.strip() for n in batch.schema.names]
    if [n for n in named if n] != [h for h in expected if not h.startswith("kolom_")]:
        raise _MixedColumn(f"header row {at + 1} read differently ({named[:5]}…)")
    headers = [n or f"kolom_{i + 1}" for i, n in enumerate(named)]
    columns = {header: _column_text(batch.column(j)) for j, header in enumerate(headers)}
    columns[C.BARIS_SUMBER] = pa.array(np.arange(at + 2, at + 2 + batch.num_rows))
    return _finish(pa.table(columns).to_pandas(), headers, name)


def _text_array(values: np.ndarray) -> pa.Array:
    """An object column of Excel cells as an Arrow string array (fast when all cells are text)."""
    try:
        return pa.array(values, type=pa.large_string())
    except (pa.ArrowTypeError, pa.ArrowInvalid):  # numbers, dates or booleans among the text
        return pa.array(np.frompyfunc(cell_text, 1, 1)(values), type=pa.large_string())


def _cell_sheet(path: Path, name: str) -> pd.DataFrame | None:
    """One sheet's table read cell by cell with python-calamine, a chunk of rows at a time."""
    sheet = python_calamine.CalamineWorkbook.from_path(str(path)).get_sheet_by_name(name)
    rows = sheet.iter_rows()  # from Excel row 1, even when the sheet's first rows are empty
    head = [row for _, row in zip(range(HEADER_SEARCH_ROWS), rows, strict=False)]
    found = _header(head, path, name)
    if found is None:
        return None
    at, headers = found
    width = len(headers)
    tables, first_line = [], at + 2  # Excel's own row number of the first row below the header
    pending = head[at + 1 :]
    while True:
        pending += [row for _, row in zip(range(EXCEL_CHUNK_ROWS - len(pending)), rows, strict=False)]
        if not pending:
            break
        grid = np.empty((len(pending), width), dtype=object)
        grid[:] = [row[:width] + [""] * (width - len(row)) for row in pending]
        columns = {header: _text_array(grid[:, j]) for j, header in enumerate(headers)}
        columns[C.BARIS_SUMBER] = pa.array(np.arange(first_line, first_line + len(pending)))
        tables.append(pa.table(columns))
        first_line += len(pending)
        pending = []
    if not tables:
        return pd.DataFrame(columns=[*headers, C.BARIS_SUMBER, C.LEMBAR_SUMBER])
    return _finish(pa.concat_tables(tables).to_pandas(), headers, name)


def _damaged(path: Path, exc: Exception, sheet: str | None) -> InputError:
    """The one-line error for a workbook fastexcel cannot open."""
    text = str(exc).splitlines()[0] if str(exc) else type(exc).__name__
    if "password" in str(exc).lower():
        return InputError(f"{path}: the workbook is password-protected; save a copy without a password")
    if sheet and "sheet" in text.lower():
        return InputError(f"{path}: no sheet named '{sheet}' ({text}); fix [households] sheet in the region TOML")
    return InputError(
        f"{path}: the workbook cannot be read ({text}); it is damaged or not an Excel file. Open it in Excel or "
        "LibreOffice and save it again as .xlsx, or export the register as CSV"
    )


def read_excel(path: Path, sheet: str | None) -> list[pd.DataFrame]:
    """Every sheet of a workbook that holds a household or member table, each cell as text.

    Parameters
    ----------
    path : Path
        An ``.xlsx`` or ``.xls`` workbook.
    sheet : str or None
        Read only this sheet; None reads every sheet and skips those without a known header.

    Returns
    -------
    list of pandas.DataFrame
        One table per sheet, with ``baris_sumber`` (Excel's row number) and ``lembar_sumber``.

    Raises
    ------
    InputError
        For a damaged, password-protected or missing-sheet workbook, a header
        that repeats a column, or a workbook where no sheet holds a table.
    """
    try:
        book = fastexcel.read_excel(path)
        names = [sheet] if sheet else book.sheet_names
        if sheet and sheet not in book.sheet_names:
            raise InputError(
                f"{path}: no sheet named '{sheet}' (sheets: {', '.join(book.sheet_names)}); "
                "fix [households] sheet in the region TOML"
            )
        frames = []
        for name in names:
            try:
                frame = _fast_sheet(book, name, path)
            except _MixedColumn as mixed:
                logger.info("%s [%s]: %s; the sheet is read cell by cell", path.name, name, mixed)
                frame = _cell_sheet(path, name)
            if frame is not None:
                frames.append(frame)
    except (
        fastexcel.FastExcelError,
        python_calamine.CalamineError,
        python_calamine.PasswordError,
        python_calamine.XmlError,
        python_calamine.ZipError,
        OSError,
    ) as exc:
        raise _damaged(path, exc, sheet) from None
    if not frames:
        raise InputError(f"{path}: no sheet holds a household table (headers such as NIK, Desil, ID Keluarga)")
    return frames
