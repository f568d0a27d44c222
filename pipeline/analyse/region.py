"""Everything computed for one region, before anything is written.

:func:`pipeline.run.analyse_region` fills a :class:`RegionAnalysis`; the
publish stage (:mod:`pipeline.publish.region`) writes it. The class is data
only: it holds no logic, so both sides can depend on it.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import geopandas as gpd
import pandas as pd

from ..ingest.basemap import Basemap
from ..ingest.cache import CacheEntry
from ..settings import RegionConfig


@dataclass
class RegionAnalysis:
    """Everything computed for one region, before anything is written."""

    config: RegionConfig
    boundaries: gpd.GeoDataFrame
    households: gpd.GeoDataFrame
    quarantine: pd.DataFrame
    kelurahan: gpd.GeoDataFrame
    public_kelurahan: gpd.GeoDataFrame
    public_kecamatan: gpd.GeoDataFrame
    validation: pd.DataFrame
    validation_files: pd.DataFrame
    #: Member-table rows per file and sheet: read = linked + not linked.
    validation_members: pd.DataFrame
    #: Member rows that link to no household (restricted tier only).
    unlinked_members: pd.DataFrame
    boundary_issues: pd.DataFrame
    rows_in: int
    #: Register files whose accepted rows too seldom have a GPS point (see :mod:`pipeline.ingest.coordinates`).
    coordinate_shortfalls: pd.DataFrame
    projected_crs: str
    #: H3 cells with their Gi* classes (all cells, restricted: small cells included).
    cells: gpd.GeoDataFrame
    #: The cells as published: figures of cells under k households hidden.
    public_cells: gpd.GeoDataFrame
    #: Pocket polygons (kantong), ranked.
    pockets: gpd.GeoDataFrame
    #: The deprivation indicators used, with their effective weights.
    deprivation: tuple = ()
    #: Target gaps and status (see :mod:`pipeline.analyse.targets`).
    progress: pd.DataFrame = field(default_factory=pd.DataFrame)
    #: Register against BPS, region level and the kelurahan that drive the difference.
    reconciliation: pd.DataFrame = field(default_factory=pd.DataFrame)
    reconciliation_kelurahan: pd.DataFrame = field(default_factory=pd.DataFrame)
    #: Movements since the previous register snapshot (public: suppressed), or None.
    snapshot_changes: gpd.GeoDataFrame | None = None
    #: Programme coverage per kelurahan and programme, and per OPD (public: suppressed).
    coverage: pd.DataFrame = field(default_factory=pd.DataFrame)
    coverage_opd: pd.DataFrame = field(default_factory=pd.DataFrame)
    #: Programme x programme shared households (public: suppressed), long form.
    overlap: pd.DataFrame = field(default_factory=pd.DataFrame)
    #: The shared target list (restricted: joined to names for the OPD workbooks).
    targets: pd.DataFrame = field(default_factory=pd.DataFrame)
    quota_report: pd.DataFrame = field(default_factory=pd.DataFrame)
    #: Beneficiary-list rows matched / not matched to the register (restricted).
    matched: pd.DataFrame = field(default_factory=pd.DataFrame)
    unmatched: pd.DataFrame = field(default_factory=pd.DataFrame)
    summary: dict[str, float | int] = field(default_factory=dict)
    #: Field-verification submissions with ``status_kiriman`` (restricted), empty without [[verification]].
    verification: pd.DataFrame = field(default_factory=pd.DataFrame)
    #: The offline basemap (OpenStreetMap layers), empty without ``[basemap]``.
    basemap: Basemap = field(default_factory=Basemap)
    #: What the build computed once per input file (boundary diagnostics, the basemap), kept for the next build.
    cache_entries: list[CacheEntry] = field(default_factory=list)
