"""Sensitivity: how much do the pockets and the priority list move when a setting changes?

:func:`rerun` repeats the spatial stage of a region already analysed with
one setting changed (k, the H3 resolution, the FDR level, the poverty rule
or the number of permutations); :func:`pocket_jaccard` and
:func:`rank_stability` compare the result with the region's own. Used by
``notebooks/02-sensitivity.ipynb``.
"""

from __future__ import annotations

import dataclasses

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely
from scipy import stats

from .. import columns as C
from .indicators import classify_poverty, kelurahan_indicators
from .region import RegionAnalysis
from .spatial import hotspots_and_pockets


def rerun(
    analysis: RegionAnalysis,
    *,
    k: int | None = None,
    h3_resolution: int | None = None,
    significance: float | None = None,
    poor_max_decile: int | None = None,
    permutations: int | None = None,
) -> tuple[gpd.GeoDataFrame, gpd.GeoDataFrame]:
    """The region's hot spots, priorities and pockets again, with one or more settings changed.

    Parameters
    ----------
    analysis
        The region as analysed with its own settings.
    k
        The suppression threshold; the smallest pocket becomes 2·k
        households (the default of ``[analysis] min_pocket_households``).
    h3_resolution, significance, permutations
        As in ``[analysis]``.
    poor_max_decile
        The poverty rule: poor = decile <= this (extreme poor stay at their
        own decile, or at this one if it is lower).

    Returns
    -------
    kelurahan : GeoDataFrame
        Kelurahan with ``peringkat_prioritas``.
    pockets : GeoDataFrame
    """
    config = analysis.config
    changes = {
        key: value
        for key, value in {
            "h3_resolution": h3_resolution,
            "significance": significance,
            "permutations": permutations,
            "min_pocket_households": 2 * k if k is not None else None,
        }.items()
        if value is not None
    }
    settings = dataclasses.replace(config.analysis, **changes)
    households = analysis.households
    if poor_max_decile is not None:
        rule = dataclasses.replace(
            config.poverty,
            poor_max_decile=poor_max_decile,
            extreme_max_decile=min(config.poverty.extreme_max_decile, poor_max_decile),
        )
        households = classify_poverty(households, rule=rule, on=config.data_date)
    kelurahan = kelurahan_indicators(
        households, analysis.boundaries, deprivation=analysis.deprivation, small_base=settings.small_base_households
    )
    kelurahan, _, pockets = hotspots_and_pockets(
        kelurahan,
        households,
        boundaries=analysis.boundaries,
        settings=settings,
        crs=analysis.projected_crs,
        weights=config.priority.weights,
    )
    return kelurahan, pockets


def pocket_jaccard(a: gpd.GeoDataFrame, b: gpd.GeoDataFrame, *, crs: str | int | object) -> float:
    """Jaccard overlap of two sets of pockets by area: shared area / combined area.

    1 when both are empty (they agree that there is no pocket), 0 when only one is.
    """
    if not len(a) and not len(b):
        return 1.0
    if not len(a) or not len(b):
        return 0.0
    first = shapely.union_all(a.to_crs(crs).geometry.to_numpy())
    second = shapely.union_all(b.to_crs(crs).geometry.to_numpy())
    return float(shapely.area(shapely.intersection(first, second)) / shapely.area(shapely.union(first, second)))


def rank_stability(a: pd.DataFrame, b: pd.DataFrame, *, top: int = 10) -> dict[str, float]:
    """How alike two priority lists are.

    Parameters
    ----------
    a, b
        Kelurahan with ``kode_kel`` and ``peringkat_prioritas``.
    top
        The length of the list planners act on.

    Returns
    -------
    dict
        ``spearman``: Spearman's rank correlation over the kelurahan ranked
        in both (``scipy.stats.spearmanr``); ``top_sama``: how many of the
        first ``top`` of ``a`` are among the first ``top`` of ``b``.
    """
    first = a.set_index(C.KODE_KEL)[C.PERINGKAT].dropna()
    second = b.set_index(C.KODE_KEL)[C.PERINGKAT].dropna()
    both = first.index.intersection(second.index)
    rho = (
        float(stats.spearmanr(first[both].astype(float), second[both].astype(float)).statistic)
        if len(both) > 2
        else np.nan
    )
    shared = set(first.nsmallest(top).index) & set(second.nsmallest(top).index)
    return {"spearman": rho, "top_sama": float(len(shared))}
