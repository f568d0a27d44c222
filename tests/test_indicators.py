from __future__ import annotations

import datetime as dt

import geopandas as gpd
import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from pipeline import columns as C
from pipeline.analyse.indicators import (
    KK_MISKIN_BANYAK_PROGRAM,
    KK_MISKIN_TANPA_PROGRAM,
    classify_poverty,
    count_columns,
    kecamatan_indicators,
    kelurahan_indicators,
    region_summary,
)
from pipeline.ingest.join import join_households
from pipeline.ingest.validate import validate_households
from pipeline.settings import PovertyLine, PovertyRule, Program

from .conftest import grid_boundaries, household_rows

PROGRAMS = tuple(Program(code=c, name=c, opd="Dinas Sosial", funding="APBN") for c in ("pkh", "bpnt", "pip"))


def _joined(rows: list[dict], boundaries: gpd.GeoDataFrame) -> gpd.GeoDataFrame:
    accepted, _ = validate_households(household_rows(rows))
    joined, quarantine = join_households(accepted, boundaries)
    assert quarantine.empty
    return joined


def test_counts_and_rates_match_a_hand_count(grid3: gpd.GeoDataFrame) -> None:
    rows = (
        # kelurahan 1001: 4 households, deciles 1, 3, 4, 9 -> 3 poor, 1 extreme
        [{C.KODE_KEL: "9971011001", C.DESIL: d, C.JUMLAH_ART: 3} for d in (1, 3, 4, 9)]
        # kelurahan 1002: 2 households, not poor; one woman-headed
        + [
            {C.KODE_KEL: "9971011002", C.DESIL: 8, C.JUMLAH_ART: 2, C.JENIS_KELAMIN: "Perempuan"},
            {C.KODE_KEL: "9971011002", C.DESIL: 10, C.JUMLAH_ART: 5},
        ]
    )
    rows[0].update({"penerima_pkh": "Ya", "penerima_bpnt": "Ya", "penerima_pip": "Ya"})  # 3 programmes
    rows[1].update({"penerima_pkh": "Ya"})
    for r in rows[2:]:
        r.update({"penerima_pkh": "Tidak", "penerima_bpnt": "Tidak", "penerima_pip": "Tidak"})
    classified = classify_poverty(_joined(rows, grid3), rule=PovertyRule(extreme_max_decile=1, poor_max_decile=4))
    out = kelurahan_indicators(classified, grid3, programs=PROGRAMS).set_index(C.KODE_KEL)
    k1, k2, k3 = out.loc["99.71.01.1001"], out.loc["99.71.01.1002"], out.loc["99.71.01.1003"]
    assert (k1[C.JUMLAH_KK], k1[C.JUMLAH_JIWA], k1[C.KK_MISKIN], k1[C.KK_MISKIN_EKSTREM]) == (4, 12, 3, 1)
    assert k1[C.PERSEN_MISKIN] == pytest.approx(75.0)
    assert k1[C.PERSEN_MISKIN_EKSTREM] == pytest.approx(25.0)
    assert k1["kk_penerima_pkh"] == 2
    assert k1[KK_MISKIN_BANYAK_PROGRAM] == 1
    # the threshold is [analysis] overlap_programs: at 2, the household with 3 still counts;
    # at 4, none does (the one with PKH alone never does)
    for n, expected in ((2, 1), (4, 0)):
        other = kelurahan_indicators(classified, grid3, programs=PROGRAMS, overlap_programs=n).set_index(C.KODE_KEL)
        assert other.loc["99.71.01.1001", KK_MISKIN_BANYAK_PROGRAM] == expected
    assert k1[KK_MISKIN_TANPA_PROGRAM] == 1  # decile 4 receives nothing (decile 9 is not poor)
    assert (k2[C.JUMLAH_KK], k2[C.JUMLAH_JIWA], k2[C.KK_MISKIN], k2["kk_perempuan_kepala"]) == (2, 7, 0, 1)
    assert k2[C.PERSEN_MISKIN] == 0.0
    assert k3[C.JUMLAH_KK] == 0 and np.isnan(k3[C.PERSEN_MISKIN])  # no households: no rate, not 0 %
    assert len(out) == len(grid3)


def test_expenditure_rule_uses_the_dated_line(grid3: gpd.GeoDataFrame) -> None:
    rule = PovertyRule(
        method="garis_kemiskinan",
        lines=(
            PovertyLine("miskin", dt.date(2024, 3, 1), 582_932, "BPS 2024"),
            PovertyLine("miskin", dt.date(2025, 3, 1), 609_160, "BPS 2025"),
            PovertyLine("miskin_ekstrem", dt.date(2022, 1, 1), 322_170, "Kepmenko PMK 32/2022"),
        ),
    )
    joined = _joined([{C.KODE_KEL: "9971011001"}] * 4, grid3)
    joined[C.PENGELUARAN] = [300_000, 590_000, 620_000, None]
    on_2024 = classify_poverty(joined, rule=rule, on=dt.date(2024, 12, 31))
    on_2026 = classify_poverty(joined, rule=rule, on=dt.date(2026, 1, 1))
    assert list(on_2024[C.MISKIN]) == [True, False, False, False]
    assert list(on_2026[C.MISKIN]) == [True, True, False, False]
    assert list(on_2026[C.MISKIN_EKSTREM]) == [True, False, False, False]


@settings(max_examples=40, deadline=None)
@given(st.lists(st.tuples(st.integers(0, 8), st.integers(1, 10), st.integers(1, 9)), min_size=1, max_size=60))
def test_aggregation_preserves_totals(rows: list[tuple[int, int, int]]) -> None:
    boundaries = grid_boundaries(3, 3)
    codes = boundaries[C.KODE_KEL].str.replace(".", "", regex=False).tolist()
    households = _joined([{C.KODE_KEL: codes[c], C.DESIL: d, C.JUMLAH_ART: m} for c, d, m in rows], boundaries)
    classified = classify_poverty(households, rule=PovertyRule())
    kel = kelurahan_indicators(classified, boundaries)
    kec = kecamatan_indicators(kel)
    assert kel[C.JUMLAH_KK].sum() == kec[C.JUMLAH_KK].sum() == len(rows)
    assert kel[C.JUMLAH_JIWA].sum() == sum(m for *_, m in rows)
    assert kel[C.KK_MISKIN].sum() == sum(d <= 4 for _, d, _ in rows)
    for column in count_columns(kel):
        assert kel[column].sum() == kec[column].sum()
    summary = region_summary(kel)
    assert summary[C.JUMLAH_KK] == len(rows)
    assert summary[C.PERSEN_MISKIN] == pytest.approx(100 * sum(d <= 4 for _, d, _ in rows) / len(rows), abs=1e-4)
    assert isinstance(kel, gpd.GeoDataFrame) and isinstance(kec, gpd.GeoDataFrame)
    assert not pd.isna(kec[C.PERSEN_MISKIN]).all()


def test_eb_rates_shrink_small_kelurahan_most_and_flag_small_bases() -> None:
    import pandas as pd

    from pipeline.analyse.indicators import eb_rates

    frame = pd.DataFrame(
        {
            C.JUMLAH_KK: [10, 1000, 1000, 1000, 0],
            C.KK_MISKIN: [9, 300, 200, 250, 0],
            C.KK_MISKIN_EKSTREM: [1, 50, 40, 45, 0],
        }
    )
    out = eb_rates(frame, small_base=30)
    raw = 100 * frame[C.KK_MISKIN] / frame[C.JUMLAH_KK].where(frame[C.JUMLAH_KK] > 0)
    mean = 100 * frame[C.KK_MISKIN].sum() / frame[C.JUMLAH_KK].sum()
    shrink = (raw - out[C.PERSEN_MISKIN_EB]).abs() / (raw - mean).abs()
    assert shrink[0] > 0.5 > shrink[1]  # 10 households: pulled most of the way to the mean
    assert (out[C.PERSEN_MISKIN_EB][:4] - mean).abs().le((raw[:4] - mean).abs() + 1e-9).all()  # never past the mean
    assert np.isnan(out.loc[4, C.PERSEN_MISKIN_EB])
    assert out[C.BASIS_KECIL].tolist() == [True, False, False, False, True]


def test_priority_composite_by_hand() -> None:
    import pandas as pd

    from pipeline.analyse.priority import prioritise

    frame = pd.DataFrame(
        {
            C.JUMLAH_KK: [100, 100, 100, 0],
            C.KK_MISKIN_EKSTREM: [30, 10, 20, 0],
            C.PERSEN_MISKIN_EB: [40.0, 60.0, 50.0, np.nan],
            "gi_kelas_eb": ["panas_99", "tidak_signifikan", "panas_90", "tanpa_data"],
            # the third kelurahan's hot spot does not survive the FDR: it must not count
            "gi_fdr_eb": [True, False, False, False],
            C.MPI_M0: [0.2, 0.1, 0.3, np.nan],
        }
    )
    out = prioritise(frame)
    # percentile ranks among the 3 kelurahan with households: 1/3, 2/3, 1
    np.testing.assert_allclose(out["skor_ekstrem"][:3], [1, 1 / 3, 2 / 3])
    np.testing.assert_allclose(out["skor_eb"][:3], [1 / 3, 1, 2 / 3])
    np.testing.assert_allclose(out["skor_titik_panas"][:3], [1, 0, 0])
    np.testing.assert_allclose(out["skor_mpi"][:3], [2 / 3, 1 / 3, 1])
    # equal weights: (1 + 1/3 + 1 + 2/3)/4 = 0.75; (1/3 + 1 + 0 + 1/3)/4 = 5/12; (2/3 + 2/3 + 0 + 1)/4 = 7/12
    np.testing.assert_allclose(out[C.SKOR_PRIORITAS][:3], [0.75, 5 / 12, 7 / 12])
    assert out[C.PERINGKAT].tolist()[:3] == [1, 3, 2] and out[C.PERINGKAT].isna().tolist()[3]
    # had the FDR flag been ignored, the third would score (2/3 + 2/3 + 1/3 + 1)/4 = 2/3
    ungated = prioritise(frame.assign(gi_fdr_eb=[True, False, True, False]))
    np.testing.assert_allclose(ungated[C.SKOR_PRIORITAS][:3], [0.75, 5 / 12, 2 / 3])
    # no FDR flag at all: no kelurahan counts as a hot spot
    np.testing.assert_allclose(prioritise(frame.drop(columns="gi_fdr_eb"))["skor_titik_panas"][:3], [0, 0, 0])
    only_extreme = prioritise(
        frame, weights={"kk_miskin_ekstrem": 1, "persen_miskin_eb": 0, "titik_panas": 0, "mpi_m0": 0}
    )
    assert only_extreme[C.PERINGKAT].tolist()[:3] == [1, 3, 2]


def test_vulnerable_flags_with_elderly_count_but_no_member_count() -> None:
    import pandas as pd

    from pipeline.analyse.indicators import vulnerable_flags

    frame = pd.DataFrame({C.JUMLAH_LANSIA: [1, 0], C.LANSIA_TUNGGAL: [0, 1]})
    flags = vulnerable_flags(frame)  # no jumlah_anggota_tercatat: the register's own flag only
    assert flags[C.LANSIA_TUNGGAL].tolist() == [0, 1]


def test_priority_ties_are_broken_by_the_stated_rule() -> None:
    import pandas as pd

    from pipeline.analyse.priority import TIE_RULE, prioritise

    # only the hot-spot component counts: A, B, C and D all score 1 (panas_99), E scores 0
    frame = pd.DataFrame(
        {
            C.KODE_KEL: ["5371010004", "5371010001", "5371010003", "5371010002", "5371010005"],
            C.JUMLAH_KK: [100, 100, 100, 100, 100],
            C.KK_MISKIN_EKSTREM: [10, 10, 25, 10, 40],
            C.PERSEN_MISKIN_EB: [30.0, 30.0, 20.0, 35.0, 50.0],
            "gi_kelas_eb": ["panas_99", "panas_99", "panas_99", "panas_99", "tidak_signifikan"],
            "gi_fdr_eb": [True, True, True, True, False],
        }
    )
    out = prioritise(frame, weights={"kk_miskin_ekstrem": 0, "persen_miskin_eb": 0, "titik_panas": 1})
    assert out[C.SKOR_PRIORITAS].tolist() == [1.0, 1.0, 1.0, 1.0, 0.0]
    # score 1 for four: 25 extreme first (…03); then 10 each: EB 35 (…02); then EB 30 by code: …01 before …04
    assert out[C.PERINGKAT].tolist() == [4, 3, 1, 2, 5]
    assert "KK miskin ekstrem" in TIE_RULE and "kode" in TIE_RULE


def test_people_are_never_one_per_household(grid3: gpd.GeoDataFrame) -> None:
    from pipeline.analyse.indicators import JIWA_TIDAK_DIKETAHUI, household_people

    # member counts 3, 5 and two missing: the missing take [progress] household_size (4.0),
    # else the others' mean (4.0 too: (3 + 5) / 2), so 3 + 5 + 4 + 4 = 16 people
    frame = pd.DataFrame({C.JUMLAH_ART: pd.array([3, 5, pd.NA, pd.NA], dtype="Int64")})
    assert household_people(frame).tolist() == [3.0, 5.0, 4.0, 4.0]
    assert household_people(frame, household_size=3.5).tolist() == [3.0, 5.0, 3.5, 3.5]
    # fewer than half with a count, or no count at all, and no household size: unknown, not 1 each
    sparse = pd.DataFrame({C.JUMLAH_ART: pd.array([3, pd.NA, pd.NA], dtype="Int64")})
    assert household_people(sparse) is None
    assert household_people(pd.DataFrame(index=range(3))) is None
    assert household_people(pd.DataFrame(index=range(3)), household_size=4.2).tolist() == [4.2] * 3
    # through the kelurahan indicators: 3 households in 1001, none with a member count
    rows = [{C.KODE_KEL: "9971011001", C.DESIL: d, C.JUMLAH_ART: ""} for d in (1, 3, 9)]
    classified = classify_poverty(_joined(rows, grid3), rule=PovertyRule(extreme_max_decile=1, poor_max_decile=4))
    unknown = kelurahan_indicators(classified, grid3).set_index(C.KODE_KEL)
    assert unknown[[C.JUMLAH_JIWA, "jiwa_miskin", "jiwa_miskin_ekstrem"]].isna().all().all()
    assert (unknown[C.JUMLAH_KK].sum(), unknown[C.KK_MISKIN].sum()) == (3, 2)  # households are still counted
    summary = region_summary(unknown.reset_index())
    assert summary[C.JUMLAH_JIWA] is None and summary[JIWA_TIDAK_DIKETAHUI] is True
    sized = kelurahan_indicators(classified, grid3, household_size=3.6).set_index(C.KODE_KEL)
    # 3 x 3.6 = 10.8 -> 11 people; the 2 poor: 7.2 -> 7; the extreme poor: 3.6 -> 4
    assert sized.loc["99.71.01.1001", [C.JUMLAH_JIWA, "jiwa_miskin", "jiwa_miskin_ekstrem"]].tolist() == [11, 7, 4]
