from __future__ import annotations

import geopandas as gpd
import numpy as np
import pytest
import shapely
from hypothesis import given, settings
from hypothesis import strategies as st

from pipeline import columns as C
from pipeline.errors import CRSError
from pipeline.ingest.boundaries import boundaries_from_file
from pipeline.ingest.join import join_households
from pipeline.ingest.validate import validate_households

from .conftest import CELL, ORIGIN, SHARED_DATA, cell_center, grid_boundaries, household_rows


def _households(rows: list[dict]) -> gpd.GeoDataFrame:
    accepted, quarantine = validate_households(household_rows(rows))
    assert quarantine.empty
    return accepted


def test_points_codes_mismatches_and_unplaced(grid3: gpd.GeoDataFrame) -> None:
    lon, lat = cell_center(grid3, "99.71.02.1005")
    far_lon, far_lat = ORIGIN[0] - CELL, ORIGIN[1] - CELL  # ~1.5 km outside every polygon
    households = _households(
        [
            {C.LON: lon, C.LAT: lat, C.KODE_KEL: "9971021005"},  # point agrees with code
            {C.LON: lon, C.LAT: lat, C.KODE_KEL: "9971011001"},  # point elsewhere: point wins
            {C.KODE_KEL: "9971031009"},  # no point: code
            {C.LON: far_lon, C.LAT: far_lat, C.KODE_KEL: "9971011001"},  # far outside: quarantined, code or not
            {C.KODE_KEL: "9971999999"},  # no point, unknown code
        ]
    )
    joined, quarantine = join_households(households, grid3)
    assert list(joined[C.KODE_KEL]) == ["99.71.02.1005", "99.71.02.1005", "99.71.03.1009"]
    assert list(joined[C.METODE_LOKASI]) == ["titik", "titik", "kode"]
    assert list(joined[C.BEDA_LOKASI]) == [False, True, False]
    assert list(joined[C.KODE_KEL_REGISTER])[1] == "99.71.01.1001"
    assert list(quarantine[C.ALASAN]) == ["di_luar_wilayah", "kode_kel_tidak_dikenal"]
    assert set(quarantine[C.TAHAP]) == {"gabung"}
    assert list(joined.index) == [0, 1, 2]  # the index is kept
    assert list(quarantine.index) == [3, 4]


def test_a_code_that_does_not_exist_is_its_own_flag_not_a_location_mismatch(grid3: gpd.GeoDataFrame) -> None:
    from pipeline.analyse.indicators import classify_poverty, kelurahan_indicators
    from pipeline.ingest.validate import validation_by_reason
    from pipeline.settings import PovertyRule

    lon, lat = cell_center(grid3, "99.71.02.1005")
    households = _households(
        [
            {C.LON: lon, C.LAT: lat, C.KODE_KEL: "9971021005"},  # its own code
            {C.LON: lon, C.LAT: lat, C.KODE_KEL: "9971011001"},  # a real code of another kelurahan
            {C.LON: lon, C.LAT: lat, C.KODE_KEL: "9999999999"},  # well-formed, but no such kelurahan
            {C.LON: lon, C.LAT: lat, C.KODE_KEL: "bukan kode"},  # not a code at all
            {C.LON: lon, C.LAT: lat, C.KODE_KEL: ""},  # no code: nothing to flag
        ]
    )
    joined, quarantine = join_households(households, grid3)
    assert quarantine.empty and set(joined[C.KODE_KEL]) == {"99.71.02.1005"}  # the point places all five
    assert joined[C.BEDA_LOKASI].tolist() == [False, True, False, False, False]
    assert joined[C.KODE_TIDAK_DIKENAL].tolist() == [False, False, True, True, False]
    # counted per kelurahan and reported among the flags of the validation summary
    kelurahan = kelurahan_indicators(classify_poverty(joined, rule=PovertyRule()), grid3).set_index(C.KODE_KEL)
    assert kelurahan.loc["99.71.02.1005", C.KK_KODE_TIDAK_DIKENAL] == 2
    assert kelurahan.loc["99.71.02.1005", C.KK_BEDA_LOKASI] == 1
    summary = validation_by_reason(5, joined, quarantine).set_index(C.ALASAN)
    assert summary.loc[C.KODE_TIDAK_DIKENAL, "jumlah_baris"] == 2
    assert summary.loc[C.KODE_TIDAK_DIKENAL, C.TAHAP] == "bendera"


@pytest.mark.parametrize(
    ("offset_m", "snap_m", "placed"),
    [(40, 100, True), (150, 100, False), (150, 200, True), (40, 0, False)],
    ids=["near", "too-far", "wider-tolerance", "snapping-off"],
)
def test_point_just_outside_is_snapped_within_the_distance(
    grid3: gpd.GeoDataFrame, offset_m: float, snap_m: float, placed: bool
) -> None:
    _, lat = cell_center(grid3, "99.71.01.1001")
    lon = ORIGIN[0] - offset_m / 111_320  # west of the first column, at the equator ~1 degree = 111.32 km
    households = _households([{C.LON: lon, C.LAT: lat, C.KODE_KEL: "9971011002"}])
    joined, quarantine = join_households(households, grid3, snap_distance_m=snap_m)
    assert len(joined) == int(placed) and len(quarantine) == int(not placed)
    if placed:
        row = joined.iloc[0]
        assert row[C.KODE_KEL] == "99.71.01.1001" and row[C.DIGESER]
        assert row[C.JARAK_GESER_M] == pytest.approx(offset_m, rel=0.02)
        assert row[C.BEDA_LOKASI]  # registered in 1002, found next to 1001
        assert row.geometry.x == pytest.approx(lon)  # the GPS point itself is kept
    else:
        assert quarantine[C.ALASAN].iloc[0] == "di_luar_wilayah"


def test_point_in_an_overlap_prefers_its_registered_kelurahan() -> None:
    boundaries = grid_boundaries(2, 1)
    # widen the first square so that it overlaps the second by a sliver
    x0, y0, x1, y1 = boundaries.geometry.iloc[0].bounds
    boundaries.loc[0, "geometry"] = shapely.box(x0, y0, x1 + CELL * 0.2, y1)
    lon, lat = x1 + CELL * 0.1, (y0 + y1) / 2
    households = _households(
        [{C.LON: lon, C.LAT: lat, C.KODE_KEL: "9971011002"}, {C.LON: lon, C.LAT: lat, C.KODE_KEL: ""}]
    )
    joined, _ = join_households(households, boundaries)
    assert list(joined[C.KODE_KEL]) == ["99.71.01.1002", "99.71.01.1001"]
    assert joined[C.DI_TUMPANG].all()
    assert not joined[C.BEDA_LOKASI].any()


def test_crs_mismatch_says_how_to_fix(grid3: gpd.GeoDataFrame) -> None:
    households = _households([{C.KODE_KEL: "9971011001"}])
    with pytest.raises(CRSError, match=r"to_crs"):
        join_households(households, grid3.to_crs("EPSG:32650"))


@settings(max_examples=60, deadline=None)
@given(
    st.lists(
        st.tuples(
            st.floats(ORIGIN[0] - CELL, ORIGIN[0] + 4 * CELL),
            st.floats(ORIGIN[1] - CELL, ORIGIN[1] + 4 * CELL),
            st.sampled_from(["", "9971011001", "9971022005", "9971999999"]),
            st.booleans(),
        ),
        max_size=30,
    )
)
def test_every_household_is_placed_once_or_quarantined(rows: list[tuple]) -> None:
    boundaries = grid_boundaries(3, 3)
    frame = household_rows(
        [
            {C.LON: f"{x:.6f}" if has else "", C.LAT: f"{y:.6f}" if has else "", C.KODE_KEL: code or "9971011003"}
            for x, y, code, has in rows
        ]
    )
    accepted, _ = validate_households(frame)
    joined, quarantine = join_households(accepted, boundaries)
    assert len(joined) + len(quarantine) == len(accepted)
    assert joined.index.is_unique
    assert set(joined[C.KODE_KEL]) <= set(boundaries[C.KODE_KEL])
    inside = joined[(joined[C.METODE_LOKASI] == "titik") & ~joined[C.DIGESER]]
    polygons = boundaries.set_index(C.KODE_KEL).geometry
    assert all(polygons[k].covers(p) for k, p in zip(inside[C.KODE_KEL], inside.geometry, strict=True))
    assert np.all(quarantine[C.ALASAN].isin(["di_luar_wilayah", "kode_kel_tidak_dikenal"]))


@pytest.fixture(scope="module")
def dompu() -> gpd.GeoDataFrame:
    path = SHARED_DATA / "boundaries" / "dompu" / "dompu_admin_boundaries.gpkg"
    if not path.exists():
        pytest.skip(f"shared boundaries not found at {path}; set KANTONG_SHARED_DATA")
    return boundaries_from_file(path, layer="kelurahan")


def test_dompu_overlaps_are_found_and_resolved(dompu: gpd.GeoDataFrame) -> None:
    # a point in the middle of the largest overlap between two Dompu kelurahan
    metric = dompu.to_crs(dompu.estimate_utm_crs())
    left, right = metric.sindex.query(metric.geometry, predicate="intersects")
    pairs = [(a, b) for a, b in zip(left, right, strict=True) if a < b]
    areas = [metric.geometry.iloc[a].intersection(metric.geometry.iloc[b]).area for a, b in pairs]
    a, b = pairs[int(np.argmax(areas))]
    assert max(areas) > 1_000  # Dompu has real slivers of thousands of m²
    sliver = dompu.geometry.iloc[a].intersection(dompu.geometry.iloc[b]).representative_point()
    code_b = dompu[C.KODE_KEL].iloc[b].replace(".", "")
    households = _households(
        [
            {C.LON: f"{sliver.x:.9f}", C.LAT: f"{sliver.y:.9f}", C.KODE_KEL: code_b},
            {C.LON: f"{sliver.x:.9f}", C.LAT: f"{sliver.y:.9f}", C.KODE_KEL: ""},
        ]
    )
    joined, _ = join_households(households, dompu)
    assert joined[C.DI_TUMPANG].all()
    assert list(joined[C.KODE_KEL]) == [dompu[C.KODE_KEL].iloc[b], dompu[C.KODE_KEL].iloc[min(a, b)]]


@settings(max_examples=25, deadline=None)
@given(st.integers(0, 2**32 - 1))
def test_every_random_point_over_dompu_ends_in_one_kelurahan_or_quarantine(dompu: gpd.GeoDataFrame, seed: int) -> None:
    rng = np.random.default_rng(seed)
    minx, miny, maxx, maxy = dompu.total_bounds
    n = 400
    lon = rng.uniform(minx - 0.02, maxx + 0.02, n)
    lat = rng.uniform(miny - 0.02, maxy + 0.02, n)
    frame = household_rows([{C.LON: f"{x:.7f}", C.LAT: f"{y:.7f}"} for x, y in zip(lon, lat, strict=True)])
    accepted, rejected = validate_households(frame)
    assert rejected.empty
    joined, quarantine = join_households(accepted, dompu, snap_distance_m=100)
    assert len(joined) + len(quarantine) == n
    assert joined.index.is_unique and set(joined.index).isdisjoint(quarantine.index)
    assert set(joined[C.KODE_KEL]) <= set(dompu[C.KODE_KEL])
    polygons = dompu.set_index(C.KODE_KEL).geometry
    inside = joined[~joined[C.DIGESER]]
    assert all(polygons[k].covers(p) for k, p in zip(inside[C.KODE_KEL], inside.geometry, strict=True))
    assert (joined.loc[joined[C.DIGESER], C.JARAK_GESER_M] <= 100 + 1e-6).all()
    outside = quarantine.index
    assert not dompu.geometry.union_all().contains(accepted.geometry.loc[outside]).any()


def test_a_code_of_the_wider_province_is_a_household_placed_elsewhere(grid3: gpd.GeoDataFrame) -> None:
    lon, lat = cell_center(grid3, "99.71.02.1005")
    households = _households(
        [
            {C.LON: lon, C.LAT: lat, C.KODE_KEL: "9972011001"},  # a kelurahan of the neighbouring kab/kota
            {C.LON: lon, C.LAT: lat, C.KODE_KEL: "9999999999"},  # no kelurahan anywhere
        ]
    )
    alone, _ = join_households(households, grid3)
    assert list(alone[C.KODE_TIDAK_DIKENAL]) == [True, True] and list(alone[C.BEDA_LOKASI]) == [False, False]
    wider = frozenset({*grid3[C.KODE_KEL], "99.72.01.1001"})  # the province the kab/kota was cut from
    cut, _ = join_households(households, grid3, wider_codes=wider)
    assert list(cut[C.KODE_TIDAK_DIKENAL]) == [False, True] and list(cut[C.BEDA_LOKASI]) == [True, False]
    assert list(cut[C.KODE_KEL]) == ["99.71.02.1005"] * 2  # the point decides either way
