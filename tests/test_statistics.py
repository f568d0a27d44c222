"""Worked examples: every statistic on a case small enough to compute by hand.

Each test states its numbers and how they were obtained, so that a reader
can check the arithmetic without running anything. Where a tail
probability is too long to sum by hand, an independent reference
(``scipy.stats``) computes it in the test.
"""

from __future__ import annotations

from math import comb

import geopandas as gpd
import h3
import numpy as np
import pandas as pd
import pytest
import shapely
from scipy import stats

from pipeline import columns as C
from pipeline.analyse.fdr import fdr_significant
from pipeline.analyse.hotspots import kelurahan_hotspots, local_gi_star
from pipeline.analyse.indicators import eb_rates
from pipeline.analyse.pockets import aggregate_cells, cell_hotspots, label_pockets, merge_pockets

UTM50S = "EPSG:32750"


def _strip(values: list[float], **columns: list[float]) -> gpd.GeoDataFrame:
    """Five 1 km squares in a row: each touches only the squares beside it."""
    return gpd.GeoDataFrame(
        {C.PERSEN_MISKIN: values, C.NAMA_KEL: list("abcde"), **columns},
        geometry=[shapely.box(i * 1000, 9_000_000, (i + 1) * 1000, 9_001_000) for i in range(len(values))],
        crs=UTM50S,
    )


# --- Getis-Ord Gi* at kelurahan level ---------------------------------------------


def test_gi_star_z_scores_by_hand() -> None:
    # y = 1, 2, 3, 4, 10 on a strip; binary weights with the kelurahan itself (star).
    # n = 5, mean 4, S = sqrt(130/5 - 4^2) = sqrt(10).
    # Gi*_i = (sum_j w_ij y_j - mean W_i) / (S sqrt((n W_i - W_i^2) / (n - 1)))
    #   e (neighbourhood d, e):    W = 2, sum 14: (14 - 8) / (sqrt(10) sqrt(6/4)) = 6 / sqrt(15) = 1.549193
    #   d (c, d, e):               W = 3, sum 17: (17 - 12) / (sqrt(10) sqrt(6/4)) = 5 / sqrt(15) = 1.290994
    #   c (b, c, d):               sum 9:  -3 / sqrt(15) = -0.774597
    #   b (a, b, c):               sum 6:  -6 / sqrt(15) = -1.549193
    #   a (a, b):                  sum 3:  -5 / sqrt(15) = -1.290994
    out = local_gi_star(_strip([1, 2, 3, 4, 10]), crs=UTM50S, permutations=99, seed=0)
    np.testing.assert_allclose(out[C.GI_Z], [-1.290994, -1.549193, -0.774597, 1.290994, 1.549193], atol=1e-6)
    # the pseudo p-value is two-sided: twice esda's directed p, never above 1
    assert ((out[C.GI_P] > 0) & (out[C.GI_P] <= 1)).all()


def test_kelurahan_hotspots_runs_gi_star_on_the_raw_and_the_eb_rate() -> None:
    # EB rate = 2 x raw + 1: Gi* is invariant to a positive linear map, so the
    # z-scores of both variables are the hand values above.
    raw = [1.0, 2.0, 3.0, 4.0, 10.0]
    frame = _strip(raw, **{C.PERSEN_MISKIN_EB: [2 * v + 1 for v in raw]})
    out = kelurahan_hotspots(frame, crs=UTM50S, permutations=99, seed=0)
    expected = [-1.290994, -1.549193, -0.774597, 1.290994, 1.549193]
    np.testing.assert_allclose(out["gi_z"], expected, atol=1e-6)
    np.testing.assert_allclose(out["gi_z_eb"], expected, atol=1e-6)
    # the classes and FDR flags follow each variable's own p-values
    for suffix in ("", "_eb"):
        p = out[f"gi_p{suffix}"].to_numpy()
        assert out[f"gi_fdr{suffix}"].tolist() == fdr_significant(p, 0.05).tolist()


def test_benjamini_hochberg_by_hand() -> None:
    # Ten p-values, five of them below 0.05. BH at q = 0.05 compares the r-th
    # smallest with r x 0.05 / 10 = 0.005, 0.010, 0.015, ...:
    #   0.001 <= 0.005 yes; 0.008 <= 0.010 yes; 0.039 > 0.015, and no later
    #   p(r) <= 0.005 r either (0.041 > 0.020, 0.042 > 0.025, 0.060 > 0.030, ...).
    # The largest passing rank is 2: only the first two survive.
    p = np.array([0.042, 0.001, 0.205, 0.039, 0.008, 0.060, 0.212, 0.074, 0.041, 0.216])
    assert fdr_significant(p, 0.05).tolist() == [False, True, False, False, True, False, False, False, False, False]
    # an independent reference: scipy's BH-adjusted p-values at the same level
    assert fdr_significant(p, 0.05).tolist() == (stats.false_discovery_control(p, method="bh") <= 0.05).tolist()
    # at q = 0.10 the thresholds are 0.01 r: 0.060 <= 0.06 at rank 6, 0.074 > 0.07 at rank 7
    # -> the six smallest survive, 0.039 and 0.041 among them though they fail their own ranks
    assert int(fdr_significant(p, 0.10).sum()) == 6
    assert not fdr_significant(np.array([np.nan, 0.5]), 0.05).any()


# --- Empirical Bayes rates ----------------------------------------------------------


def test_empirical_bayes_rates_by_hand() -> None:
    # Marshall (1991). Counts 10, 20, 30, 40 of 100 households and 5 of 20:
    #   b = 105 / 420 = 0.25 (the regional rate)
    #   s2 = sum n_i (r_i - b)^2 / sum n_i = 100 (0.15^2 + 0.05^2 + 0.05^2 + 0.15^2) / 420 = 5 / 420
    #   mean base = 420 / 5 = 84; a = s2 - b / 84 = 5/420 - 1.25/420 = 3.75 / 420
    #   shrink weight for n = 100: a / (a + b / 100) = 3.75 / (3.75 + 1.05) = 0.78125
    #   EB = b + 0.78125 (r - b): 13.28125, 21.09375, 28.90625, 36.71875 %; the fifth is at b: 25 %
    frame = pd.DataFrame(
        {
            C.JUMLAH_KK: [100, 100, 100, 100, 20],
            C.KK_MISKIN: [10, 20, 30, 40, 5],
            C.KK_MISKIN_EKSTREM: [0, 0, 0, 0, 0],
        }
    )
    out = eb_rates(frame)
    np.testing.assert_allclose(out[C.PERSEN_MISKIN_EB], [13.28125, 21.09375, 28.90625, 36.71875, 25.0])


def test_empirical_bayes_with_less_spread_than_chance_gives_the_mean() -> None:
    # 24 and 26 poor of 100: b = 0.25, s2 = 100 (0.01^2 + 0.01^2) / 200 = 0.0001,
    # a = 0.0001 - 0.25 / 100 < 0: no between-kelurahan variance, every rate is b.
    # Extreme poor 1 and 2 of 100: same case, both 1.5 %.
    frame = pd.DataFrame({C.JUMLAH_KK: [100, 100], C.KK_MISKIN: [24, 26], C.KK_MISKIN_EKSTREM: [1, 2]})
    out = eb_rates(frame)
    assert out[C.PERSEN_MISKIN_EB].tolist() == [25.0, 25.0]
    assert out["persen_miskin_ekstrem_eb"].tolist() == pytest.approx([1.5, 1.5])


# --- the H3 cell count test and the pocket rule --------------------------------------

#: Households and poor households of five cells on a line (c0 … c4).
LINE = ((2, 2), (2, 1), (4, 1), (6, 1), (6, 0))


def _line_households() -> gpd.GeoDataFrame:
    """Households at the centres of five H3 cells on a path (each touches only its neighbours on the line)."""
    start = h3.latlng_to_cell(-8.0, 118.7, 9)
    end = h3.grid_ring(start, 4)[0]
    path = h3.grid_path_cells(start, end)
    assert len(path) == len(LINE)
    rows = []
    for cell, (households, poor) in zip(path, LINE, strict=True):
        lat, lon = h3.cell_to_latlng(cell)
        rows += [(lat, lon, i < poor) for i in range(households)]
    frame = pd.DataFrame(rows, columns=["lat", "lon", C.MISKIN])
    return gpd.GeoDataFrame(
        {
            C.MISKIN: frame[C.MISKIN].astype(int),
            C.MISKIN_EKSTREM: 0,
            C.KODE_KEL: "5206010001",
            C.METODE_LOKASI: "titik",
        },
        geometry=gpd.points_from_xy(frame["lon"], frame["lat"]),
        crs="EPSG:4326",
    )


def test_cell_count_test_by_hand() -> None:
    # N = 20 households, K = 5 poor: p = 0.25. Each cell's neighbourhood is itself and its
    # neighbours on the line. z_i = (K_i - N_i p) / sqrt(N_i p (1-p) (N - N_i) / (N - 1)).
    #   c0 {c0,c1}: N_i = 4, K_i = 3: z = 2 / sqrt(4 x 0.1875 x 16/19) = 2.516611
    #     P(X >= 3), X ~ Hypergeom(20, 5, 4) = (C(5,3) C(15,1) + C(5,4)) / C(20,4) = 155 / 4845
    #     two-sided p = 2 x 155 / 4845 = 0.063983
    #   c1 {c0,c1,c2}: N_i = 8, K_i = 4: z = 2 / sqrt(8 x 0.1875 x 12/19) = 2.054805
    #     P(X >= 4) = (5 C(15,4) + C(15,3)) / C(20,8) = 7280 / 125970; p = 0.115583
    #   c2 {c1,c2,c3}: N_i = 12, K_i = 3 = N_i p: z = 0, p = 1
    #   c3 {c2,c3,c4}: N_i = 16, K_i = 2: z = -2.516611, p = 0.063983 (the mirror of c0)
    #   c4 {c3,c4}:    N_i = 12, K_i = 1: z = -2.054805, p = 0.115583
    cells = aggregate_cells(_line_households(), resolution=9)
    assert sorted(map(tuple, cells[["jumlah_kk", C.KK_MISKIN]].to_numpy().tolist())) == sorted(LINE)
    strict = cell_hotspots(cells, significance=0.05)
    by_line = strict.set_index(cells["jumlah_kk"].astype(str) + "/" + cells[C.KK_MISKIN].astype(str))
    keys = [f"{n}/{k}" for n, k in LINE]
    np.testing.assert_allclose(by_line.loc[keys, C.GI_Z], [2.516611, 2.054805, 0.0, -2.516611, -2.054805], atol=1e-6)
    assert 155 / 4845 == pytest.approx((comb(5, 3) * comb(15, 1) + comb(5, 4)) / comb(20, 4))
    np.testing.assert_allclose(
        by_line.loc[keys, C.GI_P], [2 * 155 / 4845, 2 * 7280 / 125970, 1.0, 2 * 155 / 4845, 2 * 7280 / 125970]
    )
    # an independent reference for the first tail
    assert by_line.loc[keys[0], C.GI_P] == pytest.approx(2 * stats.hypergeom.sf(2, 20, 5, 4))
    # FDR 5 %: thresholds 0.01 r; the smallest p is 0.064: nothing is significant
    assert (strict["gi_kelas"] == "tidak_signifikan").all()
    # FDR 15 %: sorted p 0.064, 0.064, 0.116, 0.116, 1 against 0.03 r: 0.116 <= 0.12 at rank 4,
    # so four cells survive: c0, c1 hot; c3, c4 cold; c2 not.
    loose = cell_hotspots(cells, significance=0.15).set_index(by_line.index)
    assert loose.loc[keys, "gi_kelas"].tolist() == ["panas", "panas", "tidak_signifikan", "dingin", "dingin"]
    # The pocket rule: a hot cell joins only if its own count is above the regional rate
    # at 0.25 (one-sided binomial). c0: P(X >= 2 | 2, 0.25) = 0.0625 -> joins;
    # c1: P(X >= 1 | 2, 0.25) = 1 - 0.75^2 = 0.4375 -> does not.
    np.testing.assert_allclose(loose.loc[keys[:2], "p_sel"], [0.0625, 0.4375])
    labelled = label_pockets(cell_hotspots(cells, significance=0.15), min_households=2)
    assert labelled.set_index(by_line.index).loc[keys, "kantong_id"].tolist() == ["K01", "", "", "", ""]
    pockets = merge_pockets(labelled, min_households=2)
    assert pockets[["jumlah_sel", "jumlah_kk", C.KK_MISKIN]].to_numpy().tolist() == [[1, 2, 2]]
    # a minimum of 3 households: the 2-household pocket is not a pocket at all
    assert (label_pockets(loose, min_households=3)["kantong_id"] == "").all()
    assert merge_pockets(loose, min_households=3).empty


def test_pockets_are_clipped_to_the_region_and_measured_in_its_crs() -> None:
    # The line's pocket is the one hexagon c0; a region covering only the west half of it
    # (a kelurahan on the coast, say) cuts the outline to that half.
    cells = label_pockets(
        cell_hotspots(aggregate_cells(_line_households(), resolution=9), significance=0.15), min_households=2
    )
    hexagon = cells.loc[cells["kantong_id"] == "K01", "geometry"].iloc[0]
    minx, miny, maxx, maxy = hexagon.bounds
    region = gpd.GeoDataFrame(
        {C.KODE_KEL: ["5206010001"]}, geometry=[shapely.box(minx - 1, miny - 1, (minx + maxx) / 2, maxy + 1)], crs=4326
    )
    pocket = merge_pockets(cells, region=region, crs=UTM50S)
    outline = pocket.geometry.iloc[0]
    assert outline.difference(region.geometry.iloc[0]).area == pytest.approx(0, abs=1e-15)
    half = gpd.GeoSeries([hexagon.intersection(region.geometry.iloc[0])], crs=4326).to_crs(UTM50S).area.iloc[0]
    assert pocket["luas_km2"].iloc[0] == pytest.approx(round(half / 1e6, 4))
    # a resolution-9 hexagon is about 0.105 km²; half of it about 0.05
    whole = merge_pockets(cells, crs=UTM50S)["luas_km2"].iloc[0]
    assert 0.09 < whole < 0.12 and pocket["luas_km2"].iloc[0] == pytest.approx(whole / 2, rel=0.05)
    # the counts stay those of the cells: clipping changes the outline, not who is in the pocket
    assert pocket[["jumlah_kk", C.KK_MISKIN]].iloc[0].tolist() == [2, 2]


# --- kecamatan: EB rates always, hot spots only with enough kecamatan ------------------


def _kelurahan_in_kecamatan(households: list[int], poor: list[int], per_kecamatan: int = 2) -> gpd.GeoDataFrame:
    """Kelurahan squares on a row, ``per_kecamatan`` of them in each kecamatan."""
    n = len(households)
    return gpd.GeoDataFrame(
        {
            C.KODE_KEC: [f"99.71.{i // per_kecamatan + 1:02d}" for i in range(n)],
            C.NAMA_KEC: [f"Kec {i // per_kecamatan + 1}" for i in range(n)],
            C.JUMLAH_KK: households,
            C.KK_MISKIN: poor,
            C.KK_MISKIN_EKSTREM: [0] * n,
            C.KK_BERKOORDINAT: households,
        },
        geometry=[shapely.box(i * 1000, 9_000_000, (i + 1) * 1000, 9_001_000) for i in range(n)],
        crs=UTM50S,
    )


def test_kecamatan_get_eb_rates_from_their_summed_counts() -> None:
    from pipeline.analyse.indicators import kecamatan_indicators

    # Two kelurahan per kecamatan summing to the EB example above: 100/10, 100/20, 100/30,
    # 100/40, 20/5 -> 13.28125, 21.09375, 28.90625, 36.71875 and 25 %.
    kel = _kelurahan_in_kecamatan([60, 40, 50, 50, 30, 70, 90, 10, 10, 10], [6, 4, 15, 5, 10, 20, 39, 1, 2, 3])
    kec = kecamatan_indicators(kel).sort_values(C.KODE_KEC)
    assert kec[C.JUMLAH_KK].tolist() == [100, 100, 100, 100, 20]
    np.testing.assert_allclose(kec[C.PERSEN_MISKIN_EB], [13.28125, 21.09375, 28.90625, 36.71875, 25.0])
    assert kec[C.BASIS_KECIL].tolist() == [False, False, False, False, True]


def test_kecamatan_hot_spots_need_ten_kecamatan() -> None:
    from pipeline.analyse.hotspots import MIN_AREAS_FOR_HOTSPOTS, TOO_FEW_CLASS, kecamatan_hotspots
    from pipeline.analyse.indicators import kecamatan_indicators

    # 8 kecamatan (Dompu has 8): a kecamatan with 3 neighbours has C(7, 3) = 35 possible
    # neighbourhoods, so its two-sided p-value is never below 2/35 = 0.057: not tested.
    assert 2 / comb(7, 3) > 0.05 > 2 / comb(9, 3)
    assert MIN_AREAS_FOR_HOTSPOTS == 10
    few = kecamatan_indicators(_kelurahan_in_kecamatan([100] * 8, [10, 20, 30, 40, 50, 60, 70, 80], per_kecamatan=1))
    out = kecamatan_hotspots(few, crs=UTM50S, permutations=99)
    assert (out["gi_kelas_eb"] == TOO_FEW_CLASS).all() and out["gi_z_eb"].isna().all()
    assert not out["gi_fdr_eb"].any() and (out["lisa_kelas"] == TOO_FEW_CLASS).all()
    # 10 kecamatan on a strip, y = 1..10 % of 100: tested, and the Gi* z of the last is by hand
    # mean 5.5, S = sqrt(385/10 - 30.25) = sqrt(8.25); the last: W = 2, sum 19:
    # (19 - 11) / (sqrt(8.25) sqrt((20 - 4)/9)) = 8 / (2.872281 x 1.333333) = 2.088932
    enough = kecamatan_indicators(_kelurahan_in_kecamatan([100] * 10, list(range(1, 11)), per_kecamatan=1))
    out = kecamatan_hotspots(enough, crs=UTM50S, permutations=99).sort_values(C.KODE_KEC)
    assert not (out["gi_kelas"] == TOO_FEW_CLASS).any()
    assert out["gi_z"].iloc[-1] == pytest.approx(2.088932, abs=1e-6)


# --- sensitivity figures ------------------------------------------------------------


def test_pocket_jaccard_by_hand() -> None:
    from pipeline.analyse.sensitivity import pocket_jaccard

    # two 1 km squares, the second shifted by half: shared 0.5 km², combined 1.5 km² -> 1/3
    a = gpd.GeoDataFrame(geometry=[shapely.box(0, 9_000_000, 1000, 9_001_000)], crs=UTM50S)
    b = gpd.GeoDataFrame(geometry=[shapely.box(500, 9_000_000, 1500, 9_001_000)], crs=UTM50S)
    assert pocket_jaccard(a, b, crs=UTM50S) == pytest.approx(1 / 3)
    assert pocket_jaccard(a, a.to_crs(4326), crs=UTM50S) == pytest.approx(1.0)
    assert pocket_jaccard(a.iloc[:0], b.iloc[:0], crs=UTM50S) == 1.0  # both agree: no pocket
    assert pocket_jaccard(a, b.iloc[:0], crs=UTM50S) == 0.0


def test_rank_stability_by_hand() -> None:
    from pipeline.analyse.sensitivity import rank_stability

    # ranks 1..5 against 2, 1, 3, 4, 5: sum of squared differences 2, so
    # Spearman = 1 - 6 x 2 / (5 x (25 - 1)) = 0.9; the top 2 are the same two kelurahan
    a = pd.DataFrame({C.KODE_KEL: list("abcde"), C.PERINGKAT: [1, 2, 3, 4, 5]})
    b = pd.DataFrame({C.KODE_KEL: list("abcde"), C.PERINGKAT: [2, 1, 3, 4, 5]})
    assert rank_stability(a, b, top=2) == {"spearman": pytest.approx(0.9), "top_sama": 2.0}
    # the reversed list: Spearman -1; of the top 2 (a, b) none is in the other's top 2 (e, d)
    c = pd.DataFrame({C.KODE_KEL: list("abcde"), C.PERINGKAT: [5, 4, 3, 2, 1]})
    assert rank_stability(a, c, top=2) == {"spearman": pytest.approx(-1.0), "top_sama": 0.0}


def test_rerun_with_the_region_settings_reproduces_the_region(tmp_path) -> None:
    from pipeline.analyse.sensitivity import pocket_jaccard, rank_stability, rerun
    from pipeline.config import load_config
    from pipeline.run import analyse_region

    from .conftest import cli, write_region

    path = write_region(tmp_path, households=4000)
    cli("synth", str(path))
    analysis = analyse_region(load_config(path))
    kelurahan, pockets = rerun(analysis)
    assert rank_stability(analysis.kelurahan, kelurahan)["spearman"] == pytest.approx(1.0)
    assert pocket_jaccard(analysis.pockets, pockets, crs=analysis.projected_crs) == pytest.approx(1.0)
    # a stricter rule can only make fewer households poor
    strict, _ = rerun(analysis, poor_max_decile=1)
    assert strict[C.KK_MISKIN].sum() < kelurahan[C.KK_MISKIN].sum()
