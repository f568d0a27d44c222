"""A column-wise XLSX writer for large by-name tables: no cell can become a formula.

xlsxwriter writes one Python call per cell; a target list of a million
households took most of a province run. This module builds each sheet's XML
a column at a time with Arrow's string kernels and streams it into the zip:

- every text cell is a *shared string* (``t="s"``, as Excel writes text): a
  value such as ``=HYPERLINK(...)``, ``@SUM(A1)`` or ``+62 812`` is stored
  as text and no ``<f>`` (formula) element is ever written; the table of
  distinct texts is built with Arrow's dictionary encoding; a 16-digit NIK stays 16
  characters, not a rounded number;
- numbers are numeric cells with their shortest round-trip decimal form;
- ``&``, ``<``, ``>`` are escaped, control characters XML 1.0 cannot hold
  are written as Excel's ``_xHHHH_`` escapes (and a literal ``_xHHHH_`` in the
  text is protected), texts longer than Excel's 32,767-character cell limit
  are cut there;
- the header row is bold and frozen, with an autofilter, as before.

The file is what Excel, LibreOffice, openpyxl, calamine and GDAL read; the
caller writes it to a temporary path (see :func:`pipeline.publish.files.atomic_path`).
"""

from __future__ import annotations

import datetime as dt
import re
import zipfile
from collections.abc import Mapping
from pathlib import Path
from xml.sax.saxutils import escape, quoteattr

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc

from .. import columns as C
from ..codes import kecamatan_of

#: Excel's limits: rows per sheet and characters per cell.
EXCEL_MAX_ROWS: int = 1_048_576
EXCEL_MAX_CELL: int = 32_767
#: Rows whose XML is built and streamed at once (bounds the memory of a large sheet).
CHUNK_ROWS: int = 100_000

_NS = 'xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main"'
_NS_R = 'xmlns:r="http://schemas.openxmlformats.org/officeDocument/2006/relationships"'
_HEAD = '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n'
#: Characters XML 1.0 cannot hold, and a literal escape sequence that Excel would decode.
_CONTROL = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ufffe\uffff]")
_LITERAL_ESCAPE = re.compile("_(x[0-9A-Fa-f]{4}_)")
_NEEDS_EXCEL_ESCAPE = f"{_CONTROL.pattern}|{_LITERAL_ESCAPE.pattern}"

_STYLES = (
    _HEAD + f"<styleSheet {_NS}>"
    '<fonts count="2"><font><sz val="11"/><name val="Calibri"/><family val="2"/></font>'
    '<font><b/><sz val="11"/><name val="Calibri"/><family val="2"/></font></fonts>'
    '<fills count="2"><fill><patternFill patternType="none"/></fill><fill><patternFill patternType="gray125"/></fill></fills>'
    '<borders count="1"><border><left/><right/><top/><bottom/><diagonal/></border></borders>'
    '<cellStyleXfs count="1"><xf numFmtId="0" fontId="0" fillId="0" borderId="0"/></cellStyleXfs>'
    '<cellXfs count="2"><xf numFmtId="0" fontId="0" fillId="0" borderId="0" xfId="0"/>'
    '<xf numFmtId="0" fontId="1" fillId="0" borderId="0" xfId="0" applyFont="1"/></cellXfs>'
    '<cellStyles count="1"><cellStyle name="Normal" xfId="0" builtinId="0"/></cellStyles></styleSheet>'
)


def column_letter(index: int) -> str:
    """Excel's column name of a 0-based index: 0 -> ``A``, 25 -> ``Z``, 26 -> ``AA``."""
    name = ""
    index += 1
    while index:
        index, rest = divmod(index - 1, 26)
        name = chr(65 + rest) + name
    return name


def _excel_escapes(text: str) -> str:
    """Control characters as Excel's ``_xHHHH_``, and a literal ``_xHHHH_`` protected as ``_x005F_xHHHH_``."""
    text = _LITERAL_ESCAPE.sub(r"_x005F_\1", text)
    return _CONTROL.sub(lambda m: f"_x{ord(m.group()):04X}_", text)


def _texts(values: pd.Series) -> pa.Array:
    """A non-numeric column as Arrow strings, XML-escaped; missing cells null."""
    if isinstance(values.dtype, pd.CategoricalDtype):
        values = values.astype(object)
    try:  # texts, None and NaN: converted in Arrow
        text = pa.array(values, from_pandas=True, type=pa.string())
    except (pa.ArrowInvalid, pa.ArrowTypeError):  # booleans, numbers in a text column: as str() writes them
        text = pa.array(values.astype(str).where(pd.notna(values), None), from_pandas=True, type=pa.string())
    if isinstance(text, pa.ChunkedArray):  # from an Arrow-backed pandas column
        text = text.combine_chunks()
    text = pc.utf8_slice_codeunits(text, 0, EXCEL_MAX_CELL)
    special = pc.fill_null(pc.match_substring_regex(text, _NEEDS_EXCEL_ESCAPE), False)
    if pc.any(special).as_py():  # rare: done per such value, the rest stays vectorised
        fixed = [_excel_escapes(v) if s else v for v, s in zip(text.to_pylist(), special.to_pylist(), strict=True)]
        text = pa.array(fixed, type=pa.string())
    for raw, safe in (("&", "&amp;"), ("<", "&lt;"), (">", "&gt;")):
        text = pc.replace_substring(text, raw, safe)
    return text


class SharedStrings:
    """The workbook's table of texts (``xl/sharedStrings.xml``), filled a column at a time.

    Text cells refer to it by number (``t="s"``), as Excel itself writes
    them; every reader decodes its ``_xHHHH_`` escapes the same way. Texts
    are made distinct within each column (Arrow's dictionary encoding, no
    Python per value); the same text in two columns or two chunks of rows is
    listed twice, which Excel itself also writes and every reader takes.
    """

    def __init__(self) -> None:
        self.parts: list[pa.Array] = []
        self.size = 0
        self.count = 0

    def codes(self, text: pa.Array) -> np.ndarray:
        """The numbers of ``text``'s escaped values in the table (-1 for a missing cell), adding them."""
        encoded = pc.dictionary_encode(text)
        self.parts.append(encoded.dictionary)
        numbers = pc.add(encoded.indices.cast(pa.int64()), self.size)
        self.size += len(encoded.dictionary)
        self.count += len(text) - text.null_count
        return pc.fill_null(numbers, -1).to_numpy(zero_copy_only=False)

    def xml(self) -> bytes:
        """The ``sharedStrings.xml`` part."""
        items = pa.concat_arrays(self.parts) if self.parts else pa.array([], type=pa.string())
        body = pc.binary_join_element_wise('<si><t xml:space="preserve">', items, "</t></si>", "")
        return (
            f'{_HEAD}<sst {_NS} count="{self.count}" uniqueCount="{self.size}">' + "".join(body.to_pylist()) + "</sst>"
        ).encode()


def _column_cells(values: pd.Series, refs: pa.Array, strings: SharedStrings) -> pa.Array:
    """The ``<c>`` elements of one column (an empty string for a missing cell)."""
    numeric = pd.api.types.is_numeric_dtype(values) and not pd.api.types.is_bool_dtype(values)
    if numeric:
        number = pd.to_numeric(values, errors="coerce").astype("float64").to_numpy()
        finite = np.isfinite(number)
        text = pc.cast(pa.array(np.where(finite, number, 0.0)), pa.string())
        cells = pc.binary_join_element_wise('<c r="', refs, '"><v>', text, "</v></c>", "")
        infinite = np.isinf(number)
        if infinite.any():  # as xlsxwriter's nan_inf_to_errors did
            cells = pc.if_else(
                pa.array(infinite), pc.binary_join_element_wise('<c r="', refs, '" t="e"><v>#DIV/0!</v></c>', ""), cells
            )
        return pc.if_else(pa.array(finite | infinite), cells, "")
    codes = strings.codes(_texts(values))
    cells = pc.binary_join_element_wise(
        '<c r="', refs, '" t="s"><v>', pc.cast(pa.array(codes), pa.string()), "</v></c>", ""
    )
    return pc.if_else(pa.array(codes >= 0), cells, "")


def _sheet_rows(frame: pd.DataFrame, start: int, strings: SharedStrings) -> bytes:
    """The ``<row>`` elements of ``frame``, its first row numbered ``start`` (1-based)."""
    numbers = pa.array(np.arange(start, start + len(frame)).astype(str))
    columns = []
    for j, name in enumerate(frame.columns):
        refs = pc.binary_join_element_wise(column_letter(j), numbers, "")
        columns.append(_column_cells(frame[name].reset_index(drop=True), refs, strings))
    rows = pc.binary_join_element_wise('<row r="', numbers, '">', *columns, "</row>", "")
    rows = rows.cast(pa.large_string()) if isinstance(rows, pa.ChunkedArray) else rows
    return "".join(rows.to_pylist()).encode()


def _sheet(out: zipfile.ZipFile, member: str, frame: pd.DataFrame, strings: SharedStrings) -> None:
    """Stream one worksheet into ``out``."""
    n_cols = len(frame.columns)
    last = f"{column_letter(max(n_cols, 1) - 1)}{len(frame) + 1}"
    widths = "".join(
        f'<col min="{j + 1}" max="{j + 1}" width="{min(40, max(10, len(str(c)) + 2)) + 0.7109375}" customWidth="1"/>'
        for j, c in enumerate(frame.columns)
    )
    names = strings.codes(_texts(pd.Series([str(c) for c in frame.columns], dtype=object)))
    header = "".join(f'<c r="{column_letter(j)}1" s="1" t="s"><v>{code}</v></c>' for j, code in enumerate(names))
    with out.open(member, "w", force_zip64=True) as stream:
        stream.write(
            (
                _HEAD + f'<worksheet {_NS} {_NS_R}><dimension ref="A1:{last}"/>'
                '<sheetViews><sheetView workbookViewId="0"><pane ySplit="1" topLeftCell="A2" activePane="bottomLeft" '
                'state="frozen"/><selection pane="bottomLeft"/></sheetView></sheetViews>'
                '<sheetFormatPr defaultRowHeight="15"/>'
                + (f"<cols>{widths}</cols>" if widths else "")
                + "<sheetData>"
                + (f'<row r="1">{header}</row>' if n_cols else "")
            ).encode()
        )
        for start in range(0, len(frame), CHUNK_ROWS):
            stream.write(_sheet_rows(frame.iloc[start : start + CHUNK_ROWS], start + 2, strings))
        stream.write(("</sheetData>" + (f'<autoFilter ref="A1:{last}"/>' if n_cols else "") + "</worksheet>").encode())


def write_xlsx(sheets: Mapping[str, pd.DataFrame], path: str | Path) -> None:
    """Write ``sheets`` (name -> table, names already valid and unique) to the ``.xlsx`` file ``path``.

    Raises
    ------
    ValueError
        A sheet longer than Excel's 1,048,576 rows (split it first:
        :func:`split_sheets`).
    """
    names = list(sheets)
    for name, frame in sheets.items():
        if len(frame) + 1 > EXCEL_MAX_ROWS:
            raise ValueError(f"sheet {name!r} has {len(frame):,} rows, more than Excel's {EXCEL_MAX_ROWS - 1:,}")
    overrides = "".join(
        f'<Override PartName="/xl/worksheets/sheet{i}.xml" '
        'ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.worksheet+xml"/>'
        for i in range(1, len(names) + 1)
    )
    types = (
        _HEAD + '<Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types">'
        '<Default Extension="rels" ContentType="application/vnd.openxmlformats-package.relationships+xml"/>'
        '<Default Extension="xml" ContentType="application/xml"/>'
        '<Override PartName="/xl/workbook.xml" '
        'ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet.main+xml"/>'
        '<Override PartName="/xl/styles.xml" '
        'ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.styles+xml"/>'
        '<Override PartName="/docProps/core.xml" ContentType="application/vnd.openxmlformats-package.core-properties+xml"/>'
        '<Override PartName="/xl/sharedStrings.xml" '
        'ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.sharedStrings+xml"/>'
        f"{overrides}</Types>"
    )
    rel = "http://schemas.openxmlformats.org/officeDocument/2006/relationships"
    package_rels = (
        _HEAD + '<Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships">'
        f'<Relationship Id="rId1" Type="{rel}/officeDocument" Target="xl/workbook.xml"/>'
        '<Relationship Id="rId2" Type="http://schemas.openxmlformats.org/package/2006/relationships/metadata/'
        'core-properties" Target="docProps/core.xml"/></Relationships>'
    )
    book_rels = (
        _HEAD
        + '<Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships">'
        + "".join(
            f'<Relationship Id="rId{i}" Type="{rel}/worksheet" Target="worksheets/sheet{i}.xml"/>'
            for i in range(1, len(names) + 1)
        )
        + f'<Relationship Id="rId{len(names) + 1}" Type="{rel}/styles" Target="styles.xml"/>'
        + f'<Relationship Id="rId{len(names) + 2}" Type="{rel}/sharedStrings" Target="sharedStrings.xml"/>'
        + "</Relationships>"
    )
    filters = "".join(
        f'<definedName name="_xlnm._FilterDatabase" localSheetId="{i}" hidden="1">'
        f"{escape(_quoted(name))}!$A$1:${column_letter(len(frame.columns) - 1)}${len(frame) + 1}</definedName>"
        for i, (name, frame) in enumerate(sheets.items())
        if len(frame.columns)
    )
    workbook = (
        _HEAD
        + f"<workbook {_NS} {_NS_R}><sheets>"
        + "".join(f'<sheet name={quoteattr(n)} sheetId="{i}" r:id="rId{i}"/>' for i, n in enumerate(names, 1))
        + "</sheets>"
        + (f"<definedNames>{filters}</definedNames>" if filters else "")
        + '<calcPr calcId="124519" fullCalcOnLoad="1"/></workbook>'
    )
    now = dt.datetime.now(dt.UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
    core = (
        _HEAD + '<cp:coreProperties xmlns:cp="http://schemas.openxmlformats.org/package/2006/metadata/core-properties" '
        'xmlns:dc="http://purl.org/dc/elements/1.1/" xmlns:dcterms="http://purl.org/dc/terms/" '
        'xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance"><dc:creator>kantong</dc:creator>'
        f'<dcterms:created xsi:type="dcterms:W3CDTF">{now}</dcterms:created></cp:coreProperties>'
    )
    with zipfile.ZipFile(path, "w", compression=zipfile.ZIP_DEFLATED, compresslevel=1) as out:
        out.writestr("[Content_Types].xml", types)
        out.writestr("_rels/.rels", package_rels)
        out.writestr("docProps/core.xml", core)
        out.writestr("xl/workbook.xml", workbook)
        out.writestr("xl/_rels/workbook.xml.rels", book_rels)
        out.writestr("xl/styles.xml", _STYLES)
        strings = SharedStrings()
        for i, frame in enumerate(sheets.values(), 1):
            _sheet(out, f"xl/worksheets/sheet{i}.xml", frame, strings)
        out.writestr("xl/sharedStrings.xml", strings.xml())


def _quoted(name: str) -> str:
    """A sheet name as a formula reference: quoted, with ``'`` doubled."""
    return "'" + name.replace("'", "''") + "'"


#: Default largest sheet of a by-name workbook; longer lists are split (always below Excel's limit).
WORKBOOK_MAX_ROWS: int = 200_000
INDEX_SHEET: str = "indeks"


def _units(frame: pd.DataFrame, max_rows: int) -> list[tuple[str, str, np.ndarray]]:
    """Groups of rows to pack into sheets: a kecamatan, else its kelurahan, else slices of one kelurahan.

    Returns (kecamatan code, kelurahan code or "", row positions) in code order.
    """
    kel = frame[C.KODE_KEL].astype("string").fillna("")
    positions = pd.Series(np.arange(len(frame)))
    rows_of_kec = positions.groupby(kecamatan_of(kel).to_numpy(), sort=True).indices
    rows_of_kel = positions.groupby(kel.to_numpy(), sort=True).indices
    units: list[tuple[str, str, np.ndarray]] = []
    for code in sorted(rows_of_kec):
        rows = rows_of_kec[code]
        if len(rows) <= max_rows:
            units.append((code, "", rows))
            continue
        for k in sorted(k for k in rows_of_kel if k[:8] == code):
            rows = rows_of_kel[k]
            units += [(code, k, rows[s : s + max_rows]) for s in range(0, len(rows), max_rows)]
    return units


def split_sheets(sheets: Mapping[str, pd.DataFrame], *, max_rows: int = WORKBOOK_MAX_ROWS) -> dict[str, pd.DataFrame]:
    """Sheets longer than ``max_rows`` split into numbered parts, with an index sheet first.

    A list with a ``kode_kel`` column is split by kecamatan (its first
    eight characters, ``33.74.01``): whole kecamatan are packed into parts
    of at most ``max_rows`` rows in code order; a kecamatan longer than that
    is split by kelurahan, and a kelurahan longer than that into slices. Rows
    keep their order (the rank) within a part. Other tables are cut into
    slices. The ``indeks`` sheet lists each part with its kecamatan, its
    first and last kelurahan and its rows. Sheets within the limit are
    returned as they are, and with no sheet over it there is no index.
    """
    max_rows = min(max_rows, EXCEL_MAX_ROWS - 1)
    out: dict[str, pd.DataFrame] = {}
    index: list[dict[str, object]] = []
    for name, frame in sheets.items():
        if len(frame) <= max_rows:
            out[name] = frame
            continue
        if C.KODE_KEL in frame:
            units = _units(frame, max_rows)
        else:
            units = [("", "", np.arange(s, min(s + max_rows, len(frame)))) for s in range(0, len(frame), max_rows)]
        parts: list[list[tuple[str, str, np.ndarray]]] = [[]]
        filled = 0
        for unit in units:
            if parts[-1] and filled + len(unit[2]) > max_rows:
                parts.append([])
                filled = 0
            parts[-1].append(unit)
            filled += len(unit[2])
        for k, part in enumerate(parts, 1):
            sheet = f"{name[:24]} {k}"
            positions = np.sort(np.concatenate([u[2] for u in part]))
            out[sheet] = frame.iloc[positions]
            codes = out[sheet][C.KODE_KEL].astype("string") if C.KODE_KEL in frame else pd.Series(dtype="string")
            index.append(
                {
                    "lembar": sheet,
                    "tabel": name,
                    "kode_kec": ", ".join(sorted({u[0] for u in part if u[0]})),
                    "kode_kel_awal": codes.min() if len(codes.dropna()) else "",
                    "kode_kel_akhir": codes.max() if len(codes.dropna()) else "",
                    "baris": len(positions),
                }
            )
    if not index:
        return out
    return {INDEX_SHEET: pd.DataFrame(index), **out}
