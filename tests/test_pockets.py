from __future__ import annotations

import geopandas as gpd
import numpy as np
import pytest
import shapely

from pipeline import columns as C
from pipeline.analyse.hotspots import classify_gi, contiguity_weights, local_gi_star
from pipeline.errors import CRSError

from .conftest import CELL, grid_boundaries

UTM50N = "EPSG:32650"


def _rates(nx: int, ny: int, hot: set[int], *, seed: int = 3) -> gpd.GeoDataFrame:
    grid = grid_boundaries(nx, ny)
    rng = np.random.default_rng(seed)
    rate = rng.uniform(15, 25, size=len(grid))
    rate[list(hot)] = rng.uniform(70, 80, size=len(hot))
    grid[C.PERSEN_MISKIN] = rate
    return grid


def test_queen_contiguity_on_a_clean_grid() -> None:
    w, knn = contiguity_weights(grid_boundaries(3, 3), crs=UTM50N)
    assert w.cardinalities[4] == 8  # the centre touches all others (queen, corners included)
    assert w.cardinalities[0] == 3
    assert not knn.any()


def test_slivers_and_gaps_still_make_neighbours() -> None:
    grid = grid_boundaries(2, 1)
    x0, y0, x1, y1 = grid.geometry.iloc[1].bounds
    grid.loc[1, "geometry"] = shapely.box(x0 + CELL * 0.0001, y0, x1, y1)  # an ~11 m gap
    w, knn = contiguity_weights(grid, crs=UTM50N, tolerance_m=25)
    assert w.neighbors[0] == [1] and not knn.any()


def test_island_is_linked_to_its_nearest_kelurahan() -> None:
    grid = grid_boundaries(3, 1)
    grid.loc[2, "geometry"] = shapely.affinity.translate(grid.geometry.iloc[2], xoff=CELL * 3)  # offshore
    w, knn = contiguity_weights(grid, crs=UTM50N)
    assert list(knn) == [False, False, True]
    assert w.neighbors[2] == [1] and 2 in w.neighbors[1]


def test_contiguity_needs_a_projected_crs() -> None:
    with pytest.raises(CRSError, match="projected_crs"):
        contiguity_weights(grid_boundaries(2, 2), crs="EPSG:4326")


def test_planted_cluster_is_a_hot_spot_and_the_rest_is_not() -> None:
    hot = {0, 1, 7, 8}  # a 2x2 block in the south-west corner of a 7x7 grid
    frame = _rates(7, 7, hot)
    out = local_gi_star(frame, crs=UTM50N, permutations=999, seed=1)
    classes = out[C.GI_KELAS]
    assert classes.iloc[sorted(hot)].str.startswith("panas").all()
    far = [i for i in range(49) if i % 7 >= 3 and i // 7 >= 3]  # the north-east, far from the block
    assert not classes.iloc[far].str.startswith("panas").any()
    assert (out[C.GI_Z].iloc[sorted(hot)] > 2).all()
    assert out.index.equals(frame.index)


def test_gi_is_repeatable_with_a_seed_and_skips_empty_kelurahan() -> None:
    frame = _rates(5, 5, {0, 1, 5})
    frame.loc[24, C.PERSEN_MISKIN] = np.nan
    a = local_gi_star(frame, crs=UTM50N, permutations=199, seed=7)
    b = local_gi_star(frame, crs=UTM50N, permutations=199, seed=7)
    assert a[C.GI_P].equals(b[C.GI_P])
    assert a.loc[24, C.GI_KELAS] == "tanpa_data" and np.isnan(a.loc[24, C.GI_Z])


@pytest.mark.parametrize(
    ("z", "p", "expected"),
    [
        (3.0, 0.002, "panas_99"),
        (2.0, 0.04, "panas_95"),
        (1.7, 0.08, "panas_90"),
        (1.0, 0.3, "tidak_signifikan"),
        (-2.0, 0.03, "dingin_95"),
        (-3.0, 0.01, "dingin_99"),
    ],
    ids=["hot99", "hot95", "hot90", "ns", "cold95", "cold99"],
)
def test_classes(z: float, p: float, expected: str) -> None:
    assert classify_gi(np.array([z]), np.array([p]))[0] == expected


def test_a_neighbourhood_covering_the_whole_region_has_no_z_score() -> None:
    frame = _rates(3, 3, {0, 1})
    out = local_gi_star(frame, crs=UTM50N, permutations=99, seed=1)
    assert np.isnan(out.loc[4, C.GI_Z]) and np.isnan(out.loc[4, C.GI_P])  # the centre touches all eight others
    assert out.loc[4, C.GI_KELAS] == "tidak_signifikan"
    assert np.isfinite(out.drop(index=4)[C.GI_Z]).all()


def test_local_moran_and_fdr_on_the_planted_block() -> None:
    hot = {0, 1, 7, 8}
    frame = _rates(7, 7, hot)
    out = local_gi_star(frame, crs=UTM50N, permutations=999, seed=1, significance=0.05)
    assert (out.loc[sorted(hot), "lisa_kelas"] == "tinggi_tinggi").all()
    assert (out.loc[sorted(hot), "lisa_i"] > 0).all()
    # the FDR flag is never looser than the raw p-value
    assert not (out["gi_fdr"] & (out[C.GI_P] > 0.05)).any()
    assert not (out["lisa_fdr"] & (out["lisa_p"] > 0.05)).any()
    # by hand: BH at 5 % over 49 tests keeps p <= 0.05 * r / 49 for the largest such rank r
    p = np.sort(out[C.GI_P].to_numpy())
    passing = np.flatnonzero(p <= 0.05 * np.arange(1, 50) / 49)
    expected = int(passing.max()) + 1 if passing.size else 0
    assert int(out["gi_fdr"].sum()) == expected


def test_kelurahan_hotspots_cover_raw_and_eb_rates() -> None:
    from pipeline.analyse.hotspots import kelurahan_hotspots

    frame = _rates(5, 5, {0, 1, 5, 6})
    frame[C.PERSEN_MISKIN_EB] = frame[C.PERSEN_MISKIN] * 0.9 + 2
    out = kelurahan_hotspots(frame, crs=UTM50N, permutations=99, seed=2)
    for column in (
        "gi_z",
        "gi_kelas",
        "lisa_kelas",
        "gi_fdr",
        "gi_z_eb",
        "gi_kelas_eb",
        "lisa_kelas_eb",
        "lisa_fdr_eb",
    ):
        assert column in out, column
    assert out.loc[0, "gi_kelas_eb"].startswith("panas")


def test_codes_of_a_cell_are_sorted_and_joined_once_each() -> None:
    from pipeline.analyse.pockets import _codes_per_cell

    ids = np.array([5, 5, 5, 3, 3, 9, 3], dtype=np.uint64)
    codes = np.array(["99.71.02.1001", "99.71.01.1004", "99.71.02.1001", "99.71.03.1002", "99.71.01.1001", "x", "x"])
    joined = _codes_per_cell(ids, codes.astype(object))
    assert joined.to_dict() == {
        3: "99.71.01.1001,99.71.03.1002,x",
        5: "99.71.01.1004,99.71.02.1001",
        9: "x",
    }


def test_worked_h3_ring_pairs_and_cell_polygons() -> None:
    # A cell and its six neighbours: the centre touches all six (12 directed pairs) and each
    # neighbour touches the two beside it on the ring (12 more): 24. A pentagon has 5 neighbours.
    import h3

    from pipeline.analyse.pockets import _adjacent_pairs, cell_polygons

    centre = h3.latlng_to_cell(-7.0, 110.4, 9)
    disk = [centre] + [c for c in h3.grid_disk(centre, 1) if c != centre]
    ids, row, col = _adjacent_pairs(disk)
    assert len(row) == 24
    assert sorted(col[row == 0].tolist()) == [1, 2, 3, 4, 5, 6]
    pairs = set(zip(row.tolist(), col.tolist(), strict=True))
    assert pairs == {(j, i) for i, j in pairs}  # both directions
    assert all(np.bincount(row, minlength=7)[1:] == 3)  # a ring cell: the centre and its two ring neighbours
    pentagon = h3.get_pentagons(9)[0]
    _, row, _ = _adjacent_pairs([pentagon] + [c for c in h3.grid_disk(pentagon, 1) if c != pentagon])
    assert (row == 0).sum() == 5
    polygons = cell_polygons(ids)
    assert [len(p.exterior.coords) for p in polygons] == [7] * 7  # 6 vertices, ring closed
    for cell, polygon in zip(disk, polygons, strict=True):  # lon/lat order: the centroid lies in its own cell
        assert h3.latlng_to_cell(polygon.centroid.y, polygon.centroid.x, 9) == cell
    # a pentagon at an odd resolution has distortion vertices on its edges: 10 here, as h3 gives them
    ring = cell_polygons(np.array([h3.str_to_int(pentagon)], dtype=np.uint64))[0].exterior.coords
    assert [(y, x) for x, y in ring] == [*h3.cell_to_boundary(pentagon), h3.cell_to_boundary(pentagon)[0]]
    assert len(cell_polygons(np.array([], dtype=np.uint64))) == 0


def test_raw_and_eb_rates_share_one_contiguity_build_with_the_same_results(monkeypatch: pytest.MonkeyPatch) -> None:
    from pipeline.analyse import hotspots

    frame = _rates(6, 6, {0, 1, 6, 7})
    frame[C.PERSEN_MISKIN_EB] = frame[C.PERSEN_MISKIN] * 0.8 + 3
    alone = local_gi_star(frame, column=C.PERSEN_MISKIN_EB, suffix="_eb", crs=UTM50N, permutations=199, seed=4)
    built = []
    build = hotspots.contiguity_weights
    monkeypatch.setattr(hotspots, "contiguity_weights", lambda *a, **k: built.append(1) or build(*a, **k))
    both = hotspots.kelurahan_hotspots(frame, crs=UTM50N, permutations=199, seed=4)
    assert len(built) == 1  # the two rates are defined on the same 36 kelurahan
    for column in ("gi_z_eb", "gi_p_eb", "gi_kelas_eb", "lisa_i_eb", "lisa_p_eb", "lisa_kelas_eb"):
        assert both[column].equals(alone[column]), column  # the second variable on the shared weights
    frame.loc[3, C.PERSEN_MISKIN_EB] = np.nan  # a different set of kelurahan: weights of its own
    hotspots.kelurahan_hotspots(frame, crs=UTM50N, permutations=199, seed=4)
    assert len(built) == 3
