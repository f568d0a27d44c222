"""The restricted by-name workbooks: written a column at a time, never a formula, split when long."""

from __future__ import annotations

import math
import stat
import zipfile
from pathlib import Path

import numpy as np
import openpyxl
import pandas as pd
import pyogrio
import pytest
import python_calamine
import xlsxwriter

from pipeline import columns as C
from pipeline.publish.write import to_restricted, to_workbook
from pipeline.publish.xlsx import column_letter, split_sheets

PAYLOADS = [
    '=HYPERLINK("http://x.invalid","klik")',
    "@SUM(A1:A9)",
    "+62 812 3456 7890",
    "-2+3",
    "\t=1+1",
    "<script>alert(1)</script> & co",
    "_x0041_ stays as typed",
    "bell\x07and\x01control",
    "  spaces kept  ",
    "Ni Luh Putu Ayu Saraswati — ñ ü 漢字 🙂",
    "x" * 40_000,  # past Excel's 32,767-character cell limit
]


def _frame() -> pd.DataFrame:
    n = len(PAYLOADS)
    return pd.DataFrame(
        {
            "peringkat": np.arange(1, n + 1),
            "nik": [f"99710471058{i:05d}" for i in range(n)],
            "nama_kk": PAYLOADS,
            "skor": [1 / 3, 0.49292511647742143, 1e20, -2.5e-7, math.nan, math.inf, 0.0, 7.0, 12345.678, 1.5, 2.0],
            "miskin_ekstrem": [True, False] * 5 + [True],
            "catatan": [None, "a", math.nan, "b", pd.NA, "c", "d", "e", "f", "g", "h"],
            "rt": pd.array([1, None, 3, 4, 5, 6, 7, 8, 9, 10, 11], dtype="Int64"),
            "desil": pd.Categorical(["1", "2"] * 5 + ["1"]),
            "=bahaya": ["kolom"] * n,
            "nama_lagi": PAYLOADS[::-1],  # the same texts in a second column
            "kode_arrow": pd.array([f"99.71.0{i % 3}" for i in range(n)], dtype="string[pyarrow]"),
        }
    )


def _cell_by_cell(sheets: dict[str, pd.DataFrame], path: Path) -> None:
    """The writer the pipeline used before: one xlsxwriter call per cell (the reference)."""
    options = {"strings_to_formulas": False, "strings_to_urls": False, "strings_to_numbers": False}
    with xlsxwriter.Workbook(str(path), {**options, "nan_inf_to_errors": True}) as book:
        for name, frame in sheets.items():
            sheet = book.add_worksheet(name)
            for j, column in enumerate(frame.columns):
                sheet.write_string(0, j, str(column))
                values = frame[column]
                numeric = pd.api.types.is_numeric_dtype(values) and not pd.api.types.is_bool_dtype(values)
                for i, value in enumerate(values.tolist(), start=1):
                    if value is None or (isinstance(value, float) and np.isnan(value)) or value is pd.NA:
                        continue
                    if numeric:
                        sheet.write_number(i, j, float(value))
                    else:
                        sheet.write_string(i, j, str(value))


def _cells(path: Path) -> dict[str, list[list[tuple[str, object]]]]:
    book = openpyxl.load_workbook(path, read_only=True)
    return {
        sheet.title: [[(c.data_type, c.value) for c in row] for row in sheet.iter_rows()] for sheet in book.worksheets
    }


def test_workbook_cells_equal_the_cell_by_cell_writer(tmp_path: Path) -> None:
    frame = _frame()
    to_workbook({"sasaran": frame}, tmp_path / "baru.xlsx")
    _cell_by_cell({"sasaran": frame}, tmp_path / "lama.xlsx")
    new, old = _cells(tmp_path / "baru.xlsx"), _cells(tmp_path / "lama.xlsx")
    assert list(new) == list(old) == ["sasaran"]
    assert len(new["sasaran"]) == len(old["sasaran"]) == len(frame) + 1
    for row_new, row_old in zip(new["sasaran"], old["sasaran"], strict=True):
        for (type_new, value_new), (type_old, value_old) in zip(row_new, row_old, strict=True):
            if type_old == "f":  # the one intended change: xlsxwriter wrote inf as the formula =1/0
                assert (type_old, value_old) == ("f", "=1/0")
                assert (type_new, value_new) == ("e", "#DIV/0!")
                continue
            assert type_new == type_old
            if isinstance(value_old, float):  # the old writer rounded to 16 significant digits ("%.16G")
                assert f"{value_new:.16G}" == f"{value_old:.16G}"
            else:
                assert value_new == value_old
    # worked values: a NIK stays 16 characters of text, a formula stays text, an int a number
    rows = new["sasaran"]
    assert rows[1][1] == ("s", "9971047105800000")
    assert rows[1][2] == ("s", '=HYPERLINK("http://x.invalid","klik")')
    assert rows[1][0] == ("n", 1)
    assert rows[3][3] == ("n", 1e20)
    assert rows[5][3][0] is None or rows[5][3][1] is None  # NaN: an empty cell
    assert rows[6][3] == ("e", "#DIV/0!")  # inf, as xlsxwriter's nan_inf_to_errors wrote it
    assert rows[11][2] == ("s", "x" * 32_767)
    assert rows[0][8] == ("s", "=bahaya")


def test_no_cell_is_a_formula_and_every_reader_sees_text(tmp_path: Path) -> None:
    path = to_workbook({"sasaran": _frame()}, tmp_path / "sasaran.xlsx")
    with zipfile.ZipFile(path) as book:
        sheet = book.read("xl/worksheets/sheet1.xml").decode()
    assert "<f>" not in sheet and "<f " not in sheet
    calamine = python_calamine.CalamineWorkbook.from_path(str(path)).get_sheet_by_name("sasaran").to_python()
    assert [row[2] for row in calamine[1:6]] == PAYLOADS[:5]
    assert calamine[7][2] == "_x0041_ stays as typed"
    assert calamine[8][2] == "bell\x07and\x01control"
    gdal = pyogrio.read_dataframe(path, layer="sasaran")  # GDAL's XLSX driver
    assert gdal["nama_kk"].iloc[0] == PAYLOADS[0]
    assert gdal["nik"].tolist() == _frame()["nik"].tolist()


def test_column_letters() -> None:
    assert [column_letter(i) for i in (0, 25, 26, 27, 51, 52, 701, 702)] == [
        "A",
        "Z",
        "AA",
        "AB",
        "AZ",
        "BA",
        "ZZ",
        "AAA",
    ]


def _targets() -> pd.DataFrame:
    """20 ranked households: kecamatan 01 (5), 02 (4), 03 (2), 04 (7 in kelurahan 1001, 2 in 1002)."""
    codes = (
        ["99.71.01.1001"] * 3
        + ["99.71.01.1002"] * 2
        + ["99.71.02.1001"] * 4
        + ["99.71.03.1001"] * 2
        + ["99.71.04.1001"] * 7
        + ["99.71.04.1002"] * 2
    )
    rng = np.random.default_rng(3)
    order = rng.permutation(len(codes))  # ranks mixed across kecamatan, as in a real list
    return pd.DataFrame({"peringkat": np.arange(1, len(codes) + 1), C.KODE_KEL: np.array(codes)[order]})


def test_a_long_list_is_split_by_kecamatan_with_an_index() -> None:
    targets = _targets()
    sheets = split_sheets({"sasaran_terpadu": targets, "kuota": targets.head(3)}, max_rows=6)
    assert list(sheets) == [
        "indeks",
        "sasaran_terpadu 1",
        "sasaran_terpadu 2",
        "sasaran_terpadu 3",
        "sasaran_terpadu 4",
        "kuota",
    ]
    # kecamatan 01 (5 rows) alone; 02 (4) and 03 (2) fill 6; 04 (9 > 6) by kelurahan: 1001 (7 > 6) in
    # slices of 6 and 1, then 1002 (2) beside the slice of 1
    index = sheets["indeks"]
    assert index["baris"].tolist() == [5, 6, 6, 3]
    assert index["kode_kec"].tolist() == ["99.71.01", "99.71.02, 99.71.03", "99.71.04", "99.71.04"]
    assert index["kode_kel_awal"].tolist() == ["99.71.01.1001", "99.71.02.1001", "99.71.04.1001", "99.71.04.1001"]
    assert index["kode_kel_akhir"].tolist() == ["99.71.01.1002", "99.71.03.1001", "99.71.04.1001", "99.71.04.1002"]
    parts = [sheets[f"sasaran_terpadu {k}"] for k in range(1, 5)]
    for part in parts:
        assert part["peringkat"].is_monotonic_increasing  # rank order within a part
    together = pd.concat(parts)
    assert sorted(together["peringkat"]) == list(range(1, 21))  # every row once: nothing lost, nothing doubled
    assert sheets["kuota"] is not None and len(sheets["kuota"]) == 3


def test_a_short_list_is_not_split() -> None:
    targets = _targets()
    assert list(split_sheets({"sasaran_terpadu": targets}, max_rows=20)) == ["sasaran_terpadu"]


def test_a_split_list_is_also_written_as_csv_and_parquet(tmp_path: Path) -> None:
    targets = _targets().assign(nama_kk=["=1+1"] + ["Siti Aminah"] * 19)
    folder = to_restricted({"sasaran_terpadu": {"sasaran_terpadu": targets}}, tmp_path / "terbatas", max_rows=6)
    book = python_calamine.CalamineWorkbook.from_path(str(folder / "sasaran_terpadu.xlsx"))
    assert book.sheet_names[0] == "indeks" and len(book.sheet_names) == 5
    assert sum(len(book.get_sheet_by_name(n).to_python()) - 1 for n in book.sheet_names[1:]) == 20
    csv = pd.read_csv(folder / "sasaran_terpadu.csv", dtype=str)
    parquet = pd.read_parquet(folder / "sasaran_terpadu.parquet")
    assert len(csv) == len(parquet) == 20
    assert csv["nama_kk"].iloc[0] == "'=1+1"  # formula-safe CSV
    assert parquet["nama_kk"].iloc[0] == "=1+1"  # Parquet holds the data as it is (no spreadsheet runs it)
    for name in ("sasaran_terpadu.xlsx", "sasaran_terpadu.csv", "sasaran_terpadu.parquet"):
        assert stat.S_IMODE((folder / name).stat().st_mode) == 0o600


@pytest.mark.parametrize("rows", [0, 1])
def test_empty_and_one_row_sheets(tmp_path: Path, rows: int) -> None:
    path = to_workbook({"sasaran": _frame().head(rows), "kosong": pd.DataFrame()}, tmp_path / "x.xlsx")
    cells = _cells(path)
    assert len(cells["sasaran"]) == rows + 1
    assert cells["kosong"] == []
