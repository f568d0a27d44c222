"""The region's offline basemap: read from an OpenStreetMap extract once, then from a cache.

:func:`read_basemap` clips the region's box (plus a margin) out of the
``[basemap] osm`` extract (:mod:`pipeline.ingest.osm`), builds the sea from the
coastline (:mod:`pipeline.ingest.coast`) and returns five layers in EPSG:4326:
``jalan`` (roads and railways), ``perairan`` (sea, lakes, river areas),
``sungai`` (waterway lines), ``tempat`` (place names) and ``fasilitas_umum``
(public places). The result is cached under ``outputs/<region>/cache/``,
keyed by the extract's sha256 and the box, so a second build reads a few
Parquet files instead of an island-sized extract, and a new extract is read
again.

A basemap is decoration: a bad extract never stops a build. Every problem
(missing, not a PBF, truncated, not covering the region, no coastline where
the region has a shore) becomes a warning naming the file and the fix, and
the map is drawn with what could be read, or with its plain background.
"""

from __future__ import annotations

import logging
import sys
from dataclasses import dataclass, field
from pathlib import Path

import geopandas as gpd
import pandas as pd
import shapely

from . import coast, osm
from .cache import CacheEntry, cache_key, code_digest, read_entry, write_entry
from .coast import sea_polygons
from .inputs import sha256_of
from .osm import BasemapError, OsmFeatures, read_osm

logger = logging.getLogger(__name__)

#: The basemap's layers, in drawing order (also the GeoPackage layers).
BASEMAP_LAYERS: tuple[str, ...] = ("perairan", "sungai", "jalan", "tempat", "fasilitas_umum")
#: The basemap's folder in a region's cache.
CACHE_ENTRY: str = "peta_dasar"
#: Below this share of the region's box covered by the extract, a warning is given.
MIN_COVERAGE: float = 0.995


@dataclass
class Basemap:
    """The basemap layers of a region and what went wrong reading them."""

    layers: dict[str, gpd.GeoDataFrame] = field(default_factory=dict)
    warnings: list[str] = field(default_factory=list)
    source: Path | None = None
    coverage: float | None = None  # share of the region's box the extract covers
    key: str | None = None  # the cache entry: extract sha256, box and the reading code

    @property
    def drawn(self) -> bool:
        """True when there is something to draw."""
        return any(len(frame) for frame in self.layers.values())


def basemap_box(bounds: tuple[float, float, float, float], *, share: float = 0.6) -> tuple[float, float, float, float]:
    """The region's box (west, south, east, north) with a margin: ``share`` of its span, at least 0.03° (about 3 km).

    The wide default lets a phone's tall screen, fitted to the region's
    width, show the basemap to its top and bottom edges.
    """
    west, south, east, north = bounds
    mx = max(0.03, share * (east - west))
    my = max(0.03, share * (north - south))
    return (west - mx, south - my, east + mx, north + my)


#: Far from the region (beyond :data:`NEAR` of its span) only what orients a reader is kept.
NEAR: float = 0.15
_FAR_KEPT = {
    "perairan": None,  # every water area
    "sungai": {"sungai", "kanal"},
    "jalan": {"arteri", "kolektor", "rel"},
    "tempat": {"kota", "kota_kecil"},
    "fasilitas_umum": set(),
}


def coverage_of(extent: tuple[float, float, float, float] | None, bounds: tuple[float, float, float, float]) -> float:
    """The share of the region's box (``bounds``) that an extract's box (``extent``) covers, 0-1."""
    region = shapely.box(*bounds)
    if extent is None or region.area == 0:
        return 0.0
    return float(shapely.box(*extent).intersection(region).area / region.area)


def coverage_warning(path: Path, coverage: float, *, region: str = "") -> str | None:
    """The warning for an extract that covers less than :data:`MIN_COVERAGE` of the region's box, or None."""
    if coverage >= MIN_COVERAGE:
        return None
    return (
        f"{path}: the extract covers {100 * coverage:.0f} % of the region's area (its box); "
        + ("the basemap is not drawn. " if coverage == 0 else "the basemap is drawn where it covers it. ")
        + f"Use the extract of the island that holds the region (make basemap REGION={region or '<region>'}, "
        "or a larger .osm.pbf)"
    )


def _empty(columns: list[str]) -> gpd.GeoDataFrame:
    return gpd.GeoDataFrame({c: pd.Series(dtype=object) for c in columns}, geometry=[], crs=4326)


def _layers(
    features: OsmFeatures, box: tuple[float, float, float, float], near: tuple[float, float, float, float]
) -> dict[str, gpd.GeoDataFrame]:
    """The five layers from the raw features, clipped to ``box``; beyond ``near`` only the main classes."""
    clip = shapely.box(*box)

    def clipped(frame: gpd.GeoDataFrame, columns: list[str]) -> gpd.GeoDataFrame:
        if not len(frame):
            return _empty(columns)
        geometry = shapely.intersection(frame.geometry.values, clip)
        keep = ~shapely.is_empty(geometry)
        out = gpd.GeoDataFrame(frame.loc[keep, columns].reset_index(drop=True), geometry=geometry[keep], crs=4326)
        return out

    lines = features.lines
    roads = clipped(lines[lines["jenis"].isin(["jalan", "rel"])], ["kelas", "osm", "nama"])
    roads = roads[shapely.get_type_id(roads.geometry.values) != shapely.GeometryType.POINT].reset_index(drop=True)
    rivers = clipped(lines[lines["jenis"] == "air"], ["kelas", "nama"])
    water = clipped(features.areas, ["kelas", "nama"])
    water = water[shapely.area(water.geometry.values) > 0].reset_index(drop=True)
    sea = sea_polygons(features.coastline.values, clip) if len(features.coastline) else None
    if sea is not None:
        water = pd.concat(
            [gpd.GeoDataFrame({"kelas": ["laut"], "nama": [""]}, geometry=[sea], crs=4326), water], ignore_index=True
        )
    points = features.points
    places = clipped(points[points["jenis"] == "tempat"], ["kelas", "nama"])
    facilities = clipped(points[points["jenis"] == "fasilitas"], ["kelas", "nama"])
    layers = {"perairan": water, "sungai": rivers, "jalan": roads, "tempat": places, "fasilitas_umum": facilities}
    close = shapely.box(*near)
    for name, kept in _FAR_KEPT.items():
        frame = layers[name]
        if kept is not None and len(frame):
            keep = frame["kelas"].isin(list(kept)).to_numpy() | shapely.intersects(frame.geometry.values, close)
            layers[name] = frame[keep].reset_index(drop=True)
    return layers


def read_basemap(
    path: Path | None, *, bounds: tuple[float, float, float, float], cache: Path | None = None, region: str = ""
) -> Basemap:
    """The basemap of a region, from its extract or the cache.

    Parameters
    ----------
    path
        The ``[basemap] osm`` extract, or None (no basemap).
    bounds
        The region's box (west, south, east, north), EPSG:4326.
    cache
        Folder of the cache (``outputs/<region>/cache``); None: no cache.
    region
        The region's slug, for the messages.

    Returns
    -------
    Basemap
        Empty layers and a warning when the extract cannot be used.
    """
    if path is None:
        return Basemap()
    box = basemap_box(bounds)
    try:
        key = cache_key(sha256_of(path), *(f"{v:.4f}" for v in box), code_digest(coast, osm, sys.modules[__name__]))
    except OSError:
        key = None
    entry = read_entry(cache, CACHE_ENTRY, key) if key else None
    if entry is not None:
        basemap = Basemap(entry.frames, entry.meta["peringatan"], Path(path), entry.meta["cakupan"], key)
        for text in basemap.warnings:
            logger.warning("%s", text)
        return basemap
    try:
        features = read_osm(path, bbox=box, region=region)
    except BasemapError as error:
        text = f"basemap not drawn: {error}"
        logger.warning("%s", text)
        return Basemap(warnings=[text], source=Path(path))
    coverage = coverage_of(features.extent, bounds)
    warnings = [text] if (text := coverage_warning(path, coverage, region=region)) else []
    near = basemap_box(bounds, share=NEAR)
    layers = _layers(features, box, near) if coverage > 0 else {n: _empty(["kelas", "nama"]) for n in BASEMAP_LAYERS}
    if coverage > 0 and not len(features.coastline) and features.shore_hints:
        warnings.append(
            f"{path}: the extract has no coastline (natural=coastline) although the region has a shore "
            f"({features.shore_hints} beach/harbour/pier features); the sea is drawn as land. The file was probably "
            f"filtered by tag: use the unfiltered island extract (make basemap REGION={region or '<region>'})"
        )
    for text in warnings:
        logger.warning("%s", text)
    return Basemap(layers, warnings, Path(path), coverage, key)


def basemap_entry(basemap: Basemap) -> CacheEntry | None:
    """The basemap as a cache entry (None for a basemap that could not be read: nothing to keep)."""
    if basemap.key is None or basemap.source is None or not basemap.layers:
        return None
    meta = {"peringatan": basemap.warnings, "cakupan": basemap.coverage, "sumber": str(basemap.source)}
    return CacheEntry(CACHE_ENTRY, basemap.key, dict(basemap.layers), meta)


def store_basemap(basemap: Basemap, cache: Path) -> None:
    """Write the basemap's cache entry under ``cache`` (the only one: an older extract's entry goes)."""
    entry = basemap_entry(basemap)
    if entry is not None:
        write_entry(cache, entry)
