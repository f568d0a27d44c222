"""Hot spots at kelurahan level: where poverty concentrates.

Getis-Ord Gi* (``esda.G_Local`` with ``star=True``, binary weights) and
Local Moran's I (``esda.Moran_Local``, row-standardised weights) on the
kelurahan poverty rate and on its Empirical-Bayes-smoothed rate, with
conditional permutation inference and a fixed seed, so that the same data
always gives the same classes. Beside each raw pseudo p-value, a flag says
whether the kelurahan stays significant under the Benjamini-Hochberg false
discovery rate (``esda.fdr``) at the configured level. With 999
permutations the smallest two-sided p-value is 0.002, so among *n*
kelurahan the FDR keeps only clusters of very small p-values: a lone
kelurahan at p = 0.002 passes only where n <= 25.

Sub-kelurahan pockets (H3 cells) are in :mod:`pipeline.analyse.pockets`.

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
from libpysal.graph import Graph

from .. import columns as C
from ..errors import CRSError
from .fdr import fdr_significant

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
#: Class of every area when there are too few areas for a local test (:func:`kecamatan_hotspots`).
TOO_FEW_CLASS: str = "tidak_diuji"
#: The fewest kecamatan for which local hot spots are computed. With n areas
#: a conditional permutation draws a kecamatan's k neighbours from the n - 1
#: others, so only C(n - 1, k) distinct neighbourhoods exist and the smallest
#: two-sided p-value is about 2 / C(n - 1, k): with 8 kecamatan and 3
#: neighbours, 2 / 35 = 0.057, above 0.05 whatever the data. From 10 (2 / 84 =
#: 0.024) a cluster can be significant at all.
MIN_AREAS_FOR_HOTSPOTS: int = 10
#: Local Moran quadrants (esda's q: 1 HH, 2 LH, 3 LL, 4 HL) -> class codes.
LISA_CLASSES: dict[int, str] = {1: "tinggi_tinggi", 2: "rendah_tinggi", 3: "rendah_rendah", 4: "tinggi_rendah"}
#: Variables analysed for each kelurahan: column suffix -> rate column.
HOTSPOT_VARIABLES: dict[str, str] = {"": C.PERSEN_MISKIN, "_eb": C.PERSEN_MISKIN_EB}
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
    # Polygons buffered by half the tolerance intersect when they lie within
    # the tolerance of each other. Checked against a plain "dwithin" query on
    # the kelurahan of the five seed cities and three provinces (76,000 pairs):
    # the same neighbours. libpysal marks islands but does not link them, so
    # the nearest-polygon fallback below stays ours.
    graph = Graph.build_fuzzy_contiguity(
        gpd.GeoSeries(geoms, index=pd.RangeIndex(n), crs=metric.crs), buffer=tolerance_m / 2
    )
    pairs = graph.adjacency[graph.adjacency > 0].index
    neighbours: dict[int, set[int]] = {i: set() for i in range(n)}
    for a, b in zip(pairs.get_level_values(0).tolist(), pairs.get_level_values(1).tolist(), strict=True):
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


def _permutation_statistics(y: np.ndarray, w: libpysal.weights.W, *, permutations: int, seed: int):
    """Gi* (binary weights) and Local Moran (row-standardised) on one variable."""
    with warnings.catch_warnings():
        # esda warns that its permutation p-value is "directed" (one-sided in
        # the observed direction); we turn it into a two-sided value.
        warnings.filterwarnings("ignore", message="The alternative hypothesis", category=DeprecationWarning)
        # A kelurahan whose neighbourhood is the whole region has no defined
        # Gi* (its local sum is the global sum): esda divides by zero there.
        with np.errstate(divide="ignore", invalid="ignore"):
            gi = esda.G_Local(y, w, transform="B", permutations=permutations, star=True, seed=seed, n_jobs=1)
            lisa = esda.Moran_Local(y, w, transformation="r", permutations=permutations, seed=seed, n_jobs=1)
    w.transform = "B"
    return gi, lisa


def local_gi_star(
    kelurahan: gpd.GeoDataFrame,
    *,
    column: str = C.PERSEN_MISKIN,
    suffix: str = "",
    crs: str | int | object,
    permutations: int = 999,
    seed: int = 0,
    significance: float = 0.05,
    weights: dict[bytes, tuple[libpysal.weights.W, np.ndarray]] | None = None,
) -> gpd.GeoDataFrame:
    """Getis-Ord Gi* hot and cold spots and Local Moran clusters of ``column``.

    Kelurahan without a value (no households) are left out of the
    analysis and classed ``tanpa_data``.

    Parameters
    ----------
    kelurahan
        Kelurahan indicators.
    column
        The variable, e.g. ``persen_miskin``.
    suffix
        Appended to every output column (``"_eb"`` for the EB rate).
    crs
        The region's projected CRS, for the contiguity tolerance.
    permutations
        Conditional permutations for the pseudo p-values.
    seed
        Random seed for the permutations.
    significance
        Level of the Benjamini-Hochberg FDR flags.
    weights
        Contiguity weights already built, by the mask of kelurahan with a
        value; filled in. Variables defined on the same kelurahan (the raw and
        the EB rate) then share one build.

    Returns
    -------
    GeoDataFrame
        A copy with ``gi_z`` (standardised Gi*), ``gi_p`` (two-sided pseudo
        p-value: twice esda's directed ``p_sim``, capped at 1),
        ``gi_kelas`` (see :data:`HOT_COLD_CLASSES`), ``gi_fdr`` (significant
        under the FDR), ``lisa_i``, ``lisa_p``, ``lisa_kelas`` (see
        :data:`LISA_CLASSES`, at ``significance``), ``lisa_fdr`` — each with
        ``suffix`` — and ``tetangga_knn``. Where a kelurahan's neighbourhood
        covers the whole region, Gi* is undefined: ``gi_z`` and ``gi_p`` are
        NaN and the class is ``tidak_signifikan``.
    """
    names = {
        key: f"{key}{suffix}"
        for key in ("gi_z", "gi_p", "gi_kelas", "gi_fdr", "lisa_i", "lisa_p", "lisa_kelas", "lisa_fdr")
    }
    out = kelurahan.copy()
    for key in ("gi_z", "gi_p", "lisa_i", "lisa_p"):
        out[names[key]] = np.nan
    out[names["gi_kelas"]] = NO_DATA_CLASS
    out[names["lisa_kelas"]] = NO_DATA_CLASS
    out[names["gi_fdr"]] = False
    out[names["lisa_fdr"]] = False
    if C.TETANGGA_KNN not in out:
        out[C.TETANGGA_KNN] = False
    valid = out[column].notna().to_numpy()
    if valid.sum() < 3:
        logger.warning("Gi*: only %d kelurahan have a value; no hot-spot analysis", int(valid.sum()))
        return out
    subset = out.loc[valid]
    key = valid.tobytes()
    if weights is not None and key in weights:
        w, knn = weights[key]
    else:
        w, knn = contiguity_weights(subset, crs=crs)
        if weights is not None:
            weights[key] = (w, knn)
    y = subset[column].to_numpy(dtype="float64")
    positions = np.flatnonzero(valid)

    def put(key: str, values: np.ndarray) -> None:
        out.iloc[positions, out.columns.get_loc(names[key])] = values

    out.iloc[positions, out.columns.get_loc(C.TETANGGA_KNN)] = knn
    if np.allclose(y, y[0]):
        put("gi_kelas", np.full(len(y), "tidak_signifikan", dtype=object))
        put("lisa_kelas", np.full(len(y), "tidak_signifikan", dtype=object))
        return out
    gi, lisa = _permutation_statistics(y, w, permutations=permutations, seed=seed)
    z = np.where(np.isfinite(gi.Zs), gi.Zs, np.nan)
    gi_p = np.where(np.isfinite(z), np.minimum(1.0, 2.0 * gi.p_sim), np.nan)
    lisa_p = np.minimum(1.0, 2.0 * lisa.p_sim)
    lisa_class = np.where(
        lisa_p <= significance, pd.Series(lisa.q).map(LISA_CLASSES).to_numpy(dtype=object), "tidak_signifikan"
    )
    put("gi_z", z)
    put("gi_p", gi_p)
    put("gi_kelas", classify_gi(z, gi_p))
    put("gi_fdr", fdr_significant(gi_p, significance))
    put("lisa_i", lisa.Is)
    put("lisa_p", lisa_p)
    put("lisa_kelas", lisa_class)
    put("lisa_fdr", fdr_significant(lisa_p, significance) & (lisa_p <= significance))
    if knn.any():
        name = C.NAMA_KEL if C.NAMA_KEL in subset else C.NAMA_KEC
        logger.info(
            "Gi*: %d areas had no contiguous neighbour and use their nearest: %s",
            int(knn.sum()),
            ", ".join(subset.loc[knn, name].astype(str)),
        )
    counts = pd.Series(out[names["gi_kelas"]]).value_counts().to_dict()
    logger.info("Gi* on %s (%d permutations, seed %d): %s", column, permutations, seed, counts)
    return out


def kelurahan_hotspots(
    kelurahan: gpd.GeoDataFrame,
    *,
    crs: str | int | object,
    permutations: int = 999,
    seed: int = 0,
    significance: float = 0.05,
) -> gpd.GeoDataFrame:
    """Gi* and Local Moran on every variable of :data:`HOTSPOT_VARIABLES` present.

    Returns
    -------
    GeoDataFrame
        A copy with the columns of :func:`local_gi_star` for the raw rate
        (no suffix) and for the EB rate (suffix ``_eb``).
    """
    out = kelurahan
    weights: dict[bytes, tuple[libpysal.weights.W, np.ndarray]] = {}
    for suffix, column in HOTSPOT_VARIABLES.items():
        if column in out:
            out = local_gi_star(
                out,
                column=column,
                suffix=suffix,
                crs=crs,
                permutations=permutations,
                seed=seed,
                significance=significance,
                weights=weights,
            )
    return out


def kecamatan_hotspots(
    kecamatan: gpd.GeoDataFrame,
    *,
    crs: str | int | object,
    permutations: int = 999,
    seed: int = 0,
    significance: float = 0.05,
    min_areas: int = MIN_AREAS_FOR_HOTSPOTS,
) -> gpd.GeoDataFrame:
    """The kelurahan hot-spot analysis on kecamatan, where there are enough of them.

    Parameters
    ----------
    kecamatan
        Kecamatan indicators with raw and EB rates.
    min_areas
        The fewest kecamatan with households for a local test (see
        :data:`MIN_AREAS_FOR_HOTSPOTS`). Below it every kecamatan is classed
        :data:`TOO_FEW_CLASS` with no z-score or p-value: a region of 3 to 8
        kecamatan cannot show a significant local cluster at 5 %, and a
        class from it would only look like a finding.

    Returns
    -------
    GeoDataFrame
        The columns of :func:`kelurahan_hotspots`.
    """
    with_households = int(kecamatan[C.PERSEN_MISKIN].notna().sum()) if C.PERSEN_MISKIN in kecamatan else 0
    if with_households >= min_areas:
        return kelurahan_hotspots(kecamatan, crs=crs, permutations=permutations, seed=seed, significance=significance)
    logger.info(
        "kecamatan hot spots: %d kecamatan with households, fewer than %d; not tested (class %s)",
        with_households,
        min_areas,
        TOO_FEW_CLASS,
    )
    out = kecamatan.copy()
    for suffix, column in HOTSPOT_VARIABLES.items():
        if column not in out:
            continue
        for key in ("gi_z", "gi_p", "lisa_i", "lisa_p"):
            out[f"{key}{suffix}"] = np.nan
        for key in ("gi_kelas", "lisa_kelas"):
            out[f"{key}{suffix}"] = np.where(out[column].notna(), TOO_FEW_CLASS, NO_DATA_CLASS)
        for key in ("gi_fdr", "lisa_fdr"):
            out[f"{key}{suffix}"] = False
    out[C.TETANGGA_KNN] = False
    return out


def knn_fallback_names(kelurahan: pd.DataFrame) -> list[str]:
    """Names of the kelurahan that had no contiguous neighbour (islands)."""
    if C.TETANGGA_KNN not in kelurahan:
        return []
    return kelurahan.loc[kelurahan[C.TETANGGA_KNN].astype(bool), C.NAMA_KEL].astype(str).tolist()
