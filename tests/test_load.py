from __future__ import annotations

from pathlib import Path

import geopandas as gpd
import pandas as pd
import pytest

from pipeline import columns as C
from pipeline.codes import is_desa, normalize_kode
from pipeline.errors import CRSError, InputError
from pipeline.ingest.boundaries import boundaries_from_file
from pipeline.ingest.headers import header_mapping
from pipeline.ingest.households import households_from_file

from .conftest import P3KE

EXPORT = pd.DataFrame(
    {
        P3KE[C.ID_KELUARGA]: ["P1", "P2"],
        P3KE[C.NIK]: ["9971010101900001", "9971014101900002"],
        P3KE[C.NAMA_KK]: ["Budi Santoso", "Siti Rahayu"],
        P3KE[C.DESIL]: ["1", "7"],
        P3KE[C.KODE_KEL]: ["9971011001", "9971011002"],
        P3KE[C.LAT]: ["-2,2012", ""],
        P3KE[C.LON]: ["118,3011", ""],
        "Penerima PKH": ["Ya", "Tidak"],
        "Penerima PBI JKN": ["1", "0"],
    }
)


@pytest.mark.parametrize(
    ("sep", "encoding"),
    [(",", "utf-8"), (";", "utf-8-sig"), ("\t", "cp1252"), ("|", "utf-8")],
    ids=["comma", "semicolon-bom", "tab-cp1252", "pipe"],
)
def test_csv_any_delimiter_and_encoding_keeps_text(tmp_path: Path, sep: str, encoding: str) -> None:
    path = tmp_path / "p3ke.csv"
    frame = EXPORT.copy()
    frame.loc[1, P3KE[C.NAMA_KK]] = "Siti Rahayu Pérez"  # a non-ASCII letter
    frame.to_csv(path, sep=sep, index=False, encoding=encoding)
    out = households_from_file(path)
    assert list(out[C.NIK]) == list(EXPORT[P3KE[C.NIK]])  # NIK stays text, no float rounding
    assert out.loc[1, C.NAMA_KK] == "Siti Rahayu Pérez"
    assert list(out[C.BARIS_SUMBER]) == [2, 3]
    assert set(out[C.FILE_SUMBER]) == {"p3ke.csv"}
    assert {"penerima_pkh", "penerima_pbi_jkn"} <= set(out.columns)


def test_xlsx_is_read_with_calamine(tmp_path: Path) -> None:
    path = tmp_path / "p3ke.xlsx"
    EXPORT.to_excel(path, index=False, sheet_name="Keluarga")
    out = households_from_file(path, sheet="Keluarga")
    assert list(out[C.ID_KELUARGA]) == ["P1", "P2"]
    assert list(out[C.NIK]) == list(EXPORT[P3KE[C.NIK]])
    assert list(out[C.DESIL]) == ["1", "7"]


def test_column_overrides_map_other_headers() -> None:
    mapping = header_mapping(["NIK KK", "Desil", "Nama"], schema="kanonik", columns={C.NIK: "NIK KK", C.DESIL: "desil"})
    assert mapping == {"NIK KK": C.NIK, "Desil": C.DESIL}


@pytest.mark.parametrize(
    ("name", "message"),
    [("missing.csv", "not found"), ("register.docx", "not supported"), ("register.json", "cannot read it")],
    ids=["missing", "unsupported", "broken-geojson"],
)
def test_household_file_errors(tmp_path: Path, name: str, message: str) -> None:
    if name != "missing.csv":
        (tmp_path / name).write_text("{}", encoding="utf-8")
    with pytest.raises(InputError, match=message):
        households_from_file(tmp_path / name)


def test_codes_normalise_both_ways() -> None:
    codes = pd.Series(["64.74.01.1001", "6474011001", " 64 74 01 2001 ", "6474011001.0", "123", None])
    out = normalize_kode(codes)
    assert list(out[:4]) == ["64.74.01.1001", "64.74.01.1001", "64.74.01.2001", "64.74.01.1001"]
    assert out[4:].isna().all()
    assert list(is_desa(out[:3])) == [False, False, True]


def test_boundaries_rename_reproject_and_repair(tmp_path: Path, grid3: gpd.GeoDataFrame) -> None:
    source = grid3.rename(columns={C.KODE_KEL: "KDEPUM", C.NAMA_KEL: "WADMKD"})[["KDEPUM", "WADMKD", "geometry"]]
    source["KDEPUM"] = source["KDEPUM"].str.replace(".", "", regex=False)
    # a bow-tie (self-intersecting) polygon, as found in real files
    from shapely import Polygon

    x0, y0, x1, y1 = source.geometry.iloc[0].bounds
    source.loc[0, "geometry"] = Polygon([(x0, y0), (x1, y1), (x1, y0), (x0, y1)])
    path = tmp_path / "rbi.gpkg"
    source.to_crs("EPSG:32650").to_file(path, layer="desa")
    out = boundaries_from_file(path, layer="desa", columns={C.KODE_KEL: "KDEPUM", C.NAMA_KEL: "WADMKD"})
    assert out.crs.to_epsg() == 4326
    assert out.is_valid.all()
    assert list(out[C.KODE_KEL]) == list(grid3[C.KODE_KEL])
    assert list(out[C.KODE_KEC]) == list(grid3[C.KODE_KEC])  # derived from the kelurahan code


def test_unknown_boundary_columns_list_what_was_found(tmp_path: Path, grid3: gpd.GeoDataFrame) -> None:
    path = tmp_path / "lain.gpkg"
    grid3.rename(columns={C.KODE_KEL: "KODE_DESA", C.NAMA_KEL: "DESA"}).to_file(path)
    with pytest.raises(InputError, match=r"found 'KODE_DESA', 'DESA'.*\[boundaries.columns\]"):
        boundaries_from_file(path)
    explicit = boundaries_from_file(path, columns={C.KODE_KEL: "KODE_DESA", C.NAMA_KEL: "DESA"})
    assert list(explicit[C.KODE_KEL]) == list(grid3[C.KODE_KEL])


def test_boundaries_without_crs_are_refused(tmp_path: Path, grid3: gpd.GeoDataFrame) -> None:
    path = tmp_path / "batas.shp"
    grid3.to_file(path)
    path.with_suffix(".prj").unlink()  # a shapefile shared without its .prj, as happens
    with pytest.raises(CRSError, match="has no CRS"):
        boundaries_from_file(path, columns={C.KODE_KEL: C.KODE_KEL, C.NAMA_KEL: C.NAMA_KEL})


def test_bps_style_codes_need_a_crosswalk(tmp_path: Path, grid3: gpd.GeoDataFrame) -> None:
    path = tmp_path / "bps.gpkg"
    bad = grid3.assign(**{C.KODE_KEL: "6474010001001"})  # 13 digits: not Kemendagri
    bad.to_file(path)
    with pytest.raises(InputError, match="crosswalk"):
        boundaries_from_file(path, columns={C.KODE_KEL: C.KODE_KEL, C.NAMA_KEL: C.NAMA_KEL})
