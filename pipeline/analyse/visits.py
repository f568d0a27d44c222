"""Who a field round visits, which enumerator goes where, and in what order.

The pipeline already knows whom to visit (``[verification_round] select``):

* ``kantong``: households in a poverty pocket (their H3 cell carries a pocket id);
* ``ekstrem_tanpa_program``: extreme-poor households that receive no programme;
* ``bendera``: rows whose location or identity is in doubt — ``beda_lokasi``,
  ``kode_kel_tidak_dikenal``, NIK against sex or birth date;
* ``prioritas``: the poor households of the top-N priority kelurahan.

Each kelurahan's visits are put in a walking order — nearest neighbour from
the kelurahan's centre (a point on its surface), households without a GPS
point last — and the route is cut into equal consecutive parts, one per
enumerator, so that each walks one stretch.
"""

from __future__ import annotations

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely

from .. import columns as C
from ..settings import VerificationRound
from .pockets import H3, KANTONG_ID, cell_ids

#: Output columns.
ALASAN: str = "alasan_kunjungan"
PETUGAS: str = "petugas"
URUTAN: str = "urutan"

#: Why a household is on the list, in Indonesian (for the assignment sheets).
REASON_TEXT: dict[str, str] = {
    "kantong": "di kantong kemiskinan",
    "ekstrem_tanpa_program": "miskin ekstrem tanpa program",
    "bendera": "lokasi/identitas perlu dicek",
    "prioritas": "miskin di kelurahan prioritas",
}


def _reasons(
    households: gpd.GeoDataFrame,
    *,
    cells: pd.DataFrame,
    targets: pd.DataFrame,
    kelurahan: pd.DataFrame,
    settings: VerificationRound,
    resolution: int,
) -> pd.DataFrame:
    """One boolean column per selection reason, aligned with ``households``."""
    out = pd.DataFrame(index=households.index)
    if "kantong" in settings.select:
        located = households.geometry.notna() & ~households.geometry.is_empty
        ids = np.zeros(len(households), dtype=np.uint64)
        if located.any():
            points = households.geometry[located]
            ids[located.to_numpy()] = cell_ids(points.y.to_numpy(), points.x.to_numpy(), resolution=resolution)
        in_pocket = set(cells.loc[cells[KANTONG_ID].astype(str) != "", H3].tolist()) if len(cells) else set()
        out["kantong"] = located.to_numpy() & np.isin(ids, list(in_pocket))
    if "ekstrem_tanpa_program" in settings.select:
        none = targets.loc[
            (targets[C.MISKIN_EKSTREM] == 1) & (targets["program_diterima"].fillna("") == ""), C.ID_KELUARGA
        ]
        out["ekstrem_tanpa_program"] = households[C.ID_KELUARGA].isin(set(none)).to_numpy()
    if "bendera" in settings.select:
        flagged = pd.Series(False, index=households.index)
        for flag in (C.BEDA_LOKASI, C.KODE_TIDAK_DIKENAL, C.NIK_BEDA_JK, C.NIK_BEDA_TGL):
            if flag in households:
                flagged |= households[flag].fillna(False).astype(bool)
        out["bendera"] = flagged.to_numpy()
    if "prioritas" in settings.select:
        ranked = kelurahan.dropna(subset=[C.PERINGKAT]).nsmallest(settings.priority_kelurahan, C.PERINGKAT)
        top = set(ranked[C.KODE_KEL])
        out["prioritas"] = (households[C.KODE_KEL].isin(top) & (households[C.MISKIN] == 1)).to_numpy()
    return out


def _walk(x: np.ndarray, y: np.ndarray, start: tuple[float, float]) -> np.ndarray:
    """Nearest-neighbour order of points (metres) from ``start``; NaN points come last in their given order."""
    located = np.flatnonzero(~np.isnan(x))
    order: list[int] = []
    here = np.array(start, dtype=float)
    left = located.copy()
    while len(left):
        d = (x[left] - here[0]) ** 2 + (y[left] - here[1]) ** 2
        i = int(np.argmin(d))
        order.append(int(left[i]))
        here = np.array([x[left[i]], y[left[i]]])
        left = np.delete(left, i)
    return np.concatenate([np.array(order, dtype=int), np.flatnonzero(np.isnan(x))])


def select_visits(
    households: gpd.GeoDataFrame,
    *,
    boundaries: gpd.GeoDataFrame,
    cells: pd.DataFrame,
    targets: pd.DataFrame,
    kelurahan: pd.DataFrame,
    settings: VerificationRound,
    resolution: int,
    crs: str,
) -> gpd.GeoDataFrame:
    """The households of a field round, each with its reasons, enumerator and place on the route.

    Parameters
    ----------
    households
        Classified households (points in EPSG:4326, or empty where placed by code).
    boundaries
        Kelurahan polygons (canonical columns).
    cells, targets, kelurahan
        The analysis' H3 cells (with pocket ids), target list and kelurahan (with priority ranks).
    settings
        ``[verification_round]``.
    resolution
        The H3 resolution the cells were made at.
    crs
        The projected CRS for walking distances.

    Returns
    -------
    GeoDataFrame
        The selected households (at most ``max_households``: the poorest
        first), with ``alasan_kunjungan`` (comma-separated reasons),
        ``petugas`` (1..N within the kelurahan) and ``urutan`` (1.. along
        that enumerator's route), sorted by kelurahan, enumerator and order.
    """
    reasons = _reasons(
        households, cells=cells, targets=targets, kelurahan=kelurahan, settings=settings, resolution=resolution
    )
    chosen = reasons.any(axis=1).to_numpy()
    visits = households.loc[chosen].copy()
    text = pd.Series("", index=visits.index, dtype=object)
    for reason in reasons.columns:
        hit = reasons.loc[chosen, reason].to_numpy()
        text[hit] = text[hit].where(text[hit] == "", text[hit] + ", ") + reason
    visits[ALASAN] = text
    if len(visits) > settings.max_households:  # the poorest first: lowest decile, then most deprived
        score = visits[C.SKOR_DEPRIVASI] if C.SKOR_DEPRIVASI in visits else pd.Series(0.0, index=visits.index)
        keep = visits.assign(_s=-score.fillna(0)).sort_values([C.DESIL, "_s", C.ID_KELUARGA]).index
        visits = visits.loc[keep[: settings.max_households]]
    projected = visits.to_crs(crs)
    centres = boundaries.set_index(C.KODE_KEL).to_crs(crs).geometry.representative_point()
    visits[PETUGAS] = 0
    visits[URUTAN] = 0
    for code, rows in projected.groupby(C.KODE_KEL, sort=True).groups.items():
        geometry = projected.geometry.loc[rows].array
        x, y = shapely.get_x(geometry), shapely.get_y(geometry)  # NaN where placed by code only
        centre = centres.get(code)
        start = (centre.x, centre.y) if centre is not None else (np.nanmean(x), np.nanmean(y))
        order = np.asarray(rows)[_walk(np.asarray(x, float), np.asarray(y, float), start)]
        parts = np.array_split(order, min(settings.enumerators_per_kelurahan, len(order)))
        for number, part in enumerate(parts, start=1):
            visits.loc[part, PETUGAS] = number
            visits.loc[part, URUTAN] = np.arange(1, len(part) + 1)
    return visits.sort_values([C.KODE_KEL, PETUGAS, URUTAN])
