"""The spatial stage: kelurahan hot spots, the priority score, H3 cells and pockets.

One function, so that the pipeline (:func:`pipeline.run.analyse_region`) and
the sensitivity analysis (:mod:`pipeline.analyse.sensitivity`) run exactly
the same steps with the same settings.
"""

from __future__ import annotations

import geopandas as gpd

from ..settings import AnalysisSettings
from .hotspots import kelurahan_hotspots
from .pockets import aggregate_cells, cell_hotspots, label_pockets, merge_pockets
from .priority import prioritise


def hotspots_and_pockets(
    kelurahan: gpd.GeoDataFrame,
    households: gpd.GeoDataFrame,
    *,
    boundaries: gpd.GeoDataFrame,
    settings: AnalysisSettings,
    crs: str | int | object,
    weights: dict[str, float] | None = None,
    kelurahan_names: dict[str, str] | None = None,
) -> tuple[gpd.GeoDataFrame, gpd.GeoDataFrame, gpd.GeoDataFrame]:
    """Hot spots and priority per kelurahan, and the pockets below them.

    Parameters
    ----------
    kelurahan
        Kelurahan indicators (:func:`pipeline.analyse.indicators.kelurahan_indicators`).
    households
        Classified households with their points.
    boundaries
        The kelurahan boundaries; pockets are clipped to them.
    settings
        The region's ``[analysis]`` settings: permutations, seed,
        significance, H3 resolution and the smallest pocket.
    crs
        The projected CRS for contiguity and areas.
    weights
        The priority weights (``[priority] weights``).
    kelurahan_names
        Kelurahan code -> name, for the pockets.

    Returns
    -------
    kelurahan : GeoDataFrame
        With the Gi* and Local Moran columns and the priority score and rank.
    cells : GeoDataFrame
        The H3 cells with their classes and pocket ids.
    pockets : GeoDataFrame
        The pockets, ranked.
    """
    kelurahan = kelurahan_hotspots(
        kelurahan,
        crs=crs,
        permutations=settings.permutations,
        seed=settings.seed,
        significance=settings.significance,
    )
    kelurahan = prioritise(kelurahan, weights=weights)
    cells = label_pockets(
        cell_hotspots(
            aggregate_cells(households, resolution=settings.h3_resolution), significance=settings.significance
        ),
        min_households=settings.min_pocket_households,
    )
    pockets = merge_pockets(cells, kelurahan_names=kelurahan_names, region=boundaries, crs=crs)
    return kelurahan, cells, pockets
