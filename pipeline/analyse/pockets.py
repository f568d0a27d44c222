"""Pockets (*kantong*), below the kelurahan: H3 cells and the pocket polygons they form.

A kelurahan average hides the street, the RT cluster or the riverside
settlement where poor households actually live. This module:

1. **Aggregates** households placed by their GPS point to H3 cells
   (resolution 9 by default, about 0.1 km²): households, poor households,
   extreme poor, assessed households and the sum of deprivation scores.
2. **Tests** each cell with a local count test: the poor households of
   the cell and its neighbours against the households at risk, with an
   exact hypergeometric p-value (see :func:`cell_hotspots`). Its z-score
   has the form of Getis-Ord Gi* on counts, but it is not esda's Gi*: the
   null shuffles poverty among households, not values among cells. A cell's neighbourhood is its ring of six
   adjacent cells that hold households; a cell with no such neighbour is
   linked to its ``knn`` nearest occupied cells instead. The exact
   hypergeometric p-values go through the Benjamini-Hochberg FDR
   (``esda.fdr``) at ``significance``: with thousands of cells, a
   permutation p-value (>= 0.001 with 999 permutations) could never reach
   the first BH threshold, alpha / n.
3. **Merges** contiguous cells that are significant hot spots *and* hold
   more poor households than the regional rate explains into pocket
   polygons. The second condition trims the halo of ordinary cells that
   are only significant because they border a pocket. A group of cells
   with fewer than ``min_households`` households is not a pocket
   (:func:`label_pockets`), and each pocket outline is clipped to the
   region's kelurahan.

Cells with fewer than ``k`` households are analysed like every other cell,
but :func:`public_cells` never publishes their figures.
"""

from __future__ import annotations

import logging

import geopandas as gpd
import h3
import h3.api.numpy_int as h3i
import libpysal
import numpy as np
import pandas as pd
import shapely
import shapely.geometry
from scipy import sparse
from scipy.sparse.csgraph import connected_components
from scipy.spatial import cKDTree
from scipy.stats import binom, hypergeom

from .. import columns as C
from .fdr import fdr_significant

logger = logging.getLogger(__name__)

H3: str = "h3"
KK_DI_SEL: str = "jumlah_kk"
GI_KELAS_SEL: str = "gi_kelas"
DALAM_KANTONG: str = "dalam_kantong"
KANTONG_ID: str = "kantong_id"
#: One-sided binomial tail of a cell's own poor count at the regional rate.
P_SEL: str = "p_sel"
#: A hot cell joins a pocket only when its own count is above the regional
#: rate at this (lenient) level: it trims the halo of ordinary cells that are
#: significant only because they border a pocket.
CELL_EVIDENCE: float = 0.25
#: Every kelurahan with a household in the cell (internal: pockets list the kelurahan they span).
KODE_KEL_SEMUA: str = "_kode_kel_semua"
#: Sum of deprivation scores of the assessed households of a cell (for means).
_SCORE_SUM: str = "_jumlah_skor"


def _lat_lon(households: gpd.GeoDataFrame) -> tuple[np.ndarray, np.ndarray]:
    points = households.geometry
    if households.crs is not None and not households.crs.equals("EPSG:4326"):
        points = points.to_crs("EPSG:4326")
    return shapely.get_y(points.values), shapely.get_x(points.values)


def cell_ids(lat: np.ndarray, lon: np.ndarray, *, resolution: int) -> np.ndarray:
    """H3 cell of each point, as unsigned 64-bit integers."""
    to_cell = h3i.latlng_to_cell
    return np.fromiter(
        (to_cell(a, b, resolution) for a, b in zip(lat.tolist(), lon.tolist(), strict=True)),
        dtype=np.uint64,
        count=len(lat),
    )


def aggregate_cells(households: gpd.GeoDataFrame, *, resolution: int = 9) -> gpd.GeoDataFrame:
    """Count located households per H3 cell.

    Parameters
    ----------
    households
        Classified households; only those placed by their GPS point
        (``metode_lokasi == "titik"``) are used.
    resolution
        H3 resolution (9: about 0.105 km² per cell).

    Returns
    -------
    GeoDataFrame
        One row per occupied cell (EPSG:4326 hexagons): ``h3`` (hex index),
        ``kode_kel`` (the kelurahan of most of its households),
        ``jumlah_kk``, ``kk_miskin``, ``kk_miskin_ekstrem``,
        ``persen_miskin``, and where households were scored
        ``kk_dinilai_mpi`` and ``rata_skor_deprivasi``.
    """
    if C.METODE_LOKASI in households:
        households = households[households[C.METODE_LOKASI].to_numpy() == "titik"]
    lat, lon = _lat_lon(households)
    ids = cell_ids(lat, lon, resolution=resolution)
    frame = pd.DataFrame(
        {
            H3: ids,
            KK_DI_SEL: 1,
            C.KK_MISKIN: households[C.MISKIN].to_numpy(dtype="int64"),
            C.KK_MISKIN_EKSTREM: households[C.MISKIN_EKSTREM].to_numpy(dtype="int64"),
        }
    )
    scored = C.SKOR_DEPRIVASI in households
    if scored:
        score = households[C.SKOR_DEPRIVASI].to_numpy(dtype="float64")
        frame[C.KK_DINILAI_MPI] = np.isfinite(score).astype("int64")
        frame[_SCORE_SUM] = np.nan_to_num(score)
    cells = frame.groupby(H3, sort=True).sum()
    majority = (
        pd.DataFrame({H3: ids, C.KODE_KEL: households[C.KODE_KEL].to_numpy()})
        .value_counts(sort=True)
        .reset_index()
        .drop_duplicates(H3)
        .set_index(H3)[C.KODE_KEL]
    )
    cells[C.KODE_KEL] = majority.reindex(cells.index).to_numpy()
    cells[KODE_KEL_SEMUA] = _codes_per_cell(ids, households[C.KODE_KEL].to_numpy())
    cells[C.PERSEN_MISKIN] = 100.0 * cells[C.KK_MISKIN] / cells[KK_DI_SEL]
    if scored:
        cells[C.RATA_SKOR_DEPRIVASI] = cells[_SCORE_SUM] / cells[C.KK_DINILAI_MPI].where(cells[C.KK_DINILAI_MPI] > 0)
    index = cells.index.to_numpy(dtype=np.uint64)
    out = gpd.GeoDataFrame(cells.reset_index(drop=True), geometry=cell_polygons(index), crs="EPSG:4326")
    out.insert(0, H3, [h3.int_to_str(int(c)) for c in index.tolist()])
    logger.info("H3 resolution %d: %d households in %d cells", resolution, int(out[KK_DI_SEL].sum()), len(out))
    return out


def cell_polygons(index: np.ndarray) -> np.ndarray:
    """The hexagon (or pentagon) of each H3 cell as a shapely Polygon in lon/lat, built in one call."""
    boundaries = [h3i.cell_to_boundary(c) for c in index.tolist()]  # (lat, lon) vertices, ring not closed
    if not boundaries:
        return np.array([], dtype=object)
    vertices = np.concatenate(boundaries)
    rings = shapely.linearrings(
        vertices[:, 1], vertices[:, 0], indices=np.repeat(np.arange(len(boundaries)), [len(b) for b in boundaries])
    )
    return shapely.polygons(rings)


def _codes_per_cell(ids: np.ndarray, codes: np.ndarray) -> pd.Series:
    """Per H3 cell, the kelurahan codes of its households, sorted and comma-joined (``99.71.01.1001,99.71.01.1002``).

    Built a rank at a time (the first code of every cell, then the second...), not a cell at a time.
    """
    everyone = pd.DataFrame({H3: ids, C.KODE_KEL: codes}).drop_duplicates().sort_values([H3, C.KODE_KEL])
    rank = everyone.groupby(H3, sort=False).cumcount().to_numpy()
    cell = everyone[H3].to_numpy()
    code = everyone[C.KODE_KEL].astype(object).to_numpy()
    joined = pd.Series(code[rank == 0], index=cell[rank == 0], dtype=object)
    for j in range(1, int(rank.max(initial=0)) + 1):
        at = rank == j
        joined.loc[cell[at]] = joined.loc[cell[at]].to_numpy() + "," + code[at]
    return joined.rename_axis(H3)


def _adjacent_pairs(cells) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Pairs of the given H3 cells that share an edge.

    Returns
    -------
    ids : ndarray of uint64
        The cells as integers, in the given order.
    row, col : ndarray of int64
        Positions of adjacent cells (both directions; no cell with itself).
    """
    ids = np.array([h3.str_to_int(c) for c in cells], dtype=np.uint64)
    if not len(ids):
        return ids, np.array([], dtype=np.int64), np.array([], dtype=np.int64)
    # each cell's first ring (grid_disk of 1, pentagons included, minus the cell), occupied cells only
    disks = [h3i.grid_disk(c, 1) for c in ids.tolist()]
    focal = np.repeat(np.arange(len(ids), dtype=np.int64), [len(d) for d in disks])
    neighbour = pd.Index(ids).get_indexer(np.concatenate(disks).astype(np.uint64))
    keep = (neighbour >= 0) & (neighbour != focal)
    return ids, focal[keep], neighbour[keep].astype(np.int64)


def ring_weights(cells: pd.Series, *, knn: int = 3) -> tuple[libpysal.weights.W, np.ndarray]:
    """Binary weights: each cell's adjacent occupied cells, KNN for isolated ones.

    Parameters
    ----------
    cells
        H3 indexes (hex strings) of the occupied cells.
    knn
        Nearest occupied cells linked to a cell with no occupied neighbour.

    Returns
    -------
    weights : libpysal.weights.W
        Binary and symmetric, ids ``0..n-1``.
    knn_fallback : ndarray of bool
        True for cells whose neighbours came from the KNN fallback.
    """
    ids, row, col = _adjacent_pairs(cells)
    n = len(ids)
    isolated = np.bincount(row, minlength=n) == 0
    if isolated.any() and n > 1:
        lat_lon = np.array([h3i.cell_to_latlng(int(c)) for c in ids.tolist()])
        xy = np.column_stack([lat_lon[:, 1] * np.cos(np.radians(lat_lon[:, 0])), lat_lon[:, 0]])
        k = min(knn, n - 1)
        _, nearest = cKDTree(xy).query(xy[isolated], k=k + 1)
        extra_rows = np.repeat(np.flatnonzero(isolated), k)
        extra_cols = nearest[:, 1:].ravel()
        row = np.concatenate([row, extra_rows, extra_cols])
        col = np.concatenate([col, extra_cols, extra_rows])
    matrix = sparse.coo_matrix((np.ones(row.size), (row, col)), shape=(n, n)).tocsr()
    matrix.sum_duplicates()
    neighbours = {i: matrix.indices[matrix.indptr[i] : matrix.indptr[i + 1]].tolist() for i in range(n)}
    w = libpysal.weights.W(neighbours, silence_warnings=True)
    w.transform = "B"
    return w, isolated


def cell_hotspots(cells: gpd.GeoDataFrame, *, significance: float = 0.05, knn: int = 3) -> gpd.GeoDataFrame:
    """The local count test of each cell: poor households against the households at risk, with FDR classes.

    For cell *i* with neighbourhood N*(i) (itself and its occupied ring, see
    :func:`ring_weights`), ``K_i`` poor households among ``N_i`` households,
    and the region's ``K`` poor among ``N``: Gi* of the poor-household
    counts, with its expectation and variance taken from the households at
    risk rather than from the spread of cell shares::

        z_i = (K_i - N_i p) / sqrt(N_i p (1 - p) (N - N_i) / (N - 1)),  p = K / N

    This is the conditional-permutation null at the household level: the
    poverty labels are shuffled among households, so a cell of 2 households
    at 100 % is weak evidence and a cell of 200 at 60 % is strong evidence.
    The p-value is the exact two-sided hypergeometric tail. (The plain Gi*
    of cell shares, ``esda.G_Local`` on ``persen_miskin``, treats both cells
    alike; on settlement-like synthetic data it reported pockets in 40 % of
    spatially random seeds and none of the planted pockets in a sparse
    city, see ``bench/bench_pockets.py``.)

    Returns
    -------
    GeoDataFrame
        A copy with ``gi_z``, ``gi_p`` (two-sided), ``gi_fdr`` (significant
        under the Benjamini-Hochberg FDR at ``significance``, ``esda.fdr``),
        ``gi_kelas`` (``panas``, ``dingin`` or ``tidak_signifikan``, by the
        FDR), ``p_sel`` (one-sided tail of the cell's own count, used by
        :func:`pocket_membership`) and ``tetangga_knn``.
    """
    out = cells.copy()
    n = len(out)
    households = out[KK_DI_SEL].to_numpy(dtype="float64")
    poor = out[C.KK_MISKIN].to_numpy(dtype="float64")
    total, total_poor = households.sum(), poor.sum()
    rate = total_poor / total if total else 0.0
    out[C.GI_Z] = np.nan
    out[C.GI_P] = np.nan
    out["gi_fdr"] = False
    out[GI_KELAS_SEL] = "tidak_signifikan"
    out[C.TETANGGA_KNN] = False
    out[P_SEL] = 1.0
    if n < 3 or not 0 < rate < 1:
        return out
    w, isolated = ring_weights(out[H3], knn=knn)
    star = (w.sparse + sparse.identity(n, format="csr")).tocsr()
    star.data[:] = 1.0
    local_n = star @ households
    local_k = star @ poor
    variance = local_n * rate * (1 - rate) * (total - local_n) / max(total - 1, 1)
    with np.errstate(divide="ignore", invalid="ignore"):
        z = np.where(variance > 0, (local_k - local_n * rate) / np.sqrt(variance), np.nan)
    M, K = int(total), int(total_poor)
    draws, hits = local_n.astype(np.int64), local_k.astype(np.int64)
    upper = hypergeom.sf(hits - 1, M, K, draws)
    lower = hypergeom.cdf(hits, M, K, draws)
    p = np.where(np.isfinite(z), np.minimum(1.0, 2.0 * np.minimum(upper, lower)), np.nan)
    significant = fdr_significant(p, significance)
    out[C.GI_Z] = z
    out[C.GI_P] = p
    out["gi_fdr"] = significant
    out[GI_KELAS_SEL] = np.where(
        significant & (z > 0), "panas", np.where(significant & (z < 0), "dingin", "tidak_signifikan")
    )
    out[P_SEL] = binom.sf(poor - 1, households, rate)
    out[C.TETANGGA_KNN] = isolated
    logger.info(
        "H3 count test: %d cells, %d hot and %d cold under FDR %.2f (%d with KNN neighbours)",
        n,
        int((out[GI_KELAS_SEL] == "panas").sum()),
        int((out[GI_KELAS_SEL] == "dingin").sum()),
        significance,
        int(isolated.sum()),
    )
    return out


def label_pockets(cells: gpd.GeoDataFrame, *, min_households: int = 5) -> gpd.GeoDataFrame:
    """Which pocket each cell belongs to, ranked, with the minimum size applied.

    Contiguous pocket cells (:func:`pocket_membership`) with fewer than
    ``min_households`` households in all are not a pocket: their cells get
    no pocket id, here and therefore in every output.

    Parameters
    ----------
    cells
        Output of :func:`cell_hotspots`.
    min_households
        The smallest pocket, in households.

    Returns
    -------
    GeoDataFrame
        A copy with ``kantong_id``: ``K01``, ``K02``, … ranked by most poor
        households, then the highest share; empty outside every pocket.
    """
    membership = pocket_membership(cells)
    inside = membership >= 0
    sums = (
        pd.DataFrame(
            {
                "pocket": membership[inside],
                "households": cells[KK_DI_SEL].to_numpy()[inside],
                "poor": cells[C.KK_MISKIN].to_numpy()[inside],
            }
        )
        .groupby("pocket")
        .sum()
    )
    sums = sums[sums["households"] >= min_households]
    ranked = sums.assign(share=sums["poor"] / sums["households"]).sort_values(
        ["poor", "share"], ascending=False, kind="stable"
    )
    ids = {pocket: f"K{rank:02d}" for rank, pocket in enumerate(ranked.index, start=1)}
    dropped = len(np.unique(membership[inside])) - len(ids)
    if dropped:
        logger.info("%d groups of hot cells hold fewer than %d households: not pockets", dropped, min_households)
    out = cells.copy()
    out[KANTONG_ID] = np.array([ids.get(m, "") for m in membership.tolist()], dtype=object)
    return out


def _clip_to_region(pockets: gpd.GeoSeries, region: gpd.GeoDataFrame) -> gpd.GeoSeries:
    """Each pocket outline cut to the kelurahan it overlaps (hexagons reach past the coast and the border)."""
    area = region.geometry.to_crs(pockets.crs).reset_index(drop=True)
    pairs = area.sindex.query(pockets.to_numpy(), predicate="intersects")
    clipped = []
    for i, geometry in enumerate(pockets.to_numpy()):
        land = shapely.union_all(area.to_numpy()[pairs[1][pairs[0] == i]])
        part = shapely.intersection(geometry, land)
        polygons = [g for g in shapely.get_parts(part) if isinstance(g, shapely.Polygon) and not g.is_empty]
        clipped.append(shapely.MultiPolygon(polygons) if len(polygons) > 1 else (polygons or [part])[0])
    return gpd.GeoSeries(clipped, index=pockets.index, crs=pockets.crs)


def merge_pockets(
    cells: gpd.GeoDataFrame,
    *,
    kelurahan_names: dict[str, str] | None = None,
    min_households: int = 5,
    region: gpd.GeoDataFrame | None = None,
    crs: str | int | object | None = None,
) -> gpd.GeoDataFrame:
    """Merge contiguous hot cells into ranked pocket polygons (*kantong*).

    A cell joins a pocket when it is a hot spot of the count test under the FDR
    (:func:`cell_hotspots`) and its own poor count is above the regional
    rate at the lenient level :data:`CELL_EVIDENCE`. Adjacent such cells
    (sharing an edge) form one pocket, and a pocket must hold at least
    ``min_households`` households (see :func:`label_pockets`).

    Parameters
    ----------
    cells
        Output of :func:`label_pockets`, or of :func:`cell_hotspots` (then
        labelled here with ``min_households``).
    kelurahan_names
        Kelurahan code -> name, to name the kelurahan each pocket spans.
    min_households
        The smallest pocket, in households, when ``cells`` are not labelled yet.
    region
        The kelurahan boundaries: each pocket is clipped to them, so that
        no outline reaches into the sea or a neighbouring regency.
    crs
        The projected CRS in which ``luas_km2`` is measured (the region's
        ``[analysis] projected_crs``); by default the pockets' UTM zone.

    Returns
    -------
    GeoDataFrame
        One row per pocket, best-ranked first (most poor households, then
        the highest share): ``kantong_id``, ``peringkat``, ``jumlah_sel``,
        ``jumlah_kk``, ``kk_miskin``, ``kk_miskin_ekstrem``,
        ``persen_miskin``, ``rata_skor_deprivasi`` (where scored),
        ``luas_km2``, ``kode_kel`` and ``nama_kel`` (the kelurahan spanned,
        comma-separated), in EPSG:4326.
    """
    columns = [KANTONG_ID, "peringkat", "jumlah_sel", KK_DI_SEL, C.KK_MISKIN, C.KK_MISKIN_EKSTREM, C.PERSEN_MISKIN]
    if KANTONG_ID not in cells:
        cells = label_pockets(cells, min_households=min_households)
    chosen = cells.loc[cells[KANTONG_ID].to_numpy() != ""]
    if chosen.empty:
        return gpd.GeoDataFrame(columns=[*columns, "geometry"], geometry="geometry", crs="EPSG:4326")
    sums = {KK_DI_SEL: "sum", C.KK_MISKIN: "sum", C.KK_MISKIN_EKSTREM: "sum", H3: list, KODE_KEL_SEMUA: ",".join}
    if _SCORE_SUM in chosen:
        sums |= {_SCORE_SUM: "sum", C.KK_DINILAI_MPI: "sum"}
    pockets = chosen.groupby(KANTONG_ID).agg(sums)
    pockets["peringkat"] = pockets.index.str[1:].astype(int)
    pockets = pockets.sort_values("peringkat").reset_index()
    pockets["jumlah_sel"] = pockets[H3].map(len)
    pockets[C.PERSEN_MISKIN] = 100.0 * pockets[C.KK_MISKIN] / pockets[KK_DI_SEL]
    if _SCORE_SUM in pockets:
        pockets[C.RATA_SKOR_DEPRIVASI] = pockets[_SCORE_SUM] / pockets[C.KK_DINILAI_MPI].where(
            pockets[C.KK_DINILAI_MPI] > 0
        )
        columns.append(C.RATA_SKOR_DEPRIVASI)
    codes = pockets[KODE_KEL_SEMUA].map(lambda joined: sorted(set(joined.split(","))))
    names = kelurahan_names or {}
    pockets[C.KODE_KEL] = codes.map(",".join)
    pockets[C.NAMA_KEL] = codes.map(lambda cs: ", ".join(names.get(c, c) for c in cs))
    geometry = [shapely.geometry.shape(h3.cells_to_h3shape(cs).__geo_interface__) for cs in pockets[H3]]
    out = gpd.GeoDataFrame(pockets.drop(columns=[H3, KODE_KEL_SEMUA]), geometry=geometry, crs="EPSG:4326")
    if region is not None and len(region):
        out = out.set_geometry(_clip_to_region(out.geometry, region))
    out["luas_km2"] = np.round((out.to_crs(crs or out.estimate_utm_crs()).area / 1e6).to_numpy(), 4)
    logger.info("%d pockets: %d households, %d poor", len(out), int(out[KK_DI_SEL].sum()), int(out[C.KK_MISKIN].sum()))
    return out[[*columns, "luas_km2", C.KODE_KEL, C.NAMA_KEL, "geometry"]]


def pocket_membership(cells: gpd.GeoDataFrame) -> np.ndarray:
    """Connected-component id of each pocket cell, -1 for cells outside every pocket.

    The ids are arbitrary but deterministic (ordered by the cells' order).
    """
    selected = (cells[GI_KELAS_SEL].to_numpy() == "panas") & (cells[P_SEL].to_numpy() < CELL_EVIDENCE)
    out = np.full(len(cells), -1, dtype=np.int64)
    index = np.flatnonzero(selected)
    if index.size == 0:
        return out
    _, row, col = _adjacent_pairs(cells[H3].to_numpy()[index])
    graph = sparse.coo_matrix((np.ones(row.size), (row, col)), shape=(index.size, index.size))
    _, labels = connected_components(graph, directed=False)
    out[index] = labels
    return out


def public_cells(cells: gpd.GeoDataFrame, *, k: int) -> gpd.GeoDataFrame:
    """The H3 cells as they may be published: cells under ``k`` households show nothing.

    Parameters
    ----------
    cells
        Output of :func:`label_pockets` (a cell is in a pocket when it has a pocket id).
    k
        The suppression threshold.

    Returns
    -------
    GeoDataFrame
        ``h3``, ``kode_kel``, ``jumlah_kk``, ``kk_miskin``,
        ``kk_miskin_ekstrem``, ``persen_miskin``, ``rata_skor_deprivasi``
        (if scored), ``gi_z``, ``gi_kelas``, ``dalam_kantong`` and
        ``disembunyikan``. Every figure of a cell with 1 to k-1 households
        is empty, its class is ``disembunyikan`` and it is not shown in a pocket.
    """
    keep = [
        c
        for c in (H3, C.KODE_KEL, KK_DI_SEL, C.KK_MISKIN, C.KK_MISKIN_EKSTREM, C.PERSEN_MISKIN,
                  C.RATA_SKOR_DEPRIVASI, C.GI_Z, GI_KELAS_SEL)
        if c in cells
    ]  # fmt: skip
    out = cells[[*keep, "geometry"]].copy()
    small = out[KK_DI_SEL] < k
    for column in (KK_DI_SEL, C.KK_MISKIN, C.KK_MISKIN_EKSTREM):
        out[column] = out[column].astype("Int64").mask(small)
    for column in (C.PERSEN_MISKIN, C.RATA_SKOR_DEPRIVASI, C.GI_Z):
        if column in out:
            out[column] = out[column].mask(small)
    if GI_KELAS_SEL in out:
        out[GI_KELAS_SEL] = out[GI_KELAS_SEL].where(~small, C.DISEMBUNYIKAN)
    out[DALAM_KANTONG] = (cells[KANTONG_ID].to_numpy() != "") & ~small.to_numpy()
    out[C.DISEMBUNYIKAN] = np.where(small, f"< {k} KK", "")
    return out.reset_index(drop=True)
