"""Field verification, the round trip on the demo: select, write the XLSForm (pyxform converts it), read a
synthetic KoboToolbox export and a synthetic ODK Central export back, and account for every submission."""

from __future__ import annotations

import json
import stat
from pathlib import Path

import pandas as pd
import pyogrio
import pytest
import xlsxwriter
from pyxform.xls2xform import convert

from pipeline import columns as C
from pipeline.config import load_config
from pipeline.run import analyse_region

from .conftest import cli, synth_region

FORM = "kantong_verifikasi_uji"


@pytest.fixture(scope="module")
def field_round(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path]:
    """A small demo region with a hostile name on one listed household, and its field round."""
    tmp = tmp_path_factory.mktemp("verifikasi")
    config = synth_region(tmp, households=3000)
    register = tmp / "data" / "rumah_tangga.csv"
    frame = pd.read_csv(register, dtype=str, keep_default_na=False)
    ok = (
        (frame["Latitude"] != "")
        & frame["NIK"].str.fullmatch(r"\d{16}")
        & frame["Desil Kesejahteraan"].isin(list("12"))
    )
    chosen = frame.index[ok][0]
    # its register code names another kelurahan than its GPS point: flagged beda_lokasi, so it is visited
    other = frame.loc[frame["Kode Kemendagri"] != frame.loc[chosen, "Kode Kemendagri"], "Kode Kemendagri"].iloc[0]
    frame.loc[chosen, ["Kepala Keluarga", "Kode Kemendagri"]] = ['=HYPERLINK("http://x","y") ${petugas}', other]
    frame.to_csv(register, index=False)
    result = cli("verifikasi", str(config), "--out", str(tmp / "outputs"))
    (folder,) = (tmp / "outputs" / "uji" / "terbatas" / "verifikasi").iterdir()
    assert "households to visit" in result.stderr
    return config, folder


def test_round_writes_a_form_pyxform_converts_a_list_and_sheets(field_round: tuple[Path, Path]) -> None:
    config, folder = field_round
    warnings: list[str] = []
    xform = convert(folder / "formulir_verifikasi.xlsx", warnings=warnings).xform
    assert warnings == []
    assert 'id="kantong_verifikasi_uji"' in xform and "jr://file-csv/daftar_kunjungan.csv" in xform
    for name in ("hasil_kunjungan", "persetujuan", "lokasi", "jenis_lantai", "jumlah_art", "program_diterima"):
        assert f"/data/{name}" in xform
    listing = pd.read_csv(folder / "daftar_kunjungan.csv", dtype=str, keep_default_na=False)
    assert listing["name"].is_unique and len(listing) > 50
    assert "${" not in "".join(listing["label"])  # a name is never an XLSForm reference
    # each kelurahan's visits are split over two enumerators, each with a route 1..n
    assert set(listing["petugas"]) == {"1", "2"}
    routes = listing.assign(urutan=listing["urutan"].astype(int)).groupby(["kelurahan", "petugas"])["urutan"]
    assert all(sorted(r) == list(range(1, len(r) + 1)) for _, r in routes)
    sheets = sorted((folder / "petugas").glob("*.xlsx"))
    assert len(sheets) == listing.groupby(["kelurahan", "petugas"]).ngroups
    # restricted: folders 0700, files 0600; workbook cells are text, never formulas
    assert stat.S_IMODE(folder.stat().st_mode) == 0o700 and stat.S_IMODE(sheets[0].stat().st_mode) == 0o600
    assert stat.S_IMODE((folder / "daftar_kunjungan.csv").stat().st_mode) == 0o600
    import openpyxl

    hostile = []
    for path in sheets:
        for row in openpyxl.load_workbook(path).active.iter_rows(min_row=2):
            hostile += [c for c in row if isinstance(c.value, str) and c.value.startswith("=HYPERLINK")]
    assert hostile and all(c.data_type == "s" for c in hostile)


def _kobo_row(household: pd.Series, *, outcome: str, when: str, uuid: str, lat: float, lon: float, acc: float = 8.0,
              consent: str = "ya", floor: str = "keramik", programs: str = "pkh bpnt") -> dict:  # fmt: skip
    return {
        "start": when, "end": when, "id_formulir": FORM, "petugas": "1", "id_keluarga": household["name"],
        "nama_terdaftar": household["nama_kk"], "hasil_kunjungan": outcome,
        "persetujuan": consent if outcome == "ditemukan" else "",
        "lokasi": f"{lat} {lon} 12.0 {acc}" if outcome == "ditemukan" else "",
        "_lokasi_latitude": str(lat), "_lokasi_longitude": str(lon), "_lokasi_altitude": "12.0",
        "_lokasi_precision": str(acc), "jenis_lantai": floor, "jenis_dinding": "tembok", "jenis_atap": "genteng",
        "sumber_air_minum": "leding", "sumber_penerangan": "pln_900", "bahan_bakar_memasak": "gas_3kg",
        "fasilitas_bab": "sendiri", "jumlah_art": "3", "program_diterima": programs, "foto_rumah": "",
        "catatan": "", "_id": uuid[-4:], "_uuid": uuid, "_submission_time": when, "__version__": "vX",
    }  # fmt: skip


@pytest.fixture(scope="module")
def exports(field_round: tuple[Path, Path]) -> tuple[Path, dict[str, str]]:
    """A KoboToolbox XLSX and an ODK Central CSV answering for listed households; returns the TOML and the plan."""
    config, folder = field_round
    listing = pd.read_csv(folder / "daftar_kunjungan.csv", dtype=str, keep_default_na=False)
    register = pd.read_csv(config.parent / "data" / "rumah_tangga.csv", dtype=str, keep_default_na=False)
    unique = register.drop_duplicates("ID Keluarga P3KE", keep=False)
    points = unique.set_index("ID Keluarga P3KE")[["Latitude", "Longitude"]]
    located = listing[listing["name"].map(points["Latitude"]).fillna("") != ""].reset_index(drop=True)
    h = {i: located.iloc[i] for i in range(12)}
    lat = {i: float(points.loc[h[i]["name"], "Latitude"]) + 0.0001 for i in h}
    lon = {i: float(points.loc[h[i]["name"], "Longitude"]) + 0.0001 for i in h}
    unknown = pd.Series({"name": "P999999999999", "nama_kk": "Orang Luar"})
    # h[0]'s register says every dwelling indicator is deprived: score 3 x 1/18 + 1/6 + 1/6 + 1/12 + 1/12 = 2/3
    # >= k = 1/3, multidimensionally poor; the visit finds a sound house and PBI-JKN: at most 1/12 + 1/12 = 1/6
    # (head's schooling, children out of school) < 1/3, no longer poor
    row = register["ID Keluarga P3KE"] == h[0]["name"]
    register.loc[
        row,
        [
            "Jenis Lantai",
            "Jenis Dinding",
            "Jenis Atap",
            "Sumber Air Minum",
            "Sumber Penerangan",
            "Bahan Bakar Memasak",
            "Memiliki Fasilitas Buang Air Besar",
        ],
    ] = ["Tanah", "Bambu", "Ijuk/Rumbia", "Sungai/Danau/Waduk", "Bukan Listrik", "Kayu Bakar", "Tidak Ada"]
    register.to_csv(config.parent / "data" / "rumah_tangga.csv", index=False)
    rows = [
        _kobo_row(h[0], outcome="ditemukan", when="2026-10-01T09:00:00+08:00", uuid="u-0", lat=lat[0], lon=lon[0],
                  programs="pkh bpnt pbi_jkn"),
        _kobo_row(h[1], outcome="meninggal", when="2026-10-01T09:10:00+08:00", uuid="u-1", lat=0, lon=0),
        _kobo_row(h[2], outcome="pindah", when="2026-10-01T09:20:00+08:00", uuid="u-2", lat=0, lon=0),
        _kobo_row(h[3], outcome="tidak_ditemukan", when="2026-10-01T09:30:00+08:00", uuid="u-3", lat=0, lon=0),
        _kobo_row(h[4], outcome="ditemukan", consent="tidak", when="2026-10-01T09:40:00+08:00", uuid="u-4",
                  lat=lat[4], lon=lon[4]),
        _kobo_row(unknown, outcome="ditemukan", when="2026-10-01T09:50:00+08:00", uuid="u-5", lat=lat[5], lon=lon[5]),
        _kobo_row(h[6], outcome="ditemukan", acc=120.0, when="2026-10-01T10:00:00+08:00", uuid="u-6",
                  lat=lat[6], lon=lon[6]),
        _kobo_row(h[7], outcome="ditemukan", when="2026-10-01T10:10:00+08:00", uuid="u-7", lat=-6.2, lon=106.8),
        _kobo_row(h[8], outcome="ditemukan", when="2026-10-01T10:20:00+08:00", uuid="u-8", lat=lon[8], lon=lat[8]),
        # visited twice: the earlier submission is a duplicate, the later one (floor: tanah) wins
        _kobo_row(h[9], outcome="ditemukan", when="2026-10-01T10:30:00+08:00", uuid="u-9a", lat=lat[9], lon=lon[9]),
        _kobo_row(h[9], outcome="ditemukan", floor="tanah", when="2026-10-02T08:00:00+08:00", uuid="u-9b",
                  lat=lat[9], lon=lon[9]),
    ]  # fmt: skip
    kobo = config.parent / "data" / "kobo_verifikasi.xlsx"
    with xlsxwriter.Workbook(kobo) as book:
        sheet = book.add_worksheet("kantong_verifikasi_uji")
        frame = pd.DataFrame(rows)
        for j, column in enumerate(frame.columns):
            sheet.write_string(0, j, column)
            for i, value in enumerate(frame[column], start=1):
                sheet.write_string(i, j, str(value))
    odk = pd.DataFrame(
        [
            {"SubmissionDate": "2026-10-03T01:00:00.000Z", "id_formulir": FORM, "petugas": "2",
             "id_keluarga": h[i]["name"], "hasil_kunjungan": "ditemukan", "persetujuan": "ya",
             "lokasi-Latitude": lat[i], "lokasi-Longitude": lon[i], "lokasi-Altitude": 10, "lokasi-Accuracy": 5,
             "jenis_lantai": "semen_bata", "jenis_dinding": "tembok", "jenis_atap": "seng",
             "sumber_air_minum": "sumur_terlindung", "sumber_penerangan": "pln_450", "bahan_bakar_memasak": "gas_3kg",
             "fasilitas_bab": "sendiri", "jumlah_art": "5", "program_diterima": "tidak_ada",
             "meta-instanceID": f"uuid:odk-{i}", "KEY": f"uuid:odk-{i}", "SubmitterID": "7", "FormVersion": "x"}
            for i in (10, 11)
        ]
    )  # fmt: skip
    odk_path = config.parent / "data" / "odk_central.csv"
    odk.to_csv(odk_path, index=False)
    text = config.read_text(encoding="utf-8")
    text += (
        '\n[[verification]]\npaths = ["data/kobo_verifikasi.xlsx", "data/odk_central.csv"]\nmax_gps_accuracy_m = 30\n'
    )
    verified = config.with_name("uji_verifikasi.toml")
    verified.write_text(text, encoding="utf-8")
    plan = {"found": h[0]["name"], "twice": h[9]["name"], "odk": h[10]["name"], "listed": str(len(listing))}
    return verified, plan


def test_submissions_are_applied_or_rejected_with_a_reason(exports: tuple[Path, dict[str, str]]) -> None:
    config, plan = exports
    from pipeline.ingest.visits import planned_visits

    rounds = config.parent / "outputs" / "uji" / "terbatas" / "verifikasi"
    analysis = analyse_region(load_config(config), planned=planned_visits(rounds))
    summary = analysis.summary["verifikasi"]
    # 11 KoboToolbox + 2 ODK Central submissions = 7 applied + 6 rejected, one per reason
    assert summary["kiriman"] == 13 == summary["diterapkan"] + sum(summary["ditolak"].values())
    assert summary["diterapkan"] == 7
    assert summary["ditolak"] == {
        "tidak_bersedia": 1,
        "rumah_tangga_tidak_dikenal": 1,
        "akurasi_gps_buruk": 1,
        "di_luar_wilayah": 1,
        "koordinat_tidak_valid": 1,
        "kiriman_ganda": 1,
    }
    assert summary["hasil"] == {"ditemukan": 4, "meninggal": 1, "pindah": 1, "tidak_ditemukan": 1}
    # deceased, moved and not found leave the analysis with their reason
    reasons = analysis.quarantine["alasan"].str.split(", ").explode().value_counts()
    assert (reasons["status_meninggal"], reasons["status_pindah"], reasons["status_tidak_ditemukan"]) == (1, 1, 1)
    assert analysis.rows_in == len(analysis.households) + len(analysis.quarantine)
    households = analysis.households.set_index(C.ID_KELUARGA)
    found = households.loc[plan["found"]]
    assert found[C.JENIS_LANTAI] == "Keramik" and found[C.JUMLAH_ART] == 3 and found[C.STATUS] == "Terverifikasi"
    assert found["penerima_pkh"] == 1 and found["penerima_pip"] == 0
    assert households.loc[plan["twice"], C.JENIS_LANTAI] == "Tanah"  # the latest submission won
    assert households.loc[plan["odk"], C.JENIS_LANTAI] == "Semen/Bata Merah"  # ODK Central's split geopoint read
    assert str(households.loc[plan["odk"], C.TANGGAL_VERIFIKASI])[:10] == "2026-10-03"
    # per kelurahan (true counts, before suppression): planned = the round's list, done = applied visits to it
    kel = analysis.kelurahan.set_index(C.KODE_KEL)
    assert kel["kk_rencana_kunjungan"].sum() == int(plan["listed"]) and kel["kk_dikunjungi_rencana"].sum() == 7
    outcomes = kel[["kk_ditemukan", "kk_pindah", "kk_meninggal", "kk_tidak_ditemukan"]].sum().tolist()
    assert outcomes == [4, 1, 1, 1]
    assert found[C.MISKIN_MULTIDIMENSI] == False  # noqa: E712 - 1/6 < 1/3 after the visit
    assert kel.loc[found[C.KODE_KEL], "kk_keluar_miskin_md"] >= 1
    done = kel["kk_dikunjungi_rencana"] / kel["kk_rencana_kunjungan"]
    assert (kel["persen_kunjungan_selesai"].dropna() == (100 * done).round(1).dropna()).all()


def test_verified_figures_reach_the_geopackage_and_summary(exports: tuple[Path, dict[str, str]]) -> None:
    config, _ = exports
    out = config.parent / "outputs"  # where the field round was written
    rounds = sorted(p.name for p in (out / "uji" / "terbatas" / "verifikasi").iterdir())
    cli("run", str(config), "--out", str(out))
    summary = json.loads((out / "uji" / "ringkasan.json").read_text(encoding="utf-8"))
    assert summary["ringkasan"]["verifikasi"]["kiriman"] == 13
    table = pyogrio.read_dataframe(out / "uji" / "uji.gpkg", layer="verifikasi_kiriman")
    counts = dict(zip(table["status_kiriman"], table["jumlah_kiriman"], strict=True))
    assert counts["diterapkan"] == 7 and sum(counts.values()) == 13
    per_kelurahan = pyogrio.read_dataframe(out / "uji" / "uji.gpkg", layer="verifikasi")
    assert len(per_kelurahan) == 20 and per_kelurahan["kk_rencana_kunjungan"].max() >= 5  # counts < 5 hidden
    for column in ("kk_pindah", "kk_meninggal", "kk_tidak_ditemukan"):  # one household each: hidden, never shown
        assert per_kelurahan[column].isna().any() and per_kelurahan[column].fillna(0).eq(0).all()
    page = (out / "uji" / "peta.html").read_text(encoding="utf-8")
    assert "Verifikasi lapangan: kunjungan terencana yang selesai" in page
    assert "verifikasi lapangan 13 kiriman (KoboToolbox/ODK)" in page  # named among the sources
    # the agencies' recap: one sheet per level, numbers as numbers, small counts blank, no name
    import openpyxl

    book = openpyxl.load_workbook(out / "uji" / "rekap_uji.xlsx")
    assert book.sheetnames == ["kota", "kecamatan", "kelurahan", "rw"]
    kota = {c.value: v.value for c, v in zip(book["kota"][1], book["kota"][2], strict=True)}
    assert kota["Kab/Kota"] == "Kota Contoh" and isinstance(kota["Jumlah KK"], int | float) and kota["Jumlah KK"] > 2900
    header = [c.value for c in book["kelurahan"][1]]
    assert "Verifikasi: % selesai" in header and "Eksklusi: KK layak tanpa program" in header
    assert any(h.startswith("Cakupan Program Keluarga Harapan") for h in header)
    cells = [c for row in book.worksheets for r in row.iter_rows() for c in r if c.value is not None]
    assert all(c.data_type in ("n", "s") for c in cells)
    assert not any(isinstance(c.value, str) and c.value.startswith("=") for c in cells)
    rw = pd.DataFrame(book["rw"].values)
    assert len(rw) > 20 and rw.iloc[1:, 3].dropna().min() >= 5  # households per RW: 1..4 hidden
    restricted = pd.read_csv(out / "uji" / "terbatas" / "kiriman_verifikasi.csv", dtype=str)
    assert len(restricted) == 13 and restricted["status_kiriman"].value_counts()["diterapkan"] == 7
    # the field round written before survives the rebuild of the region, still restricted
    kept = out / "uji" / "terbatas" / "verifikasi"
    assert sorted(p.name for p in kept.iterdir()) == rounds and (kept / rounds[0] / "daftar_kunjungan.csv").is_file()
    assert stat.S_IMODE((out / "uji" / "terbatas").stat().st_mode) == 0o700


def test_an_export_of_another_form_or_with_unknown_columns_is_refused(tmp_path: Path, exports) -> None:
    config, _ = exports
    odk = config.parent / "data" / "odk_central.csv"
    other = tmp_path / "lain.csv"
    other.write_text(odk.read_text(encoding="utf-8").replace(FORM, "kantong_verifikasi_kupang"), encoding="utf-8")
    unknown = tmp_path / "bukan.csv"
    unknown.write_text("nama,umur\nSiti,40\n", encoding="utf-8")
    sheet = tmp_path / "bukan.xlsx"  # a workbook whose headers the register reader does not know either
    with xlsxwriter.Workbook(sheet) as book:
        book.add_worksheet("data").write_row(0, 0, ["tanggal", "catatan"])
    cases = (
        (other, "another region's form"),
        (unknown, "not an export of the kantong verification"),
        (sheet, "not an export of the kantong verification form: no column id_keluarga, hasil_kunjungan"),
    )
    for path, message in cases:
        text = config.read_text(encoding="utf-8").replace('"data/odk_central.csv"', f'"{path}"')
        bad = config.with_name("uji_salah.toml")
        bad.write_text(text, encoding="utf-8")
        result = cli("check", str(bad), check=False)
        assert result.returncode == 2 and message in result.stderr and "Traceback" not in result.stderr


def test_rw_counts_hide_small_and_complementary_cells() -> None:
    """Kelurahan A: RW 1..3 with 3, 10, 12 households, k = 5: 3 is hidden, and since it would follow from A's
    total (25 - 10 - 12), the next smallest (10) is hidden too. Kelurahan B: 3, 4, 20: two hidden, 20 shown."""
    from pipeline.publish.recap import rw_table

    sizes = {("A", "1"): 3, ("A", "2"): 10, ("A", "3"): 12, ("B", "1"): 3, ("B", "2"): 4, ("B", "3"): 20}
    rows = [(kel, rw) for (kel, rw), n in sizes.items() for _ in range(n)]
    households = pd.DataFrame(
        {C.KODE_KEL: [r[0] for r in rows], C.RW: [f"00{r[1]}" for r in rows], C.MISKIN: 1, C.MISKIN_EKSTREM: 0}
    )
    table = rw_table(households, k=5, names={"A": "Kel A", "B": "Kel B"})
    assert table["Jumlah KK"].tolist() == [pd.NA, pd.NA, 12, pd.NA, pd.NA, 20]
    assert table["RW"].tolist() == ["1", "2", "3", "1", "2", "3"] and table["Kelurahan"].iloc[0] == "Kel A"
    assert table["KK miskin ekstrem"].fillna(-1).tolist() == [0, 0, 0, 0, 0, 0]  # zero is not a small count
