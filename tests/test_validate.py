from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from pipeline import columns as C
from pipeline.errors import ValidationError
from pipeline.ingest.validate import REASONS, validate_households
from pipeline.text import parse_flag, parse_number, text_key

from .conftest import household_rows

GOOD = {C.KODE_KEL: "9971011001", C.LAT: "-2.2", C.LON: "118.3"}


@pytest.mark.parametrize(
    ("change", "reason"),
    [
        ({C.ID_KELUARGA: ""}, "id_kosong"),
        ({C.NIK: "997101010190001"}, "nik_tidak_valid"),
        ({C.NIK: "99710101019000AB"}, "nik_tidak_valid"),
        ({C.DESIL: "11"}, "desil_tidak_valid"),
        ({C.DESIL: ""}, "desil_tidak_valid"),
        ({C.DESIL: "2.5"}, "desil_tidak_valid"),
        ({C.LAT: "abc"}, "koordinat_tidak_valid"),
        ({C.LON: ""}, "koordinat_tidak_lengkap"),
        ({C.LAT: "118.3", C.LON: "-2.2"}, "koordinat_di_luar_indonesia"),
        ({C.LAT: "0", C.LON: "0"}, "koordinat_di_luar_indonesia"),
        ({C.LAT: "", C.LON: "", C.KODE_KEL: "99.71"}, "lokasi_tidak_ada"),
    ],
    ids=[
        "no-id",
        "short-nik",
        "letters-nik",
        "decile-11",
        "decile-empty",
        "decile-fraction",
        "lat-text",
        "lon-missing",
        "swapped",
        "null-island",
        "no-location",
    ],
)
def test_bad_row_is_quarantined_with_its_reason(change: dict, reason: str) -> None:
    rows = household_rows([GOOD, {**GOOD, **change}])
    accepted, quarantine = validate_households(rows)
    assert len(accepted) == 1 and len(quarantine) == 1
    assert reason in quarantine[C.ALASAN].iloc[0].split(";")
    assert quarantine[C.TAHAP].iloc[0] == "validasi"
    assert quarantine[C.BARIS_SUMBER].iloc[0] == 3  # traceable to the file's line
    assert reason in REASONS


def test_several_problems_are_all_reported() -> None:
    rows = household_rows([{**GOOD, C.NIK: "1", C.DESIL: "0", C.LON: ""}])
    _, quarantine = validate_households(rows)
    assert set(quarantine[C.ALASAN].iloc[0].split(";")) == {
        "nik_tidak_valid",
        "desil_tidak_valid",
        "koordinat_tidak_lengkap",
    }


def test_duplicate_id_keeps_the_first_row() -> None:
    rows = household_rows([GOOD, GOOD, GOOD])
    rows[C.ID_KELUARGA] = ["A", "B", "A"]
    accepted, quarantine = validate_households(rows)
    assert list(accepted[C.ID_KELUARGA]) == ["A", "B"]
    assert list(quarantine[C.BARIS_SUMBER]) == [4]
    assert quarantine[C.ALASAN].iloc[0] == "id_ganda"


def test_accepted_rows_are_typed_and_keep_their_index() -> None:
    rows = household_rows(
        [{**GOOD, C.LAT: "-2,25", C.LON: "118,31", "penerima_pkh": "Ya"}, {**GOOD, C.LAT: "", C.LON: ""}]
    )
    rows.index = [10, 20]
    accepted, _ = validate_households(rows)
    assert list(accepted.index) == [10, 20]
    assert accepted.loc[10, "geometry"].x == pytest.approx(118.31)
    assert accepted.loc[10, "geometry"].y == pytest.approx(-2.25)
    assert accepted.loc[20, "geometry"] is None
    assert accepted[C.DESIL].dtype == "int64"
    assert accepted.loc[10, C.KODE_KEL] == "99.71.01.1001"
    assert accepted.loc[10, "penerima_pkh"] == 1
    assert accepted.crs.to_epsg() == 4326


def test_missing_required_column_raises_once_with_the_found_headers() -> None:
    rows = household_rows([GOOD]).drop(columns=[C.NIK, C.DESIL])
    with pytest.raises(ValidationError, match=r"'nik', 'desil'.*found .*'id_keluarga'.*\[households.columns\]"):
        validate_households(rows)


def test_parsers() -> None:
    assert list(parse_flag(pd.Series(["Ya", "TIDAK", "1", "0", "true", "", "mungkin"])).astype("float")[:6]) == [
        1,
        0,
        1,
        0,
        1,
        0,
    ]
    assert parse_flag(pd.Series(["mungkin"])).isna().all()
    assert list(parse_number(pd.Series(["-0,1234", "-0.1234", "1e3"]))) == [-0.1234, -0.1234, 1000.0]
    assert parse_number(pd.Series(["", "x"])).isna().all()


cells = st.fixed_dictionaries(
    {
        C.ID_KELUARGA: st.sampled_from(["", "A", "B", "C", "D", "E"]),
        C.NIK: st.sampled_from(["9971010101900001", "123", "", "99710101019000012"]),
        C.DESIL: st.sampled_from(["1", "4", "10", "0", "", "x", "3,0"]),
        C.LAT: st.sampled_from(["-2.2", "", "200", "-2,21", "a"]),
        C.LON: st.sampled_from(["118.3", "", "-2.2", "118,31"]),
        C.KODE_KEL: st.sampled_from(["9971011001", "", "99.71.01.1001", "bad"]),
    }
)


@settings(max_examples=200, deadline=None)
@given(st.lists(cells, min_size=0, max_size=40))
def test_rows_in_equal_accepted_plus_quarantined(rows: list[dict]) -> None:
    frame = household_rows(rows)
    accepted, quarantine = validate_households(frame)
    assert len(accepted) + len(quarantine) == len(frame)
    assert set(accepted.index).isdisjoint(quarantine.index)
    assert set(accepted.index) | set(quarantine.index) == set(frame.index)
    assert (quarantine[C.ALASAN] != "").all()


@pytest.mark.parametrize(
    ("nik", "reason"),
    [
        ("3.374E+15", "nik_format_ilmiah"),
        ("3,37401E+15", "nik_format_ilmiah"),
        ("0071010101900001", "nik_provinsi_tidak_valid"),
        ("9771010101900001", "nik_provinsi_tidak_valid"),
        ("9971013201900001", "nik_tanggal_tidak_valid"),  # day 32
        ("9971017201900001", "nik_tanggal_tidak_valid"),  # day 72 = 32 + 40
        ("9971013002900001", "nik_tanggal_tidak_valid"),  # 30 February
        ("1111111111111111", "nik_angka_seragam"),
    ],
    ids=[
        "scientific",
        "scientific-comma",
        "province-00",
        "province-97",
        "day-32",
        "female-day-72",
        "feb-30",
        "one-digit",
    ],
)
def test_nik_structure_is_checked(nik: str, reason: str) -> None:
    _, quarantine = validate_households(household_rows([{**GOOD, C.NIK: nik}]))
    assert reason in quarantine[C.ALASAN].iloc[0].split(";")


@pytest.mark.parametrize(
    "nik",
    ["'9971010101900001", "9971 0101 0190 0001", "1171014101900001", "9971012902000001"],
    ids=["apostrophe", "spaces", "province-11-female", "29-feb-2000"],
)
def test_valid_nik_variants_are_accepted(nik: str) -> None:
    accepted, quarantine = validate_households(household_rows([{**GOOD, C.NIK: nik}]))
    assert quarantine.empty and len(accepted) == 1
    assert accepted[C.NIK].iloc[0].isdigit() and len(accepted[C.NIK].iloc[0]) == 16


def test_nik_sex_and_birth_date_disagreements_are_flagged_not_dropped() -> None:
    rows = household_rows(
        [
            {**GOOD, C.NIK: "9971014101900001", C.JENIS_KELAMIN: "Laki-laki", C.TANGGAL_LAHIR: "1990-01-01"},
            {**GOOD, C.NIK: "9971010101900002", C.JENIS_KELAMIN: "Laki-laki", C.TANGGAL_LAHIR: "02-01-1990"},
            {**GOOD, C.NIK: "9971014101900003", C.JENIS_KELAMIN: "Perempuan", C.TANGGAL_LAHIR: "01/01/1990"},
        ]
    )
    accepted, quarantine = validate_households(rows)
    assert quarantine.empty
    assert list(accepted[C.NIK_BEDA_JK]) == [True, False, False]
    assert list(accepted[C.NIK_BEDA_TGL]) == [False, True, False]


@pytest.mark.parametrize(
    ("column", "value", "reason"),
    [
        (C.TANGGAL_LAHIR, "1980-02-31", "tanggal_tidak_valid"),
        (C.TANGGAL_VERIFIKASI, "kemarin", "tanggal_tidak_valid"),
        (C.STATUS, "Meninggal Dunia", "status_meninggal"),
        (C.STATUS, "TIDAK DITEMUKAN", "status_tidak_ditemukan"),
    ],
    ids=["birth-date", "verification-date", "deceased", "not-found"],
)
def test_dates_and_verification_status(column: str, value: str, reason: str) -> None:
    _, quarantine = validate_households(household_rows([GOOD, {**GOOD, column: value}]))
    assert quarantine[C.ALASAN].iloc[0].split(";") == [reason]


def test_duplicates_across_files_keep_the_latest_verified_row_and_point_to_it() -> None:
    rows = household_rows(
        [
            {
                **GOOD,
                C.NIK: "9971010101900001",
                C.TANGGAL_VERIFIKASI: "2025-01-10",
                C.FILE_SUMBER: "dtks.csv",
                C.BARIS_SUMBER: 2,
            },
            {
                **GOOD,
                C.NIK: "9971010101900001",
                C.TANGGAL_VERIFIKASI: "2026-03-01",
                C.FILE_SUMBER: "verval.csv",
                C.BARIS_SUMBER: 7,
            },
            {**GOOD, C.NO_KK: "9971010101000001", C.FILE_SUMBER: "dtks.csv", C.BARIS_SUMBER: 3},
            {**GOOD, C.NO_KK: "9971010101000001", C.FILE_SUMBER: "p3ke.csv", C.BARIS_SUMBER: 9},
        ]
    )
    accepted, quarantine = validate_households(rows)
    assert list(accepted[C.BARIS_SUMBER]) == [7, 3]
    assert list(quarantine[C.BARIS_SUMBER]) == [2, 9]
    assert set(quarantine[C.ALASAN]) == {"id_ganda"}
    assert list(quarantine[C.BARIS_DIPERTAHANKAN]) == ["verval.csv:7", "dtks.csv:3"]


def test_a_valid_duplicate_is_kept_over_an_invalid_first_row() -> None:
    rows = household_rows([{**GOOD, C.DESIL: "0"}, GOOD])
    rows[C.ID_KELUARGA] = ["A", "A"]
    accepted, quarantine = validate_households(rows)
    assert list(accepted.index) == [1]
    assert set(quarantine[C.ALASAN].iloc[0].split(";")) == {"desil_tidak_valid", "id_ganda"}
    assert quarantine[C.BARIS_DIPERTAHANKAN].iloc[0] == "uji.csv:3"


def test_text_key_per_distinct_value_keeps_order_index_and_missing() -> None:
    # Worked once per distinct value, spread back by position: "Ya" and " ya." share one key,
    # a number becomes its text, empty and missing become <NA>, the index stays as given.
    values = pd.Series(["Ya", None, " ya.", "", "Tidak Ada", 3, np.nan], index=[7, 3, 5, 1, 0, 9, 8], dtype=object)
    key = text_key(values)
    assert key.index.tolist() == [7, 3, 5, 1, 0, 9, 8]
    assert key.dtype == "string"
    assert key.tolist() == ["ya", pd.NA, "ya", pd.NA, "tidakada", "3", pd.NA]
    nothing = text_key(pd.Series([None, None], index=[4, 2], dtype=object))  # every value missing
    assert nothing.isna().all() and nothing.index.tolist() == [4, 2]
