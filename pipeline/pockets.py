"""Pockets stage: where poverty concentrates (kantong kemiskinan).

Getis-Ord Gi* (``esda.G_Local`` with ``star=True``) on the kelurahan poverty
rate, with binary contiguity weights, conditional permutation inference and a
fixed seed, so that the same data always gives the same classes.

Contiguity is *queen* contiguity made robust to real boundary files: each
polygon in the shared boundary data was simplified on its own, so neighbours
overlap or leave thin gaps and rarely share exact vertices. Two kelurahan are
neighbours when they touch, overlap, or come within ``tolerance_m`` metres of
each other (in the region's projected CRS). A kelurahan with no neighbour at
all (an island) is linked to its nearest kelurahan and flagged
``tetangga_knn``.
"""

from __future__ import annotations

import logging
import warnings

import esda
import geopandas as gpd
import libpysal
import numpy as np
import pandas as pd
import shapely

from . import columns as C
from .errors import CRSError

logger = logging.getLogger(__name__)

#: Gi* class codes, from hottest to coldest.
HOT_COLD_CLASSES: tuple[str, ...] = (
    "panas_99",
    "panas_95",
    "panas_90",
    "tidak_signifikan",
    "dingin_90",
    "dingin_95",
    "dingin_99",
)
NO_DATA_CLASS: str = "tanpa_data"
CONFIDENCE_LEVELS: tuple[tuple[float, str], ...] = ((0.01, "99"), (0.05, "95"), (0.10, "90"))


def contiguity_weights(
    polygons: gpd.GeoDataFrame, *, crs: str | int | object, tolerance_m: float = 25.0
) -> tuple[libpysal.weights.W, np.ndarray]:
    """Binary contiguity weights that tolerate slivers and gaps.

    Parameters
    ----------
    polygons
        Any polygons; their row order is the order of the weights.
    crs
        A projected CRS in metres used to measure ``tolerance_m``.
    tolerance_m
        Polygons closer than this are neighbours.

    Returns
    -------
    weights : libpysal.weights.W
        Binary, symmetric, ids ``0..n-1``.
    knn_fallback : ndarray of bool
        True for polygons that had no contiguous neighbour and were linked
        to their nearest polygon instead.

    Raises
    ------
    CRSError
        If ``crs`` is not projected.
    """
    metric = polygons.to_crs(crs)
    if not metric.crs.is_projected:
        raise CRSError(f"contiguity needs a projected CRS in metres, got {metric.crs}; set [analysis] projected_crs")
    geoms = metric.geometry.values
    n = len(geoms)
    left, right = shapely.STRtree(geoms).query(geoms, predicate="dwithin", distance=tolerance_m)
    keep = left != right
    neighbours: dict[int, set[int]] = {i: set() for i in range(n)}
    for a, b in zip(left[keep].tolist(), right[keep].tolist(), strict=True):
        neighbours[a].add(b)
        neighbours[b].add(a)
    knn = np.zeros(n, dtype=bool)
    if n > 1:
        for i in [i for i, nb in neighbours.items() if not nb]:
            others = np.delete(np.arange(n), i)
            nearest = others[np.argmin(shapely.distance(geoms[i], geoms[others]))]
            neighbours[i].add(int(nearest))
            neighbours[int(nearest)].add(i)
            knn[i] = True
    w = libpysal.weights.W({i: sorted(nb) for i, nb in neighbours.items()}, silence_warnings=True)
    w.transform = "B"
    return w, knn


def classify_gi(z: np.ndarray, p: np.ndarray) -> np.ndarray:
    """Hot/cold class codes from Gi* z-scores and pseudo p-values."""
    out = np.full(z.shape, "tidak_signifikan", dtype=object)
    for alpha, level in reversed(CONFIDENCE_LEVELS):
        out[(p <= alpha) & (z > 0)] = f"panas_{level}"
        out[(p <= alpha) & (z < 0)] = f"dingin_{level}"
    return out


def local_gi_star(
    kelurahan: gpd.GeoDataFrame,
    *,
    column: str = C.PERSEN_MISKIN,
    crs: str | int | object,
    permutations: int = 999,
    seed: int = 0,
) -> gpd.GeoDataFrame:
    """Getis-Ord Gi* hot and cold spots of ``column``.

    Kelurahan without a value (no households) are left out of the
    analysis and classed ``tanpa_data``.

    Parameters
    ----------
    kelurahan
        Kelurahan indicators.
    column
        The variable, e.g. ``persen_miskin``.
    crs
        The region's projected CRS, for the contiguity tolerance.
    permutations
        Conditional permutations for the pseudo p-values.
    seed
        Random seed for the permutations.

    Returns
    -------
    GeoDataFrame
        A copy with ``gi_z`` (standardised Gi*), ``gi_p`` (two-sided pseudo
        p-value: twice esda's directed ``p_sim``, capped at 1),
        ``gi_kelas`` (see :data:`HOT_COLD_CLASSES`) and ``tetangga_knn``.
        Where a kelurahan's neighbourhood covers the whole region, Gi* is
        undefined: ``gi_z`` and ``gi_p`` are NaN and the class is
        ``tidak_signifikan``.
    """
    out = kelurahan.copy()
    out[C.GI_Z] = np.nan
    out[C.GI_P] = np.nan
    out[C.GI_KELAS] = NO_DATA_CLASS
    out[C.TETANGGA_KNN] = False
    valid = out[column].notna().to_numpy()
    if valid.sum() < 3:
        logger.warning("Gi*: only %d kelurahan have a value; no hot-spot analysis", int(valid.sum()))
        return out
    subset = out.loc[valid]
    w, knn = contiguity_weights(subset, crs=crs)
    y = subset[column].to_numpy(dtype="float64")
    if np.allclose(y, y[0]):
        out.loc[valid, C.GI_KELAS] = "tidak_signifikan"
        return out
    with warnings.catch_warnings():
        # esda warns that its permutation p-value is "directed" (one-sided in
        # the observed direction); we turn it into a two-sided value below.
        warnings.filterwarnings("ignore", message="The alternative hypothesis", category=DeprecationWarning)
        # A kelurahan whose neighbourhood is the whole region has no defined
        # Gi* (its local sum is the global sum): esda divides by zero there.
        with np.errstate(divide="ignore", invalid="ignore"):
            gi = esda.G_Local(y, w, transform="B", permutations=permutations, star=True, seed=seed, n_jobs=1)
    z = np.where(np.isfinite(gi.Zs), gi.Zs, np.nan)
    p_two_sided = np.where(np.isfinite(z), np.minimum(1.0, 2.0 * gi.p_sim), np.nan)
    positions = np.flatnonzero(valid)
    out.iloc[positions, out.columns.get_loc(C.GI_Z)] = z
    out.iloc[positions, out.columns.get_loc(C.GI_P)] = p_two_sided
    out.iloc[positions, out.columns.get_loc(C.GI_KELAS)] = classify_gi(z, p_two_sided)
    out.iloc[positions, out.columns.get_loc(C.TETANGGA_KNN)] = knn
    if knn.any():
        logger.info(
            "Gi*: %d kelurahan had no contiguous neighbour and use their nearest: %s",
            int(knn.sum()),
            ", ".join(subset.loc[knn, C.NAMA_KEL].astype(str)),
        )
    counts = pd.Series(out[C.GI_KELAS]).value_counts().to_dict()
    logger.info("Gi* on %s (%d permutations, seed %d): %s", column, permutations, seed, counts)
    return out
