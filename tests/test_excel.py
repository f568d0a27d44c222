"""Excel registers: fastexcel's typed read gives the same text as the cell-by-cell reader it replaces."""

from __future__ import annotations

import datetime as dt
import logging
import zipfile
from pathlib import Path

import fastexcel
import numpy as np
import openpyxl
import pandas as pd
import pytest
from openpyxl.cell.rich_text import CellRichText, TextBlock
from openpyxl.cell.text import InlineFont

from pipeline import columns as C
from pipeline.errors import InputError
from pipeline.ingest.excel import _cell_sheet, _fast_sheet, cell_text, read_excel
from pipeline.ingest.validate import validate_households
from pipeline.ingest.xlsx_head import first_rows

TITLE = ["DATA P3KE (SINTETIS)"]
HEADER = ["ID Keluarga P3KE", "NIK", "Desil Kesejahteraan", "Tanggal Lahir", "Lansia Tunggal", "Latitude", "Alamat"]


def workbook(path: Path, rows: list[list[object]], *, sheet: str = "Keluarga", title_rows: int = 12) -> Path:
    """A workbook with ``title_rows`` title lines above the header (a P3KE export) and ``rows`` below it."""
    book = openpyxl.Workbook()
    book.active.title = sheet
    for _ in range(title_rows):
        book.active.append(TITLE)
    book.active.append(HEADER)
    for row in rows:
        book.active.append(row)
    book.save(path)
    return path


def both_ways(path: Path, sheet: str = "Keluarga") -> pd.DataFrame:
    """The sheet read by fastexcel, after checking the cell-by-cell reader gives the very same table."""
    fast = _fast_sheet(fastexcel.read_excel(path), sheet, path)
    pd.testing.assert_frame_equal(fast, _cell_sheet(path, sheet))
    return fast


def test_typed_cells_come_back_as_the_register_meant_them(tmp_path: Path, caplog: pytest.LogCaptureFixture) -> None:
    """Worked cells: every type of cell, below a header on Excel row 13, with an empty row in between."""
    path = workbook(
        tmp_path / "p3ke.xlsx",
        [
            ["P1", 3374012345678901, 1, dt.datetime(1980, 5, 1), True, -0.1234567, "0012"],
            ["P2", 337401234567890, 2.0, dt.datetime(1985, 2, 2, 13, 5), False, 0.4166666666666667, "=HYPERLINK(1)"],
            [None] * 7,
            ["P3", 99710101018, 2.5, dt.time(12, 30), None, 1e-7, "Jl. Mawar"],
        ],
    )
    with caplog.at_level(logging.INFO, logger="pipeline.ingest.excel"):
        (table,) = read_excel(path, None)
    assert "cell by cell" not in caplog.text  # every column has one type: the fast path read it
    assert table.to_dict("list") == {
        "ID Keluarga P3KE": ["P1", "P2", "P3"],
        # 16 digits: Excel kept 15, so the NIK keeps its scientific form and is reported, not repaired
        "NIK": ["3.374012345678901E+15", "337401234567890", "99710101018"],
        "Desil Kesejahteraan": ["1", "2", "2.5"],
        "Tanggal Lahir": ["1980-05-01", "1985-02-02 13:05:00", "12:30:00"],
        "Lansia Tunggal": ["1", "0", ""],
        "Latitude": ["-0.1234567", "0.4166666666666667", "1e-07"],
        "Alamat": ["0012", "", "Jl. Mawar"],  # a formula without a stored value is empty, never run
        C.BARIS_SUMBER: [14, 15, 17],  # Excel's row numbers; row 16 was empty
        C.LEMBAR_SUMBER: ["Keluarga"] * 3,
    }
    pd.testing.assert_frame_equal(table, _cell_sheet(path, "Keluarga"))


def test_numbers_of_every_size_match_the_cell_reader(tmp_path: Path) -> None:
    """2,000 doubles across 20 orders of magnitude, whole and not, as one typed column."""
    rng = np.random.default_rng(7)
    values = rng.normal(size=2_000) * 10.0 ** rng.integers(-6, 18, size=2_000)
    values[::5] = np.round(values[::5])
    path = workbook(
        tmp_path / "angka.xlsx", [[f"P{i}", "x", float(v), None, None, None, None] for i, v in enumerate(values)]
    )
    table = both_ways(path)
    stored = [row[0].value for row in openpyxl.load_workbook(path).active.iter_rows(min_row=14, min_col=3, max_col=3)]
    assert list(table["Desil Kesejahteraan"]) == [cell_text(float(v)) for v in stored]
    assert table["Desil Kesejahteraan"].str.contains("E+", regex=False).sum() == (np.abs(values) >= 1e15).sum()


def test_a_mixed_column_is_read_cell_by_cell_and_keeps_the_broken_nik(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    """A NIK typed as a number in one row and as text in another: fastexcel would print the number whole."""
    path = workbook(
        tmp_path / "campur.xlsx",
        [
            ["P1", 9971010101800001, 1, "1980-01-01", "Tidak", "-2.2", "Jl. A"],
            ["P2", "9971014202850002", 2, "1985-02-02", "Tidak", "-2.3", "Jl. B"],
        ],
    )
    with caplog.at_level(logging.INFO, logger="pipeline.ingest.excel"):
        (table,) = read_excel(path, None)
    assert "read cell by cell" in caplog.text
    assert list(table["NIK"]) == [f"{9971010101800001.0:.15E}", "9971014202850002"]  # 9.971010101800000E+15
    frame = table.rename(columns={"NIK": C.NIK, "ID Keluarga P3KE": C.ID_KELUARGA, "Desil Kesejahteraan": C.DESIL})
    frame[C.KODE_KEL], frame[C.FILE_SUMBER] = "9971011001", "campur.xlsx"
    _, quarantine = validate_households(frame)
    assert list(quarantine[C.ALASAN]) == ["nik_format_ilmiah"]


def test_every_sheet_is_read_and_hostile_text_stays_text(tmp_path: Path, caplog: pytest.LogCaptureFixture) -> None:
    payloads = ['=HYPERLINK("http://x")', "@SUM(A1)", "+62 811", "<script>&amp;", "'0012", "  Siti  ", "Ñuñez 王"]
    path = workbook(
        tmp_path / "dua.xlsx", [[f"P{i}", "9971010101800001", "1", "", "", "", p] for i, p in enumerate(payloads)]
    )
    book = openpyxl.load_workbook(path)
    for (cell,) in book["Keluarga"].iter_rows(min_row=14, min_col=7, max_col=7):
        cell.data_type = "s"  # text that looks like a formula, as an export writes it
    cover = book.create_sheet("Petunjuk", 0)
    cover.append(["Jangan disebarluaskan"])
    second = book.create_sheet("Keluarga 2")
    second.append(HEADER)
    second.append(
        ["Q1", "9971014202850002", 3, None, None, -2.5, CellRichText("Jl. ", TextBlock(InlineFont(b=True), "Kenari"))]
    )
    book.save(path)
    with caplog.at_level(logging.WARNING):
        first, other = read_excel(path, None)
    assert "[Petunjuk]: no household or member header found" in caplog.text
    assert list(first["Alamat"]) == payloads  # exactly as typed, formulas as text
    assert other.loc[0, "Alamat"] == "Jl. Kenari" and list(other[C.BARIS_SUMBER]) == [2]
    for sheet in ("Keluarga", "Keluarga 2"):
        both_ways(path, sheet)


def test_duplicated_header_and_missing_sheet_are_one_line(tmp_path: Path) -> None:
    path = tmp_path / "ganda.xlsx"
    book = openpyxl.Workbook()
    book.active.append(["NIK", "Desil", "NIK", "Kode Desa"])
    book.active.append(["1", "2", "3", "4"])
    book.save(path)
    with pytest.raises(InputError, match=r"ganda.xlsx \[Sheet\]: column\(s\) 'NIK' appear more than once"):
        read_excel(path, None)
    with pytest.raises(InputError, match="no sheet named 'Keluarga' \\(sheets: Sheet\\)"):
        read_excel(path, "Keluarga")


def test_first_rows_streams_the_head_of_a_large_sheet(tmp_path: Path) -> None:
    """The header search reads the sheet's XML up to row 50 only, and the shared strings it needs."""
    path = workbook(
        tmp_path / "besar.xlsx", [[f"P{i}", f"99710101018{i:05d}", "1", "", "", "", f"Jl. {i}"] for i in range(3_000)]
    )
    rows = first_rows(path, "Keluarga", rows=50)
    assert len(rows) == 50 and rows[0][0] == TITLE[0] and rows[12] == HEADER
    assert rows[49][:2] == ["P36", "9971010101800036"]
    assert first_rows(path, "Tidak Ada", rows=50) is None
    broken = tmp_path / "rusak.xlsx"
    with zipfile.ZipFile(path) as source, zipfile.ZipFile(broken, "w") as target:
        for item in source.infolist():
            data = source.read(item)
            target.writestr(item, data[: len(data) // 2] if item.filename.endswith("sheet1.xml") else data)
    assert first_rows(broken, "Keluarga", rows=50) is not None  # the head is before the cut
    with pytest.raises(InputError, match="damaged or not an Excel file"):
        read_excel(broken, None)
