"""Join stage: give every accepted household exactly one kelurahan.

* A GPS point inside one polygon takes that polygon (``metode_lokasi = "titik"``).
* A point inside two overlapping polygons (simplified boundaries overlap)
  takes the one its register code names, if any, else the first; it is
  flagged ``di_tumpang_tindih``.
* A point in no polygon (a gap between neighbours, or just outside the
  city) and a household without a point fall back to the register's
  kelurahan code (``metode_lokasi = "kode"``).
* A household whose point lies in another kelurahan than its code says is
  flagged ``beda_lokasi``; the point wins.
* Anything left without a kelurahan is quarantined with a reason.

The point-in-polygon test uses ``within`` against prepared polygons, which
stays fast on real boundaries with hundreds of vertices.
"""

from __future__ import annotations

import logging

import geopandas as gpd
import numpy as np
import pandas as pd

from . import columns as C
from .errors import CRSError

logger = logging.getLogger(__name__)

METHOD_POINT: str = "titik"
METHOD_CODE: str = "kode"


def join_households(
    households: gpd.GeoDataFrame, boundaries: gpd.GeoDataFrame
) -> tuple[gpd.GeoDataFrame, pd.DataFrame]:
    """Assign each household to a kelurahan.

    Parameters
    ----------
    households
        Accepted rows from :func:`pipeline.validate.validate_households`.
    boundaries
        Kelurahan from :func:`pipeline.load.boundaries_from_file`.

    Returns
    -------
    joined : GeoDataFrame
        The households that got a kelurahan, index kept, with ``kode_kel``
        (assigned), ``kode_kel_register`` (as registered), ``metode_lokasi``,
        ``di_tumpang_tindih`` and ``beda_lokasi``.
    quarantine : DataFrame
        Households that could not be placed, with ``alasan`` and
        ``tahap = "gabung"``.

    Raises
    ------
    CRSError
        If the two frames are not in the same CRS.
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

    geoms = households.geometry.values
    has_point = ~(geoms.isna() | geoms.is_empty)
    point_pos = np.flatnonzero(has_point)
    hit_point, hit_poly = boundaries.sindex.query(geoms[point_pos], predicate="within")
    hits = pd.DataFrame({"row": point_pos[hit_point], "kode": codes[hit_poly]})
    hits["register"] = register_codes[hits["row"].to_numpy()]
    n_hits = hits.groupby("row").size()
    # prefer the register's own kelurahan among several hits, then file order
    hits["pref"] = (hits["kode"] != hits["register"]).astype(int)
    chosen = hits.sort_values(["row", "pref"], kind="stable").drop_duplicates("row")

    has_register = register.notna().to_numpy()
    assigned = np.full(n, None, dtype=object)
    assigned[chosen["row"].to_numpy()] = chosen["kode"].to_numpy()
    overlap = np.zeros(n, dtype=bool)
    overlap[n_hits.index[n_hits > 1].to_numpy()] = True

    by_point = pd.notna(assigned)
    fallback = ~by_point & register.isin(known).fillna(False).to_numpy(dtype=bool)
    assigned[fallback] = register_codes[fallback]
    method = np.where(by_point, METHOD_POINT, np.where(fallback, METHOD_CODE, None))
    placed = by_point | fallback
    mismatch = by_point & has_register & (assigned != register_codes)

    joined = households.copy()
    joined[C.KODE_KEL_REGISTER] = register
    joined[C.KODE_KEL] = pd.array(assigned, dtype="string")
    joined[C.METODE_LOKASI] = method
    joined[C.DI_TUMPANG] = overlap
    joined[C.BEDA_LOKASI] = mismatch
    joined = joined.loc[placed]

    quarantine = pd.DataFrame(households.loc[~placed].drop(columns="geometry"))
    quarantine[C.ALASAN] = np.where(has_point[~placed], "di_luar_wilayah", "kode_kel_tidak_dikenal")
    quarantine[C.TAHAP] = "gabung"
    logger.info(
        "joined %d households: %d by point, %d by code, %d in overlaps, %d location mismatches, %d unplaced",
        n,
        int(by_point.sum()),
        int(fallback.sum()),
        int(overlap.sum()),
        int(mismatch.sum()),
        int((~placed).sum()),
    )
    return joined, quarantine
