from __future__ import annotations

import geopandas as gpd
import numpy as np
import pytest
import shapely
from hypothesis import given, settings
from hypothesis import strategies as st

from pipeline import columns as C
from pipeline.errors import CRSError
from pipeline.join import join_households
from pipeline.validate import validate_households

from .conftest import CELL, ORIGIN, cell_center, grid_boundaries, household_rows


def _households(rows: list[dict]) -> gpd.GeoDataFrame:
    accepted, quarantine = validate_households(household_rows(rows))
    assert quarantine.empty
    return accepted


def test_points_codes_mismatches_and_unplaced(grid3: gpd.GeoDataFrame) -> None:
    lon, lat = cell_center(grid3, "99.71.02.1005")
    gap_lon, gap_lat = ORIGIN[0] - CELL, ORIGIN[1] - CELL  # outside every polygon
    households = _households(
        [
            {C.LON: lon, C.LAT: lat, C.KODE_KEL: "9971021005"},  # point agrees with code
            {C.LON: lon, C.LAT: lat, C.KODE_KEL: "9971011001"},  # point elsewhere: point wins
            {C.KODE_KEL: "9971031009"},  # no point: code
            {C.LON: gap_lon, C.LAT: gap_lat, C.KODE_KEL: "9971011002"},  # outside: falls back to code
            {C.LON: gap_lon, C.LAT: gap_lat, C.KODE_KEL: "9971999999"},  # outside, unknown code
            {C.KODE_KEL: "9971999999"},  # no point, unknown code
        ]
    )
    joined, quarantine = join_households(households, grid3)
    assert list(joined[C.KODE_KEL]) == ["99.71.02.1005", "99.71.02.1005", "99.71.03.1009", "99.71.01.1002"]
    assert list(joined[C.METODE_LOKASI]) == ["titik", "titik", "kode", "kode"]
    assert list(joined[C.BEDA_LOKASI]) == [False, True, False, False]
    assert list(joined[C.KODE_KEL_REGISTER])[1] == "99.71.01.1001"
    assert list(quarantine[C.ALASAN]) == ["di_luar_wilayah", "kode_kel_tidak_dikenal"]
    assert set(quarantine[C.TAHAP]) == {"gabung"}
    assert list(joined.index) == [0, 1, 2, 3]  # the index is kept


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
    inside = joined[joined[C.METODE_LOKASI] == "titik"]
    polygons = boundaries.set_index(C.KODE_KEL).geometry
    assert all(polygons[k].covers(p) for k, p in zip(inside[C.KODE_KEL], inside.geometry, strict=True))
    assert np.all(quarantine[C.ALASAN].isin(["di_luar_wilayah", "kode_kel_tidak_dikenal"]))
