"""Member (individual / ART) tables: header matching, ages, linking and accounting."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import hypothesis.strategies as st
import pandas as pd
import pytest
from hypothesis import given, settings

from pipeline import columns as C
from pipeline.errors import InputError
from pipeline.ingest.headers import age_band_column
from pipeline.ingest.households import households_from_file, register_from_file
from pipeline.ingest.members import attach_members, member_ages

ON = dt.date(2026, 6, 30)


@pytest.mark.parametrize(
    ("header", "column"),
    [
        ("Usia 7-12 Tahun", "usia_7_12"),
        ("usia 13 s.d. 15 th", "usia_13_15"),
        ("Usia 60 Tahun ke Atas", "usia_60_plus"),
        ("Usia 60+", "usia_60_plus"),
        ("Usia di bawah 7 Tahun", "usia_0_6"),
        ("Usia", None),
        ("Jumlah ART", None),
    ],
)
def test_p3ke_age_band_headers(header: str, column: str | None) -> None:
    assert age_band_column(header) == column


def test_age_comes_from_birth_date_then_age_then_band() -> None:
    members = pd.DataFrame(
        {
            C.TANGGAL_LAHIR: ["1966-06-30", "1966-07-01", "", "", "31-02-1950"],
            C.UMUR: ["", "", "12", "", ""],
            "usia_60_plus": ["Tidak", "Tidak", "Tidak", "Ya", "Tidak"],
            "usia_7_12": ["Tidak", "Tidak", "Ya", "Tidak", "Tidak"],
        }
    )
    elderly, school, age = member_ages(members, on=ON)
    # 60 on the data date itself; one day short of 60; age column; band only; an impossible date
    assert age.tolist()[:3] == [60.0, 59.0, 12.0]
    assert elderly.tolist() == [True, False, False, True, False]
    assert school.tolist() == [False, False, True, False, False]


def test_unknown_age_stays_unknown_without_bands() -> None:
    elderly, school, _ = member_ages(pd.DataFrame({C.TANGGAL_LAHIR: ["", "2000-01-01"]}), on=ON)
    assert elderly.isna().tolist() == [True, False]
    assert school.isna().tolist() == [True, False]


def test_bps_coded_parts_are_refused(tmp_path: Path) -> None:
    path = tmp_path / "bdt.csv"
    pd.DataFrame(
        {"IDBDT": ["B1"], "KDPROP": ["64"], "KDKAB": ["74"], "KDKEC": ["010"], "KDDESA": ["001"], "Desil": ["1"]}
    ).to_csv(path, index=False)
    with pytest.raises(InputError, match="BPS codes"):
        register_from_file(path)


def test_member_only_file_is_a_clear_error(tmp_path: Path) -> None:
    path = tmp_path / "art.csv"
    pd.DataFrame({"IDBDT": ["B1"], "IDARTBDT": ["A1"], "Hub_KRT": ["1"]}).to_csv(path, index=False)
    with pytest.raises(InputError, match="member .* table but no household table"):
        households_from_file(path)
    assert len(register_from_file(path).members) == 1


def test_household_values_win_over_the_head_member() -> None:
    households = pd.DataFrame({C.ID_KELUARGA: ["K1", "K2"], C.NIK: ["9971010101800001", ""], C.JUMLAH_ART: ["", "7"]})
    members = pd.DataFrame(
        {
            C.ID_KELUARGA: ["K1", "K2", "K2"],
            C.NIK: ["9971010101800009", "9971014101800002", "9971010101100003"],
            C.HUBUNGAN: ["Kepala Keluarga", "Istri", "Kepala Keluarga"],
            C.JENIS_KELAMIN: ["1", "2", "1"],
            C.FILE_SUMBER: "art.csv",
        }
    )
    out, unlinked, report = attach_members(households, members, on=ON)
    assert out[C.NIK].tolist() == ["9971010101800001", "9971010101100003"]
    assert out[C.JUMLAH_ART].tolist() == ["1", "7"]  # filled from the member count only where empty
    assert out[C.JENIS_KELAMIN].tolist() == ["L", "L"]
    assert unlinked.empty and report["anggota_tertaut"].tolist() == [3]


@settings(max_examples=60, deadline=None)
@given(
    ids=st.lists(st.sampled_from(["K1", "K2", "K3", "", " K1 ", "X9"]), min_size=0, max_size=40),
    households=st.lists(st.sampled_from(["K1", "K2", "K3", "K4"]), min_size=1, max_size=6),
)
def test_every_member_row_is_linked_or_accounted_for(ids: list[str], households: list[str]) -> None:
    members = pd.DataFrame({C.ID_KELUARGA: ids, C.FILE_SUMBER: "individu.xlsx", C.LEMBAR_SUMBER: "Individu"})
    frame = pd.DataFrame({C.ID_KELUARGA: households})
    out, unlinked, report = attach_members(frame, members, on=ON)
    assert len(out) == len(frame)
    linked = int(report["anggota_tertaut"].sum()) if len(report) else 0
    assert linked + len(unlinked) == len(members)
    if members.empty:  # no member table: no member features, rather than zeros
        assert C.JUMLAH_ANGGOTA_TERCATAT not in out
        return
    assert linked == int(out.drop_duplicates(C.ID_KELUARGA)[C.JUMLAH_ANGGOTA_TERCATAT].fillna(0).sum())
