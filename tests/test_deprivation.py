"""Alkire-Foster deprivation: checked against a worked example done by hand."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from pipeline import columns as C
from pipeline.analyse.deprivation import effective_indicators, mpi_counts, mpi_from_counts, score_households
from pipeline.settings import DEFAULT_DEPRIVATION, DeprivationIndicator, DeprivationSettings

# Three indicators in three dimensions, weights 1/4, 1/4, 1/2; k = 1/3.
WORKED = DeprivationSettings(
    indicators=(
        DeprivationIndicator("lantai", "perumahan", C.JENIS_LANTAI, 0.25, values=("Tanah",)),
        DeprivationIndicator("air_minum", "air_bersih", C.SUMBER_AIR, 0.25, values=("Sungai/Danau/Waduk",)),
        DeprivationIndicator("anak_tidak_sekolah", "pendidikan", C.JUMLAH_TIDAK_SEKOLAH, 0.5, op=">", threshold=0),
    ),
    poverty_cutoff=1 / 3,
)


def worked_households() -> pd.DataFrame:
    # By hand:
    #   h1 earth floor + child out of school   c = 1/4 + 1/2 = 0.75  poor
    #   h2 river water only                    c = 1/4              not poor (< 1/3)
    #   h3 earth floor + river water           c = 1/4 + 1/4 = 0.5  poor
    #   h4 nothing                             c = 0
    #   h5 floor unknown                       not assessed
    # n = 4, q = 2: H = 50 %, A = (0.75 + 0.5) / 2 = 62.5 %, M0 = 0.3125.
    # Censored headcounts: floor h1,h3 = 2/4 = 50 %; water h3 = 25 % (h2 is
    # not poor, so censored out); school h1 = 25 %.
    # Contributions: floor 0.25*0.5/0.3125 = 40 %, water 0.25*0.25/0.3125 = 20 %,
    # school 0.5*0.25/0.3125 = 40 %.
    return pd.DataFrame(
        {
            C.KODE_KEL: ["X"] * 5,
            C.JENIS_LANTAI: ["tanah", "Keramik", "TANAH ", "Keramik", ""],
            C.SUMBER_AIR: ["Leding", "Sungai / Danau / Waduk", "Sungai/Danau/Waduk", "Leding", "Leding"],
            C.JUMLAH_TIDAK_SEKOLAH: pd.array([1, 0, 0, 0, 0], dtype="Int64"),
        }
    )


def test_household_scores_match_the_hand_computation():
    scored, used = score_households(worked_households(), settings=WORKED)
    assert [i.weight for i in used] == [0.25, 0.25, 0.5]
    np.testing.assert_allclose(scored[C.SKOR_DEPRIVASI].to_numpy()[:4], [0.75, 0.25, 0.5, 0.0])
    assert np.isnan(scored[C.SKOR_DEPRIVASI].iloc[4])
    assert scored[C.DINILAI_MPI].tolist() == [True, True, True, True, False]
    assert scored[C.MISKIN_MULTIDIMENSI].tolist() == [True, False, True, False, False]


def test_area_figures_match_the_hand_computation():
    scored, used = score_households(worked_households(), settings=WORKED)
    counts = mpi_counts(scored, indicators=used).groupby(scored[C.KODE_KEL]).sum()
    area = mpi_from_counts(counts, indicators=used).loc["X"]
    assert area[C.KK_DINILAI_MPI] == 4
    assert area[C.KK_MISKIN_MULTIDIMENSI] == 2
    assert area[C.MPI_H] == pytest.approx(50.0)
    assert area[C.MPI_A] == pytest.approx(62.5)
    assert area[C.MPI_M0] == pytest.approx(0.3125)
    assert area["persen_sensor_lantai"] == pytest.approx(50.0)
    assert area["persen_sensor_air_minum"] == pytest.approx(25.0)
    assert area["persen_sensor_anak_tidak_sekolah"] == pytest.approx(25.0)
    assert area["kontribusi_lantai"] == pytest.approx(40.0)
    assert area["kontribusi_air_minum"] == pytest.approx(20.0)
    assert area["kontribusi_anak_tidak_sekolah"] == pytest.approx(40.0)


def test_areas_recompute_exactly_from_summed_counts():
    # Two areas pooled must give the M0 of all their households together.
    one = worked_households()
    two = worked_households().assign(**{C.KODE_KEL: "Y", C.JENIS_LANTAI: "Keramik"})
    both = pd.concat([one, two], ignore_index=True)
    scored, used = score_households(both, settings=WORKED)
    per_area = mpi_counts(scored, indicators=used).groupby(scored[C.KODE_KEL]).sum()
    pooled = mpi_from_counts(per_area.sum().to_frame().T, indicators=used).iloc[0]
    # Y by hand: h1 school only c=0.5 poor; h2 water c=0.25; h3 water 0.25; h4 0; h5 0 -> q=1 of 5.
    # Pooled: q = 3 of 9, poor scores 0.75 + 0.5 + 0.5 = 1.75 -> M0 = 1.75/9.
    assert pooled[C.MPI_M0] == pytest.approx(1.75 / 9)
    assert pooled[C.MPI_H] == pytest.approx(100 * 3 / 9)


def test_cutoff_is_inclusive_at_exactly_one_third():
    # default weights: floor + wall + roof (3 x 1/18) + water (1/6) = 1/3 exactly
    household = pd.DataFrame(
        {
            C.JENIS_LANTAI: ["Tanah"],
            C.JENIS_DINDING: ["Bambu"],
            C.JENIS_ATAP: ["Ijuk/Rumbia"],
            C.SUMBER_AIR: ["Sungai/Danau/Waduk"],
            C.FASILITAS_BAB: ["Sendiri"],
            C.PENERANGAN: ["Listrik PLN 900 VA"],
            C.BAHAN_BAKAR: ["Gas 3 kg"],
            C.PENDIDIKAN_KK: ["SMA/Sederajat"],
            C.JUMLAH_TIDAK_SEKOLAH: [0],
            "penerima_pbi_jkn": [1],
        }
    )
    scored, _ = score_households(household, settings=DeprivationSettings())
    assert scored[C.SKOR_DEPRIVASI].iloc[0] == pytest.approx(1 / 3)
    assert bool(scored[C.MISKIN_MULTIDIMENSI].iloc[0])


def test_missing_column_weight_goes_to_its_dimension_then_to_the_others():
    columns = {i.column for i in DEFAULT_DEPRIVATION} - {C.JUMLAH_TIDAK_SEKOLAH}
    used = {i.name: i.weight for i in effective_indicators(DEFAULT_DEPRIVATION, columns)}
    assert "anak_tidak_sekolah" not in used
    assert used["pendidikan_kk"] == pytest.approx(1 / 6)  # the whole education dimension
    assert sum(used.values()) == pytest.approx(1.0)
    no_health = {i.name: i.weight for i in effective_indicators(DEFAULT_DEPRIVATION, columns - {"penerima_pbi_jkn"})}
    assert sum(no_health.values()) == pytest.approx(1.0)
    assert no_health["sanitasi"] == pytest.approx(1 / 5)  # 1/6 spread over five remaining dimensions


def test_region_toml_indicators_are_checked(tmp_path):
    from pipeline.config import load_config
    from pipeline.errors import ConfigError

    base = (
        '[region]\nslug="x"\nname="X"\nkode="99.71"\ndata_date="2026-01-01"\n'
        '[boundaries]\npath="b.gpkg"\n[households]\npaths=["h.csv"]\n'
    )
    good = base + (
        "[deprivation]\npoverty_cutoff = 0.4\n"
        '[[deprivation.indicators]]\nname="lantai"\ndimension="perumahan"\ncolumn="jenis_lantai"\n'
        'weight=0.5\nvalues=["Tanah"]\n'
        '[[deprivation.indicators]]\nname="sekolah"\ndimension="pendidikan"\ncolumn="jumlah_tidak_sekolah"\n'
        'weight=0.5\nop=">"\nthreshold=0\n'
    )
    (tmp_path / "good.toml").write_text(good)
    (tmp_path / "b.gpkg").touch()
    (tmp_path / "h.csv").touch()
    config = load_config(tmp_path / "good.toml")
    assert config.deprivation.poverty_cutoff == 0.4
    assert [i.name for i in config.deprivation.indicators] == ["lantai", "sekolah"]
    (tmp_path / "bad.toml").write_text(good.replace("weight=0.5\nop", "weight=0.4\nop"))
    with pytest.raises(ConfigError, match="sum to 1"):
        load_config(tmp_path / "bad.toml")
    (tmp_path / "both.toml").write_text(good.replace('op=">"', 'values=["x"]\nop=">"'))
    with pytest.raises(ConfigError, match="either 'values'"):
        load_config(tmp_path / "both.toml")
