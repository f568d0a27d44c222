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


if __name__ == "__main__":
    main()
