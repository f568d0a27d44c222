"""``kantong init``: a new city from its own files to a built map, with no edit to the generated TOML.

Three onboardings as a new user brings them (the issue's "Done when"), on the
real boundaries of ``../shared`` with synthetic households:

* a ``wilayah_boundaries`` ``.sql`` dump with a P3KE workbook whose header is on row 13;
* a BIG RBI GeoJSON with Z values with a CSV of DTSEN-like headers;
* a GeoPackage of three layers with a register holding ``Latitude (Y)`` / ``Longitude (X)``.
"""

from __future__ import annotations

import json
import sqlite3
import tomllib
from pathlib import Path

import pandas as pd
import pyogrio
import pytest
import shapely
import xlsxwriter

from pipeline import columns as C
from pipeline.demo.households import synthetic_households, synthetic_members
from pipeline.ingest.boundaries import boundaries_from_file
from pipeline.onboard import comment_text, toml_string

from .conftest import SHARED_DATA, cli, grid_boundaries

HOUSEHOLDS = 5000


def _shared(city: str) -> Path:
    folder = SHARED_DATA / "boundaries" / city
    if not folder.is_dir():
        pytest.skip(f"shared boundaries not found at {folder}; set KANTONG_SHARED_DATA")
    return folder


def _register(city: str, code: str, *, seed: int) -> pd.DataFrame:
    boundaries = boundaries_from_file(_shared(city) / f"{city}_admin_boundaries.gpkg", layer="kelurahan")
    return synthetic_households(boundaries, n=HOUSEHOLDS, seed=seed, pockets=2, region_code=code)


def _p3ke_sheet(book: xlsxwriter.Workbook, name: str, frame: pd.DataFrame, title: str) -> None:
    """A sheet as the P3KE application exports it: a 12-row title block, the header on row 13."""
    sheet = book.add_worksheet(name)
    sheet.write_string(0, 0, title)
    sheet.write_string(1, 0, "Sumber: P3KE (data uji sintetis)")
    sheet.write_string(3, 0, "Provinsi: Nusa Tenggara Timur")
    sheet.write_string(4, 0, "Kabupaten/Kota: Kota Kupang")
    for j, header in enumerate(frame.columns):
        sheet.write_string(12, j, str(header))
    for i, row in enumerate(frame.itertuples(index=False), start=13):
        for j, value in enumerate(row):
            sheet.write_string(i, j, str(value))


def _init(tmp: Path, slug: str, *args: str) -> tuple[Path, str]:
    result = cli("init", slug, "--regions", str(tmp / "regions"), *args)
    return tmp / "regions" / f"{slug}.toml", result.stdout


def _build(config: Path, tmp: Path, *extra: str) -> dict:
    """``kantong check`` then ``kantong run``, as the README says; returns ringkasan.json."""
    check = cli("check", str(config))
    assert "ok: no error" in check.stdout
    cli("run", str(config), "--out", str(tmp / "outputs"), *extra)
    slug = tomllib.loads(config.read_text(encoding="utf-8"))["region"]["slug"]
    return json.loads((tmp / "outputs" / slug / "ringkasan.json").read_text(encoding="utf-8"))


def _no_demo_material(text: str) -> None:
    for leftover in ("CONTOH FIKTIF", "[[snapshots]]", "beneficiaries", "[[bps]]", "[[targets]]", "[synthetic]"):
        assert leftover not in text


def _kecamatan_names(gpkg: Path) -> list[str]:
    with sqlite3.connect(gpkg) as db:
        return [row[0] for row in db.execute("SELECT nama_kec FROM kecamatan")]


def test_sql_dump_and_p3ke_workbook_with_header_on_row_13(tmp_path: Path) -> None:
    households = _register("kupang", "53.71", seed=7)
    members = synthetic_members(households, seed=7)
    workbook = tmp_path / "data" / "p3ke_kota_kupang.xlsx"
    workbook.parent.mkdir()
    with xlsxwriter.Workbook(workbook) as book:
        _p3ke_sheet(book, "Keluarga", households, "DATA KELUARGA P3KE")
        _p3ke_sheet(book, "Individu", members, "DATA INDIVIDU P3KE")
    sql = _shared("kupang") / "wilayah_boundaries_kel_53.71.sql"

    config, out = _init(tmp_path, "kupang_baru", "--boundaries", str(sql), "--households", str(workbook))
    text = config.read_text(encoding="utf-8")
    _no_demo_material(text)
    data = tomllib.loads(text)
    assert data["region"] == {**data["region"], "kode": "53.71", "name": "Kota Kupang"}
    assert "layer" not in data["boundaries"] and "columns" not in data["boundaries"]
    assert data["households"]["paths"] == ["../data/p3ke_kota_kupang.xlsx"]
    assert "p3ke_kota_kupang.xlsx [Keluarga]: household table, P3KE, 5000 rows" in text
    assert "p3ke_kota_kupang.xlsx [Individu]: member table (anggota)" in text
    assert '#   desil <- "Desil Kesejahteraan"' in text
    assert "WITA (UTC+8)" in text
    assert {p["code"] for p in data["programs"]} == {"pkh", "bpnt", "pbi_jkn", "pip", "rtlh", "asistensi_sosial"}
    assert "kecamatan: 6 names from the official Kemendagri list" in out
    assert "wilayah_boundaries layout" in out

    summary = _build(config, tmp_path)
    rows = summary["baris"]
    assert rows["masuk"] == HOUSEHOLDS == rows["diterima"] + rows["dikarantina"]
    assert summary["nama"] == "Kota Kupang" and not summary.get("peringatan")
    # people from the member sheet, never one per household
    assert summary["ringkasan"]["jumlah_jiwa"] > 2 * rows["diterima"]
    names = _kecamatan_names(tmp_path / "outputs" / "kupang_baru" / "kupang_baru.gpkg")
    assert "Alak" in names and not any(name[:2].isdigit() for name in names)


def test_big_rbi_geojson_with_z_and_dtsen_csv(tmp_path: Path) -> None:
    source = pyogrio.read_dataframe(_shared("bontang") / "bontang_admin_boundaries.gpkg", layer="kelurahan")
    rbi = source.rename(columns={"kode": "KDEPUM", "nama": "WADMKD", "kec_nama": "WADMKC"})[
        ["KDEPUM", "WADMKD", "WADMKC", "geometry"]
    ].assign(WADMKK="Kota Bontang", WADMPR="Kalimantan Timur", KDEBPS="", KDCBPS="")
    rbi["geometry"] = shapely.force_3d(rbi.geometry.array, 12.5)
    geojson = tmp_path / "data" / "RBI_Batas_Desa_Bontang.geojson"
    geojson.parent.mkdir()
    pyogrio.write_dataframe(rbi, geojson, driver="GeoJSON")
    assert pyogrio.read_info(geojson)["geometry_type"].endswith("Z")

    dtsen = _register("bontang", "64.74", seed=8).rename(
        columns={
            "ID Keluarga P3KE": "ID DTSEN",
            "NIK": "NIK Kepala Keluarga",
            "Kepala Keluarga": "Nama Kepala Keluarga",
            "Kode Kemendagri": "Kode Wilayah",
            "Desil Kesejahteraan": "Desil Nasional",
            "Jumlah Anggota Keluarga": "Jumlah ART",
        }
    )
    register = tmp_path / "data" / "dtsen_bontang.csv"
    dtsen.to_csv(register, sep=";", index=False)

    config, out = _init(tmp_path, "bontang_rbi", "--boundaries", str(geojson), "--households", str(register))
    text = config.read_text(encoding="utf-8")
    _no_demo_material(text)
    data = tomllib.loads(text)
    assert (data["region"]["kode"], data["region"]["name"]) == ("64.74", "Kota Bontang")
    assert "BIG RBI layout" in out and "columns" not in data["boundaries"]
    assert "household table, DTSEN, 5000 rows" in text and '#   id_keluarga <- "ID DTSEN"' in text

    summary = _build(config, tmp_path, "--no-restricted")
    rows = summary["baris"]
    assert rows["masuk"] == HOUSEHOLDS == rows["diterima"] + rows["dikarantina"]
    assert summary["ringkasan"]["jumlah_kelurahan"] == 15
    assert summary["ringkasan"]["jumlah_jiwa"] > 2 * rows["diterima"]


def test_geopackage_of_three_layers_and_latitude_y_longitude_x(tmp_path: Path) -> None:
    gpkg = _shared("pekalongan") / "pekalongan_admin_boundaries.gpkg"
    register = tmp_path / "data" / "verifikasi_lapangan.csv"
    register.parent.mkdir()
    frame = _register("pekalongan", "33.75", seed=9).rename(
        columns={"Latitude": "Latitude (Y)", "Longitude": "Longitude (X)"}
    )
    frame.to_csv(register, index=False)

    config, out = _init(tmp_path, "pekalongan", "--boundaries", str(gpkg), "--households", str(register))
    data = tomllib.loads(config.read_text(encoding="utf-8"))
    _no_demo_material(config.read_text(encoding="utf-8"))
    assert data["boundaries"]["layer"] == "kelurahan"  # not kecamatan or kabkota, which have codes too
    assert data["region"]["name"] == "Kota Pekalongan"
    assert 'lat <- "Latitude (Y)"' in config.read_text(encoding="utf-8")
    assert "not decided: data date" in out  # no verification date in this register: the file's date

    summary = _build(config, tmp_path, "--no-restricted")
    rows = summary["baris"]
    assert rows["masuk"] == HOUSEHOLDS == rows["diterima"] + rows["dikarantina"]
    assert not summary.get("peringatan")  # the coordinates were read
    assert summary["ringkasan"]["jumlah_kelurahan"] == 27
    located = pd.read_csv(register, dtype=str)["Latitude (Y)"].notna().mean()
    assert located > 0.8


def test_init_says_what_it_could_not_decide(tmp_path: Path) -> None:
    """A fictional code, no kecamatan names, unknown columns and a hostile header: each said, all escaped."""
    grid = grid_boundaries(3, 2).rename(columns={C.KODE_KEL: "ID_DESA", C.NAMA_KEL: "DESA"})[
        ["ID_DESA", "DESA", "geometry"]
    ]
    grid.loc[0, "DESA"] = 'Desa "Uji"\n[privacy]\nmin_households = 1'
    boundaries = tmp_path / "batas.gpkg"
    pyogrio.write_dataframe(grid, boundaries, layer="desa")
    register = tmp_path / "register.csv"
    register.write_text(
        'NIK,Desil,Kode Desa,"Penerima BANTUAN ""X"" = 1 # [privacy]",Penerima 2024,"Catatan\n[privacy]\nk = 1"\n'
        "9971010101900001,1,9971011001,Ya,Tidak,-\n",
        encoding="utf-8",
    )
    config, out = _init(tmp_path, "uji", "--boundaries", str(boundaries), "--households", str(register))
    data = tomllib.loads(config.read_text(encoding="utf-8"))
    assert "privacy" in data and data["privacy"] == {"min_households": 5}  # the payload stayed a comment or string
    assert data["boundaries"]["columns"] == {"kode_kel": "ID_DESA", "nama_kel": "DESA"}  # found from the values
    assert "not in the official Kemendagri list" in out and data["region"]["name"] == "Uji"
    assert "kecamatan: no names found; pass --kecamatan" in out
    assert "no header for 'id_keluarga'" in out and "no coordinate headers" in out
    (program,) = data["programs"]
    assert program == {
        "code": "bantuan_x_1_privacy",
        "name": 'BANTUAN "X" = 1 # [privacy]',
        "opd": "OPD belum diisi",
        "funding": "Lainnya",
    }
    assert "not in the catalogue; set its name, opd and funding" in out
    assert "no programme code can be made" in out  # "Penerima 2024"
    assert '"Catatan\\u000a[privacy]\\u000ak = 1"' in config.read_text(encoding="utf-8")  # in a comment, escaped
    # what init could not decide, check refuses in one line: the register has no household ID column
    checked = cli("check", str(config), check=False)
    assert checked.returncode == 2 and "id_keluarga" in checked.stderr and "Traceback" not in checked.stderr
    again = cli("init", "uji", "-b", str(boundaries), "--regions", str(tmp_path / "regions"), check=False)
    assert again.returncode == 2 and "exists; choose another slug or pass --force" in again.stderr
    bad = cli("init", "Kota Uji", "-b", str(boundaries), "--regions", str(tmp_path / "regions"), check=False)
    assert bad.returncode == 2 and "must be lower-case" in bad.stderr and "Traceback" not in bad.stderr


def test_toml_string_and_comment_escape_everything() -> None:
    payload = 'a"b\\c\nd\te\x00f\u2028g'
    assert tomllib.loads(f"x = {toml_string(payload)}")["x"] == payload
    assert "\n" not in comment_text("a\nb\rc\u2028d") and comment_text("x" * 100, limit=10) == "x" * 9 + "…"
