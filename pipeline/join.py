"""Join stage: give every accepted household exactly one kelurahan.

Rules, in order (documented for planners in the README):

1. A GPS point inside one polygon takes that polygon (``metode_lokasi = "titik"``).
2. A point inside several overlapping polygons (each polygon of the
   shared boundary files was simplified on its own, so neighbours overlap)
   takes the one its register code names; if none of them, the first in the
   boundary file's order. It is flagged ``di_tumpang_tindih``.
3. A point inside no polygon (a gap between neighbours, or just off the
   coast) but within ``snap_distance_m`` metres of one is moved to the
   nearest (ties: the register's kelurahan, then file order) and flagged
   ``digeser`` with the distance. Farther away it is quarantined as
   ``di_luar_wilayah``.
4. A household without a point takes its register code
   (``metode_lokasi = "kode"``), if the boundaries know that code; otherwise
   it is quarantined as ``kode_kel_tidak_dikenal``.
5. A household whose point lies in another kelurahan than its code says is
   flagged ``beda_lokasi``; the point wins.

The point-in-polygon test uses ``within`` against prepared polygons, which
stays fast on real boundaries with hundreds of vertices. Distances are
measured in the region's projected CRS.
"""

from __future__ import annotations

import logging

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely

from . import columns as C
from .errors import CRSError

logger = logging.getLogger(__name__)

METHOD_POINT: str = "titik"
METHOD_CODE: str = "kode"


def _choose(hits: pd.DataFrame) -> pd.DataFrame:
    """One hit per row: the register's own kelurahan first, then file order."""
    hits = hits.assign(pref=(hits["kode"] != hits["register"]).astype(int))
    return hits.sort_values(["row", "pref", "poly"], kind="stable").drop_duplicates("row")


def join_households(
    households: gpd.GeoDataFrame,
    boundaries: gpd.GeoDataFrame,
    *,
    crs: str | int | object | None = None,
    snap_distance_m: float = 100.0,
) -> tuple[gpd.GeoDataFrame, pd.DataFrame]:
    """Assign each household to a kelurahan.

    Parameters
    ----------
    households
        Accepted rows from :func:`pipeline.validate.validate_households`.
    boundaries
        Kelurahan from :func:`pipeline.load.boundaries_from_file`.
    crs
        Projected CRS (metres) for the snap distance; default: the UTM zone
        of the boundaries.
    snap_distance_m
        Points in no polygon but at most this far from one are snapped to it.

    Returns
    -------
    joined : GeoDataFrame
        The households that got a kelurahan, index kept, with ``kode_kel``
        (assigned), ``kode_kel_register`` (as registered), ``metode_lokasi``,
        ``di_tumpang_tindih``, ``digeser``, ``jarak_geser_m`` and
        ``beda_lokasi``. Geometries are the original GPS points.
    quarantine : DataFrame
        Households that could not be placed, with ``alasan`` and
        ``tahap = "gabung"``.

    Raises
    ------
    CRSError
        If the two frames are not in the same CRS, or ``crs`` is not projected.
    """
    if households.crs != boundaries.crs:
        raise CRSError(
            f"households are in {households.crs} but boundaries in {boundaries.crs}; "
            "reproject one of them with .to_crs() before joining"
        )
    n = len(households)
    codes = boundaries[C.KODE_KEL].to_numpy()
    known = pd.Index(codes)
    register = households[C.KODE_KEL].astype("string")
    register_codes = register.to_numpy(dtype=object, na_value=None)
    has_register = register.notna().to_numpy()

    geoms = households.geometry.values
    has_point = ~(geoms.isna() | geoms.is_empty)
    point_pos = np.flatnonzero(has_point)
    hit_point, hit_poly = boundaries.sindex.query(geoms[point_pos], predicate="within")
    hits = pd.DataFrame({"row": point_pos[hit_point], "poly": hit_poly, "kode": codes[hit_poly]})
    hits["register"] = register_codes[hits["row"].to_numpy()]
    n_hits = hits.groupby("row").size()
    chosen = _choose(hits)

    assigned = np.full(n, None, dtype=object)
    assigned[chosen["row"].to_numpy()] = chosen["kode"].to_numpy()
    overlap = np.zeros(n, dtype=bool)
    overlap[n_hits.index[n_hits > 1].to_numpy()] = True

    # points in no polygon: snap to the nearest within the distance
    snapped = np.zeros(n, dtype=bool)
    distance = np.full(n, np.nan)
    missed = np.flatnonzero(has_point & pd.isna(assigned))
    if missed.size and snap_distance_m > 0:
        metric_crs = crs if crs is not None else boundaries.estimate_utm_crs()
        metric_polys = boundaries.geometry.to_crs(metric_crs)
        if not metric_polys.crs.is_projected:
            raise CRSError(
                f"snapping needs a projected CRS in metres, got {metric_polys.crs}; set [analysis] projected_crs"
            )
        metric_points = households.geometry.iloc[missed].to_crs(metric_crs).values
        tree = shapely.STRtree(metric_polys.values)
        (near_point, near_poly), dist = tree.query_nearest(
            metric_points, max_distance=snap_distance_m, return_distance=True, all_matches=True
        )
        near = pd.DataFrame({"row": missed[near_point], "poly": near_poly, "kode": codes[near_poly], "dist": dist})
        near["register"] = register_codes[near["row"].to_numpy()]
        near = _choose(near)
        rows = near["row"].to_numpy()
        assigned[rows] = near["kode"].to_numpy()
        snapped[rows] = True
        distance[rows] = near["dist"].to_numpy()

    by_point = pd.notna(assigned)
    no_point = ~has_point
    fallback = no_point & register.isin(known).fillna(False).to_numpy(dtype=bool)
    assigned[fallback] = register_codes[fallback]
    method = np.where(by_point, METHOD_POINT, np.where(fallback, METHOD_CODE, None))
    placed = by_point | fallback
    mismatch = by_point & has_register & (assigned != register_codes)

    joined = households.copy()
    joined[C.KODE_KEL_REGISTER] = register
    joined[C.KODE_KEL] = pd.array(assigned, dtype="string")
    joined[C.METODE_LOKASI] = method
    joined[C.DI_TUMPANG] = overlap
    joined[C.DIGESER] = snapped
    joined[C.JARAK_GESER_M] = distance
    joined[C.BEDA_LOKASI] = mismatch
    joined = joined.loc[placed]

    quarantine = pd.DataFrame(households.loc[~placed].drop(columns="geometry"))
    quarantine[C.ALASAN] = np.where(has_point[~placed], "di_luar_wilayah", "kode_kel_tidak_dikenal")
    quarantine[C.TAHAP] = "gabung"
    logger.info(
        "joined %d households: %d by point (%d in overlaps, %d snapped), %d by code, "
        "%d location mismatches, %d unplaced",
        n,
        int(by_point.sum()),
        int(overlap.sum()),
        int(snapped.sum()),
        int(fallback.sum()),
        int(mismatch.sum()),
        int((~placed).sum()),
    )
    return joined, quarantine
