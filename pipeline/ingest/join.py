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
   flagged ``beda_lokasi``; the point wins. A household placed by its point
   whose code is no kelurahan of the boundaries at all (``9999999999``, a
   code of another regency) is flagged ``kode_kel_tidak_dikenal`` instead:
   that is a wrong code, not a household living elsewhere.

The point-in-polygon test is ``within``, evaluated as ``contains`` from
prepared polygons, which stays fast on real boundaries with hundreds of
vertices. Distances are measured in the region's projected CRS.
"""

from __future__ import annotations

import logging

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely

from .. import columns as C
from ..errors import CRSError

logger = logging.getLogger(__name__)

METHOD_POINT: str = "titik"
METHOD_CODE: str = "kode"


def _prefer_register(row: np.ndarray, poly: np.ndarray, register_poly: np.ndarray) -> np.ndarray:
    """Of several candidate polygons per row, keep the register's own, else the first in file order.

    Returns the positions (into ``row``/``poly``) of the one candidate kept per row.
    """
    pref = (poly != register_poly[row]).astype(np.int8)
    order = np.lexsort((poly, pref, row))
    first = np.ones(order.size, dtype=bool)
    first[1:] = row[order][1:] != row[order][:-1]
    return order[first]


def _snap(
    points: gpd.GeoSeries, boundaries: gpd.GeoDataFrame, *, crs: object, distance_m: float, register_poly: np.ndarray
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Nearest polygon within ``distance_m`` of each point (index of ``points``).

    Candidates are found in the boundaries' own CRS with a generous distance
    in degrees; exact distances are then measured in ``crs`` for those pairs
    only, so that a province file is not reprojected for a few stray points.

    Returns
    -------
    rows, polys, distances
        Positions in ``points``, chosen polygon positions, metres.
    """
    if boundaries.crs.is_geographic:
        max_lat = float(np.abs(boundaries.total_bounds[[1, 3]]).max())
        reach = 1.5 * distance_m / (111_000.0 * max(np.cos(np.radians(max_lat)), 0.1))
    else:
        reach = 1.5 * distance_m
    row, poly = boundaries.sindex.query(np.asarray(points.values), predicate="dwithin", distance=reach)
    if not row.size:
        return row, poly, np.zeros(0)
    located = np.unique(row)
    metric_points = points.iloc[located].to_crs(crs)
    used = np.unique(poly)
    metric_polys = boundaries.geometry.iloc[used].to_crs(crs)
    if not metric_polys.crs.is_projected:
        raise CRSError(
            f"snapping needs a projected CRS in metres, got {metric_polys.crs}; set [analysis] projected_crs"
        )
    point_at = pd.Series(np.arange(located.size), index=located)
    poly_at = pd.Series(np.arange(used.size), index=used)
    dist = shapely.distance(
        np.asarray(metric_points.values)[point_at[row].to_numpy()],
        np.asarray(metric_polys.values)[poly_at[poly].to_numpy()],
    )
    near = dist <= distance_m
    row, poly, dist = row[near], poly[near], dist[near]
    if not row.size:
        return row, poly, dist
    # nearest first; among equally near polygons the register's own, then file order
    best = pd.Series(dist).groupby(row).transform("min").to_numpy()
    tied = dist <= best + 1e-9
    row, poly, dist = row[tied], poly[tied], dist[tied]
    kept = _prefer_register(row, poly, register_poly)
    return row[kept], poly[kept], dist[kept]


def join_households(
    households: gpd.GeoDataFrame,
    boundaries: gpd.GeoDataFrame,
    *,
    crs: str | int | object | None = None,
    snap_distance_m: float = 100.0,
    wider_codes: frozenset[str] = frozenset(),
) -> tuple[gpd.GeoDataFrame, pd.DataFrame]:
    """Assign each household to a kelurahan.

    Parameters
    ----------
    households
        Accepted rows from :func:`pipeline.ingest.validate.validate_households`.
    boundaries
        Kelurahan from :func:`pipeline.ingest.boundaries.boundaries_from_file`.
    crs
        Projected CRS (metres) for the snap distance; default: the UTM zone
        of the boundaries.
    snap_distance_m
        Points in no polygon but at most this far from one are snapped to it.
    wider_codes
        Kelurahan codes of the wider area the boundaries were cut from (the
        province of a kab/kota): a household placed by its point whose code
        is one of them lives elsewhere than its code says (``beda_lokasi``),
        as it would be flagged in a run of the whole province.

    Returns
    -------
    joined : GeoDataFrame
        The households that got a kelurahan, index kept, with ``kode_kel``
        (assigned), ``kode_kel_register`` (as registered), ``metode_lokasi``,
        ``di_tumpang_tindih``, ``digeser``, ``jarak_geser_m``,
        ``beda_lokasi`` and ``kode_kel_tidak_dikenal``. Geometries are the original GPS points.
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
    codes = pd.array(boundaries[C.KODE_KEL].to_numpy(dtype=object), dtype="string")
    register = households[C.KODE_KEL].astype("string")
    has_register = register.notna().to_numpy()
    register_poly = pd.Index(codes).get_indexer(register)  # -1: not a code of these boundaries

    geoms = households.geometry.values
    has_point = ~(geoms.isna() | geoms.is_empty)
    # "within", run as its inverse "contains" over the households' spatial index,
    # so that each polygon is prepared once (as geopandas.sjoin does): several
    # times faster on real kelurahan with hundreds of vertices.
    hit_poly, hit_row = households.sindex.query(np.asarray(boundaries.geometry.values), predicate="contains")
    n_hits = np.bincount(hit_row, minlength=n)

    assigned = np.full(n, -1, dtype=np.int64)
    single = n_hits[hit_row] == 1
    assigned[hit_row[single]] = hit_poly[single]
    overlap = n_hits > 1
    if overlap.any():
        rows, polys = hit_row[~single], hit_poly[~single]
        kept = _prefer_register(rows, polys, register_poly)
        assigned[rows[kept]] = polys[kept]

    snapped = np.zeros(n, dtype=bool)
    distance = np.full(n, np.nan)
    missed = np.flatnonzero(has_point & (assigned < 0))
    if missed.size and snap_distance_m > 0:
        rows, polys, dist = _snap(
            households.geometry.iloc[missed],
            boundaries,
            crs=crs if crs is not None else boundaries.estimate_utm_crs(),
            distance_m=snap_distance_m,
            register_poly=register_poly[missed],
        )
        assigned[missed[rows]] = polys
        snapped[missed[rows]] = True
        distance[missed[rows]] = dist

    by_point = assigned >= 0
    fallback = ~has_point & (register_poly >= 0)
    assigned[fallback] = register_poly[fallback]
    method = np.where(by_point, METHOD_POINT, np.where(fallback, METHOD_CODE, None))
    placed = by_point | fallback
    elsewhere = (register_poly < 0) & register.isin(wider_codes).to_numpy(dtype=bool, na_value=False)
    unknown_code = by_point & has_register & (register_poly < 0) & ~elsewhere
    mismatch = by_point & has_register & (((register_poly >= 0) & (assigned != register_poly)) | elsewhere)

    joined = households.assign(
        **{
            C.KODE_KEL_REGISTER: register,
            C.KODE_KEL: codes.take(assigned, allow_fill=True),
            C.METODE_LOKASI: method,
            C.DI_TUMPANG: overlap,
            C.DIGESER: snapped,
            C.JARAK_GESER_M: distance,
            C.BEDA_LOKASI: mismatch,
            C.KODE_TIDAK_DIKENAL: unknown_code,
        }
    ).loc[placed]

    quarantine = pd.DataFrame(households.loc[~placed].drop(columns="geometry"))
    quarantine[C.ALASAN] = np.where(has_point[~placed], "di_luar_wilayah", "kode_kel_tidak_dikenal")
    quarantine[C.TAHAP] = "gabung"
    logger.info(
        "joined %d households: %d by point (%d in overlaps, %d snapped), %d by code, "
        "%d location mismatches, %d placed by point with an unknown code, %d unplaced",
        n,
        int(by_point.sum()),
        int(overlap.sum()),
        int(snapped.sum()),
        int(fallback.sum()),
        int(mismatch.sum()),
        int(unknown_code.sum()),
        int((~placed).sum()),
    )
    return joined, quarantine
