"""Rebuild the small bad-file corpus in this folder: `python tests/data/make_corpus.py`.

Every household here is invented: NIKs start with the fictional province 99
(or are deliberately broken), names are common Indonesian names.
Expected outcomes are in expected.toml beside this script.
"""

from __future__ import annotations

from pathlib import Path

import pandas as pd

HERE = Path(__file__).resolve().parent
BASE = {
    "ID Keluarga P3KE": ["P01", "P02", "P03", "P04", "P05"],
    "NIK": ["9971010101800001", "9971014202850002", "9971010303900003", "9971014404750004", "9971010505700005"],
    "Kepala Keluarga": ["Ni Luh Putu Ayu", "Ma'ruf Amin Lete", "Yohanes Ndun", "Siti Aminah", "Made Wirawan"],
    "Jenis Kelamin": ["Perempuan", "Laki-laki", "Laki-laki", "Perempuan", "Laki-laki"],
    "Tanggal Lahir": ["1980-01-01", "1985-02-02", "1990-03-03", "1975-04-04", "1970-05-05"],
    "Desil Kesejahteraan": ["1", "2", "3", "4", "9"],
    "Kode Kemendagri": ["9971011001", "9971011001", "9971011002", "9971021001", "9971021002"],
    "Latitude": ["-2,2011", "-2,2022", "", "-2,1801", "-2,1802"],
    "Longitude": ["118,3011", "118,3022", "", "118,2801", "118,2802"],
}


def frame(**changes: list[str]) -> pd.DataFrame:
    data = {k: list(v) for k, v in BASE.items()}
    data.update(changes)
    return pd.DataFrame(data)


def main() -> None:
    # 1. P3KE workbook: a 12-row title block, header on row 13, a cover sheet and an individual sheet
    path = HERE / "p3ke_header_row13.xlsx"
    with pd.ExcelWriter(path, engine="openpyxl") as xls:
        pd.DataFrame({"Petunjuk": ["Data P3KE — contoh sintetis", "Jangan disebarluaskan"]}).to_excel(
            xls, sheet_name="Petunjuk", index=False
        )
        title = pd.DataFrame(
            [
                ["DATA PENSASARAN PERCEPATAN PENGHAPUSAN KEMISKINAN EKSTREM (P3KE)"],
                ["Provinsi: CONTOH"],
                ["Kabupaten/Kota: KOTA CONTOH"],
            ]
            + [[""]] * 9
        )
        title.to_excel(xls, sheet_name="Keluarga", index=False, header=False)
        frame().to_excel(xls, sheet_name="Keluarga", index=False, startrow=12)
        pd.DataFrame(
            {
                "ID Keluarga": ["P01", "P01"],
                "ID Individu": ["I1", "I2"],
                "Nama": ["A", "B"],
                "Hubungan dengan Kepala Keluarga": ["Kepala Keluarga", "Anak"],
            }
        ).to_excel(xls, sheet_name="Individu", index=False)
    # 2. cp1252, semicolons, decimal commas
    frame().to_csv(HERE / "cp1252_names.csv", sep=";", index=False, encoding="cp1252")
    # 3. a NIK that Excel turned into a float
    frame(NIK=["3.374E+15", *BASE["NIK"][1:]]).to_csv(HERE / "nik_float.csv", index=False)
    # 4. swapped coordinates
    frame(Latitude=["118,3011", *BASE["Latitude"][1:]], Longitude=["-2,2011", *BASE["Longitude"][1:]]).to_csv(
        HERE / "swapped_coordinates.csv", index=False
    )
    # 5. the same No KK in two files; the second file's row was verified later
    a = frame().assign(
        **{"No KK": [f"997101010100000{i}" for i in range(1, 6)], "Tanggal Verifikasi": ["2025-01-10"] * 5}
    )
    b = frame(
        **{
            "ID Keluarga P3KE": ["V01"],
            "NIK": ["9971010101800099"],
            "Kepala Keluarga": ["Ni Luh Putu Ayu"],
            "Jenis Kelamin": ["Perempuan"],
            "Tanggal Lahir": ["1980-01-01"],
            "Desil Kesejahteraan": ["1"],
            "Kode Kemendagri": ["9971011001"],
            "Latitude": ["-2,2012"],
            "Longitude": ["118,3012"],
        }
    )
    b = b.assign(**{"No KK": ["9971010101000001"], "Tanggal Verifikasi": ["2026-06-30"]})
    a.to_csv(HERE / "duplicate_kk_a.csv", index=False)
    b.to_csv(HERE / "duplicate_kk_b.csv", index=False)
    # 6. the NIK column is missing (only a look-alike header)
    frame().rename(columns={"NIK": "Nik Kepala"}).drop(columns=["Nik Kepala"]).assign(**{"No Induk KK": "x"}).to_csv(
        HERE / "missing_required_column.csv", index=False
    )
    # 7. an empty file
    (HERE / "empty.csv").write_bytes(b"")
    p3ke_pair()
    dtks_pair()


def p3ke_pair() -> None:
    """8. P3KE keluarga + individu: two workbooks, both with the title block (header on row 13)."""
    title = pd.DataFrame([["DATA P3KE — contoh sintetis"], ["Kabupaten/Kota: KOTA CONTOH"]] + [[""]] * 10)
    family = frame().drop(columns=["Jenis Kelamin"])  # the head's sex comes from the individual sheet
    bands = ["Usia 0-6 Tahun", "Usia 7-12 Tahun", "Usia 13-15 Tahun", "Usia 16-18 Tahun", "Usia 19-59 Tahun"]
    bands.append("Usia 60 Tahun ke Atas")
    # ID Keluarga, ID Individu, Nama, NIK, Hubungan, Jenis Kelamin, Tanggal Lahir, age band
    people = [
        ("P01", "I011", "Ni Luh Putu Ayu", "9971014101800001", "Kepala Keluarga", "Perempuan", "1980-01-01", 4),
        ("P01", "I012", "Kadek Sari", "9971015005100002", "Anak", "Perempuan", "2011-05-10", 2),
        ("P01", "I013", "Komang Adi", "9971010101180003", "Anak", "Laki-laki", "2018-01-01", 1),
        ("P02", "I021", "Ma'ruf Amin Lete", "9971010202850002", "Kepala Keluarga", "Laki-laki", "1985-02-02", 4),
        ("P03", "I031", "Yohanes Ndun", "9971010303900003", "Kepala Keluarga", "Laki-laki", "", 4),
        ("P03", "I032", "Maria Ndun", "9971014303500004", "Orang Tua", "Perempuan", "", 5),
        ("P04", "I041", "Siti Aminah", "9971014404750004", "Kepala Keluarga", "Perempuan", "1975-04-04", 4),
        ("P99", "I991", "Tanpa Keluarga", "9971010909900009", "Kepala Keluarga", "Laki-laki", "1990-09-09", 4),
        ("", "I000", "Tanpa ID", "9971011010900010", "Anak", "Laki-laki", "2012-10-10", 1),
    ]
    rows = []
    for family_id, person, name, nik, relation, sex, born, band in people:
        flags = {b: ("Ya" if i == band else "Tidak") for i, b in enumerate(bands)}
        rows.append(
            {
                "ID Keluarga": family_id,
                "ID Individu": person,
                "Nama": name,
                "NIK": nik,
                "Hubungan dengan Kepala Keluarga": relation,
                "Jenis Kelamin": sex,
                "Tanggal Lahir": born,
                "Status Kawin": "",
                **flags,
            }
        )
    for name, table, sheet in (
        ("p3ke_keluarga.xlsx", family, "Keluarga"),
        ("p3ke_individu.xlsx", pd.DataFrame(rows), "Individu"),
    ):
        with pd.ExcelWriter(HERE / name, engine="openpyxl") as xls:
            title.to_excel(xls, sheet_name=sheet, index=False, header=False)
            table.to_excel(xls, sheet_name=sheet, index=False, startrow=12)


def dtks_pair() -> None:
    """9. DTKS/BDT ruta + ART: split region code, no head NIK in ruta, coded member answers."""
    ruta = pd.DataFrame(
        {
            "IDBDT": ["B01", "B02", "B03"],
            "KDPROP": ["99", "99", "99"],
            "KDKAB": ["71", "71", "71"],
            "KDKEC": ["1", "1", "2"],
            "KDDESA": ["1001", "1002", "1001"],
            "NOKK": ["9971010101000101", "9971010101000102", "9971010101000103"],
            "Nama_KRT": ["Yohanes Ndun", "Siti Aminah", "Made Wirawan"],
            "Jumlah_ART": ["", "2", "1"],
            "status_kesejahteraan": ["1", "2", "4"],
            "lat": ["-2,2011", "", "-2,1802"],
            "long": ["118,3011", "", "118,2802"],
            "sta_pkh": ["1", "0", "0"],
        }
    )
    # IDBDT, IDARTBDT, NIK, Nama, Hub_KRT (1 head), JNSKEL (1 L, 2 P), Umur, Jenis_cacat, Penyakit_kronis,
    # Partisipasi_sekolah (1 never, 2 still, 3 no longer)
    art = [
        ("B01", "A011", "9971010101800001", "Yohanes Ndun", "1", "1", "46", "0", "0", "3"),
        ("B01", "A012", "9971014202850002", "Maria Ndun", "2", "2", "41", "0", "2", "3"),
        ("B01", "A013", "9971010303100003", "Petrus Ndun", "3", "1", "16", "0", "0", "3"),
        ("B01", "A014", "9971014404120004", "Yuliana Ndun", "3", "2", "14", "8", "0", "2"),
        ("B02", "A021", "9971014404750005", "Siti Aminah", "1", "2", "51", "0", "0", "3"),
        ("B02", "A022", "9971010505400006", "Abdul Rahman", "5", "1", "86", "0", "1", "1"),
        ("B03", "A031", "9971010606600007", "Made Wirawan", "1", "1", "66", "0", "0", "3"),
        ("B09", "A091", "9971010707900008", "Tanpa Rumah Tangga", "1", "1", "36", "0", "0", "3"),
    ]
    columns = [
        "IDBDT", "IDARTBDT", "NIK", "Nama", "Hub_KRT", "JNSKEL", "Umur", "Jenis_cacat", "Penyakit_kronis",
        "Partisipasi_sekolah",
    ]  # fmt: skip
    ruta.to_csv(HERE / "dtks_ruta.csv", index=False)
    pd.DataFrame(art, columns=columns).to_csv(HERE / "dtks_art.csv", index=False, sep=";")


if __name__ == "__main__":
    main()
